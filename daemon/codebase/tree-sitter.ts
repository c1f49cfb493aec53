// Loads web-tree-sitter and its grammars (@vscode/tree-sitter-wasm: the build VS Code ships, whose
// runtime and grammar .wasm files are made for each other) and hands out one parser per grammar.
// WebAssembly: a grammar bug can throw, never crash the daemon. The package stays outside the
// bundle (its UMD loader looks for its .wasm files next to itself); the .vsix ships it.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Node, Parser, Tree } from '@vscode/tree-sitter-wasm';
import { grammarFile, type GrammarName } from './languages';

type TreeSitter = typeof import('@vscode/tree-sitter-wasm');

const require = createRequire(import.meta.url);

/** The folder holding tree-sitter.wasm and the grammars. */
export function wasmDir(): string {
  return path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm');
}

let runtime: Promise<TreeSitter> | undefined;

function loadRuntime(): Promise<TreeSitter> {
  runtime ??= (async () => {
    const ts = require('@vscode/tree-sitter-wasm') as TreeSitter;
    const dir = wasmDir();
    await ts.Parser.init({ locateFile: (file: string) => path.join(dir, file) });
    return ts;
  })();
  runtime.catch(() => (runtime = undefined));
  return runtime;
}

export type { Node, Tree };

/** One parser per grammar, created on first use; a grammar that fails to load stays failed (lines instead). */
export class Parsers {
  private readonly parsers = new Map<GrammarName, Promise<Parser | undefined>>();

  constructor(private readonly onLoadError?: (grammar: GrammarName, err: unknown) => void) {}

  get(grammar: GrammarName): Promise<Parser | undefined> {
    let p = this.parsers.get(grammar);
    if (!p) {
      p = (async () => {
        try {
          const ts = await loadRuntime();
          const language = await ts.Language.load(path.join(wasmDir(), grammarFile(grammar)));
          const parser = new ts.Parser();
          parser.setLanguage(language);
          return parser;
        } catch (err) {
          this.onLoadError?.(grammar, err);
          return undefined;
        }
      })();
      this.parsers.set(grammar, p);
    }
    return p;
  }

  /**
   * Parses `text`, or undefined when the grammar is missing or parsing took longer than `budgetMs`
   * (a pathological file must not hold the daemon's event loop). The caller deletes the tree.
   */
  async parse(grammar: GrammarName, text: string, budgetMs: number): Promise<Tree | undefined> {
    const parser = await this.get(grammar);
    if (!parser) return undefined;
    const deadline = performance.now() + budgetMs;
    parser.reset();
    const tree = parser.parse(text, null, {
      // Returning true cancels the parse (the declared type says void; the runtime reads the value).
      progressCallback: () => performance.now() > deadline,
    });
    return tree ?? undefined;
  }

  dispose(): void {
    for (const p of this.parsers.values()) void p.then((parser) => parser?.delete());
    this.parsers.clear();
  }
}
