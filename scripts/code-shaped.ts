// Turns a one-sentence function task with test asserts (MBPP's shape) into the shape code benchmarks
// and editors hand a model: a signature, a docstring or doc comment, and worked examples.
//
// Why: no public training set we may use has function tasks in that shape (MBPP's are one sentence),
// so the estimator read a signature plus a docstring with doctests as "a long request". These prompts
// are built from MBPP's own text, its reference solution's signature and its test asserts, never from
// a held-out set; the styles (doctest, Google-style Args/Returns, "For example" lines, TypeScript
// JSDoc) are the common ones in the wild. Pure: the same task and variant give the same prompt.

export interface PlainTask {
  /** "Write a function to find the volume of a triangular prism." */
  text: string;
  /** Reference solution: its `def` gives the name and parameters. */
  code: string;
  /** `assert name(args) == expected` lines. */
  tests: string[];
}

export const CODE_SHAPES = ['doctest', 'google', 'prose-examples', 'jsdoc'] as const;
export type CodeShape = (typeof CODE_SHAPES)[number];

interface Example {
  call: string;
  args: string[];
  expected: string;
}

/** The code-shaped prompt, or undefined when the task's signature or examples cannot be read. */
export function codeShapedPrompt(task: PlainTask, shape: CodeShape, examples = 2): string | undefined {
  const parsed = task.tests.map(parseAssert).filter((e): e is Example & { name: string } => e !== undefined);
  const name = parsed[0]?.name;
  if (!name) return undefined;
  const def = new RegExp(`^def\\s+${name}\\s*\\(([^)]*)\\)`, 'm').exec(task.code);
  if (!def) return undefined;
  const params = splitTopLevel(def[1]!)
    .map((p) => p.split('=')[0]!.trim())
    .filter(Boolean);
  const shown = parsed.filter((e) => e.name === name).slice(0, Math.max(1, examples));
  const first = shown[0]!;
  const types = params.map((_, i) => pyType(first.args[i]));
  const ret = pyType(first.expected);
  const doc = docSentence(task.text);
  switch (shape) {
    case 'doctest': {
      const sig = pySignature(name, params, types, ret);
      const lines = shown.flatMap((e) => [`    >>> ${e.call}`, `    ${e.expected}`]);
      return `${typingImport([...types, ret])}def ${sig}:\n    """ ${doc}\n${lines.join('\n')}\n    """\n`;
    }
    case 'google': {
      const sig = pySignature(name, params, types, ret);
      const args = params.map((p, i) => `        ${p}: ${describe(types[i])}.`);
      const ex = shown.map((e) => `        ${e.call} == ${e.expected}`);
      return (
        `${typingImport([...types, ret])}def ${sig}:\n    """${doc}\n\n    Args:\n${args.join('\n')}\n\n` +
        `    Returns:\n        ${capitalise(ret ? describe(ret) : 'the result')}.\n\n` +
        `    Examples:\n${ex.join('\n')}\n    """\n`
      );
    }
    case 'prose-examples': {
      const ex = shown.map((e) => `    ${e.call} ➞ ${e.expected}`);
      return `def ${name}(${params.join(', ')}):\n    """\n    ${doc}\n\n    For example:\n${ex.join('\n')}\n    """\n`;
    }
    case 'jsdoc': {
      const ts = (t: string | undefined) => tsType(t);
      const sig = params.map((p, i) => `${p}: ${ts(types[i])}`).join(', ');
      const ex = shown.map(
        (e) => ` * ${name}(${e.args.map(jsLiteral).join(', ')}) // returns ${jsLiteral(e.expected)}`,
      );
      return `/**\n * ${doc}\n *\n * Examples:\n${ex.join('\n')}\n */\nfunction ${name}(${sig}): ${ts(ret)} {\n`;
    }
  }
}

/** "Write a python function to find X." → "Find X."; "Write a function that checks X" → "Checks X". */
export function docSentence(text: string): string {
  const t = text.trim().replace(/^write\s+(?:a\s+)?(?:python\s+)?function\s+(?:to|that|which|for|of)\s+/i, '');
  const s = capitalise(t);
  return /[.?!]$/.test(s) ? s : `${s}.`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** `assert f(1, [2, 3]) == 4` → name f, args ['1', '[2, 3]'], expected '4'. */
function parseAssert(line: string): (Example & { name: string }) | undefined {
  const m = /^\s*assert\s+\(?\s*([A-Za-z_]\w*)\s*\(/.exec(line);
  if (!m) return undefined;
  const open = m[0].length - 1;
  const close = matchingParen(line, open);
  if (close < 0) return undefined;
  const rest = line.slice(close + 1).trim();
  const eq = /^\)?\s*==\s*(.+)$/.exec(rest);
  if (!eq) return undefined;
  // `assert (f(x) == y)`: the closing bracket of the assert is not part of y.
  const expected = (balanced(eq[1]!) ? eq[1]! : eq[1]!.replace(/\)\s*$/, '')).trim();
  const call = line.slice(m.index + m[0].indexOf(m[1]!), close + 1).trim();
  return { name: m[1]!, call: spaceArgs(call), args: splitTopLevel(line.slice(open + 1, close)), expected };
}

function balanced(s: string): boolean {
  let d = 0;
  for (const ch of s) d += ch === '(' ? 1 : ch === ')' ? -1 : 0;
  return d === 0;
}

/** Index of the bracket closing the one at `open`, skipping quoted strings; -1 if none. */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits on commas outside brackets and strings. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** `f(1,2)` → `f(1, 2)`: the spacing a person types in a docstring. */
function spaceArgs(call: string): string {
  return call.replace(/,(?=\S)/g, ', ');
}

/** A Python type for a literal, when it is plain enough to tell. */
function pyType(lit: string | undefined): string | undefined {
  if (lit === undefined) return undefined;
  const v = lit.trim();
  if (/^-?\d+$/.test(v)) return 'int';
  if (/^-?\d*\.\d+(?:e-?\d+)?$/.test(v)) return 'float';
  if (v === 'True' || v === 'False') return 'bool';
  if (/^(['"]).*\1$/.test(v)) return 'str';
  if (v.startsWith('[') && v.endsWith(']')) {
    const inner = pyType(splitTopLevel(v.slice(1, -1))[0]);
    return inner ? `List[${inner}]` : 'list';
  }
  if (v.startsWith('(') && v.endsWith(')')) return 'tuple';
  if (v.startsWith('{') && v.endsWith('}')) return v.includes(':') ? 'dict' : 'set';
  return undefined;
}

function pySignature(name: string, params: string[], types: (string | undefined)[], ret: string | undefined): string {
  const ps = params.map((p, i) => (types[i] ? `${p}: ${types[i]}` : p));
  return `${name}(${ps.join(', ')})${ret ? ` -> ${ret}` : ''}`;
}

function typingImport(types: (string | undefined)[]): string {
  return types.some((t) => t?.includes('List[')) ? 'from typing import List\n\n\n' : '';
}

function describe(t: string | undefined): string {
  if (!t) return 'the input';
  const list = /^List\[(.+)\]$/.exec(t);
  if (list) return `a list of ${describe(list[1]).replace(/^an? /, '')}s`;
  const words: Record<string, string> = {
    int: 'an integer',
    float: 'a number',
    bool: 'True if it holds, else False',
    str: 'a string',
    list: 'a list',
    tuple: 'a tuple',
    dict: 'a dictionary',
    set: 'a set',
  };
  return words[t] ?? `a ${t}`;
}

function tsType(t: string | undefined): string {
  if (!t) return 'unknown';
  const list = /^List\[(.+)\]$/.exec(t);
  if (list) return `${tsType(list[1])}[]`;
  const map: Record<string, string> = {
    int: 'number',
    float: 'number',
    bool: 'boolean',
    str: 'string',
    list: 'unknown[]',
    tuple: 'unknown[]',
    dict: 'Record<string, unknown>',
    set: 'Set<unknown>',
  };
  return map[t] ?? 'unknown';
}

/** Python literals as a JavaScript reader would write them. */
function jsLiteral(s: string): string {
  return s
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bNone\b/g, 'null')
    .replace(/\(([^()]*,[^()]*)\)/g, '[$1]');
}
