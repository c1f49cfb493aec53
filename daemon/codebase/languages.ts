// Which tree-sitter grammar parses a file, and which of its nodes define something (a function, a
// class, ...) whose name is worth indexing. Grammars are the .wasm files of @vscode/tree-sitter-wasm.
import path from 'node:path';

export type GrammarName = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go' | 'rust' | 'java' | 'cpp';

export interface LanguageSpec {
  grammar: GrammarName;
  /** Node types that define a named thing (their name goes into the chunk's symbols). */
  definitions: ReadonlySet<string>;
}

const TS_DEFINITIONS = [
  'function_declaration',
  'generator_function_declaration',
  'class_declaration',
  'abstract_class_declaration',
  'method_definition',
  'method_signature',
  'abstract_method_signature',
  'interface_declaration',
  'type_alias_declaration',
  'enum_declaration',
  'internal_module',
  'module',
  'variable_declarator',
  'public_field_definition',
];

const SPECS: Record<GrammarName, LanguageSpec> = {
  typescript: { grammar: 'typescript', definitions: new Set(TS_DEFINITIONS) },
  tsx: { grammar: 'tsx', definitions: new Set(TS_DEFINITIONS) },
  javascript: {
    grammar: 'javascript',
    definitions: new Set([
      'function_declaration',
      'generator_function_declaration',
      'class_declaration',
      'method_definition',
      'variable_declarator',
      'field_definition',
    ]),
  },
  python: { grammar: 'python', definitions: new Set(['function_definition', 'class_definition']) },
  go: { grammar: 'go', definitions: new Set(['function_declaration', 'method_declaration', 'type_spec']) },
  rust: {
    grammar: 'rust',
    definitions: new Set([
      'function_item',
      'function_signature_item',
      'struct_item',
      'enum_item',
      'union_item',
      'trait_item',
      'impl_item',
      'mod_item',
      'type_item',
      'macro_definition',
      'const_item',
      'static_item',
    ]),
  },
  java: {
    grammar: 'java',
    definitions: new Set([
      'class_declaration',
      'interface_declaration',
      'enum_declaration',
      'record_declaration',
      'annotation_type_declaration',
      'method_declaration',
      'constructor_declaration',
    ]),
  },
  // C files too: tree-sitter-cpp's grammar extends tree-sitter-c's, and the package ships no C grammar.
  cpp: {
    grammar: 'cpp',
    definitions: new Set([
      'function_definition',
      'struct_specifier',
      'class_specifier',
      'union_specifier',
      'enum_specifier',
      'namespace_definition',
      'type_definition',
      'preproc_function_def',
    ]),
  },
};

const BY_EXTENSION: Record<string, GrammarName> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.py': 'python',
  '.pyi': 'python',
  '.go': 'go',
  '.rs': 'rust',
  '.java': 'java',
  '.c': 'cpp',
  '.h': 'cpp',
  '.cc': 'cpp',
  '.cpp': 'cpp',
  '.cxx': 'cpp',
  '.hpp': 'cpp',
  '.hh': 'cpp',
  '.hxx': 'cpp',
  '.ipp': 'cpp',
};

/** The grammars the build ships (scripts/build.mjs copies exactly these). */
export const GRAMMARS: readonly GrammarName[] = Object.keys(SPECS) as GrammarName[];

/** The language of a file by its name, or undefined for files chunked by lines. */
export function languageOf(file: string): LanguageSpec | undefined {
  const ext = path.extname(file).toLowerCase();
  // `.d.ts` is TypeScript like `.ts`; path.extname already gives '.ts' for it.
  const grammar = BY_EXTENSION[ext];
  return grammar ? SPECS[grammar] : undefined;
}

export function grammarFile(grammar: GrammarName): string {
  return `tree-sitter-${grammar}.wasm`;
}
