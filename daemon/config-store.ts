// The daemon is the one writer of its config.json. Edits are serialized, re-read the file first (so
// a hand edit made meanwhile is kept), change only the fields they touch through jsonc-parser (so
// comments and formatting survive), are validated before anything is written, and land with a
// temp file + rename (a crash never leaves half a config). A hand edit while the daemon runs is
// reloaded; a broken one is reported with its field and the last good config stays in force.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parse as parseJsonc,
  parseTree,
  type FormattingOptions,
  type JSONPath,
  type Node as JsonNode,
} from 'jsonc-parser';
import { ErrorCodes, type ConfigProblem } from '../shared/protocol';
import { ConfigError, parseConfig, type DaemonConfig } from './config';
import { GearboxError } from './gearbox-error';
import type { Logger } from './log';

/** One change to the file: set a value (undefined removes it), or append to an array. */
export type ConfigOp =
  | { op: 'set'; path: JSONPath; value: unknown }
  | { op: 'remove'; path: JSONPath }
  | { op: 'append'; path: JSONPath; value: unknown };

export interface ConfigStoreOptions {
  file: string;
  /** The config to start from when the caller parsed it already (tests); else the file is read. */
  initial?: DaemonConfig;
  /** More checks a config must pass (throws ConfigError), e.g. model files inside the allowed dirs. */
  check?: (config: DaemonConfig) => void;
}

export interface ConfigStoreEvents {
  /** A new config is in force (an edit through the store, or a valid hand edit). */
  changed: [next: DaemonConfig, previous: DaemonConfig, origin: 'edit' | 'file'];
  /** The file on disk is broken (problem), or fixed again (null). */
  problem: [problem: ConfigProblem | null];
}

export class ConfigStore extends EventEmitter<ConfigStoreEvents> {
  private config: DaemonConfig;
  private currentProblem: ConfigProblem | null = null;
  /** The file's text as we last read or wrote it: a watch event with the same text is our own write. */
  private lastText: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher?: fs.FSWatcher;
  private reloadTimer?: NodeJS.Timeout;
  private closed = false;
  private logger?: Logger;

  constructor(private readonly opts: ConfigStoreOptions) {
    super();
    this.lastText = readText(opts.file);
    if (opts.initial) {
      opts.check?.(opts.initial);
      this.config = opts.initial;
    } else this.config = this.parse(this.lastText ?? '{}');
  }

  get file(): string {
    return this.opts.file;
  }

  /** The config in force: the last one that was valid. */
  get current(): DaemonConfig {
    return this.config;
  }

  get problem(): ConfigProblem | null {
    return this.currentProblem;
  }

  /**
   * Applies `ops(raw)` to the file as it is on disk now. `ops` sees the file's current JSON (to find
   * indexes) and returns the changes; they are validated as a whole before the file is replaced.
   */
  edit(ops: (raw: Record<string, unknown>) => ConfigOp[]): Promise<DaemonConfig> {
    const run = this.queue.then(() => this.editNow(ops));
    this.queue = run.catch(() => {});
    return run;
  }

  private async editNow(ops: (raw: Record<string, unknown>) => ConfigOp[]): Promise<DaemonConfig> {
    if (this.closed) throw new GearboxError(ErrorCodes.InternalError, 'The daemon is shutting down');
    const onDisk = readText(this.opts.file);
    // A file the caller never wrote (tests pass the config in) starts from the config in force.
    let text = onDisk ?? (this.opts.initial ? `${JSON.stringify(this.opts.initial, null, 2)}\n` : '{}\n');
    if (onDisk !== undefined) {
      try {
        this.parse(onDisk);
      } catch (err) {
        const problem = this.problemOf(err);
        throw new GearboxError(
          ErrorCodes.ConfigInvalid,
          `${this.opts.file} has an error (${describe(problem)}); fix it by hand first, the daemon will not ` +
            'overwrite it',
          problem,
        );
      }
    }
    const raw = (parseJsonc(text) ?? {}) as Record<string, unknown>;
    const formatting = formattingOf(text);
    for (const change of ops(raw)) text = applyOp(text, change, formatting);
    let next: DaemonConfig;
    try {
      next = this.parse(text);
    } catch (err) {
      const problem = this.problemOf(err, false);
      throw new GearboxError(
        ErrorCodes.InvalidParams,
        `That change would make the config invalid: ${describe(problem)}`,
        problem,
      );
    }
    writeAtomic(this.opts.file, text);
    this.lastText = text;
    this.apply(next, 'edit');
    return next;
  }

  private parse(text: string): DaemonConfig {
    const config = parseConfig(text, this.opts.file);
    this.opts.check?.(config);
    return config;
  }

  private apply(next: DaemonConfig, origin: 'edit' | 'file'): void {
    const previous = this.config;
    this.config = next;
    if (this.currentProblem) {
      this.currentProblem = null;
      this.emit('problem', null);
    }
    this.emit('changed', next, previous, origin);
  }

  private problemOf(err: unknown, keptLastGood = true): ConfigProblem {
    if (err instanceof ConfigError) return { file: this.opts.file, issues: err.issues, keptLastGood };
    return { file: this.opts.file, issues: [{ path: '', message: (err as Error).message }], keptLastGood };
  }

  // ---------- hand edits ----------

  /** Reloads the file whenever it changes on disk, from now on. */
  watch(logger: Logger): void {
    this.logger = logger;
    // The directory, not the file: editors (and our own rename) replace the file, which ends a file watch.
    const dir = path.dirname(this.opts.file);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.watcher = fs.watch(dir, (_event, name) => {
        if (name && name !== path.basename(this.opts.file)) return;
        clearTimeout(this.reloadTimer);
        // Editors write in several steps; read once they are done.
        this.reloadTimer = setTimeout(() => void this.reloadFromDisk(), 50);
      });
      this.watcher.on('error', (err) => this.logger?.warn('config watch failed', { error: err.message }));
      this.watcher.unref();
    } catch (err) {
      this.logger?.warn('cannot watch the config file; hand edits need a restart', {
        file: this.opts.file,
        error: (err as Error).message,
      });
    }
  }

  /** Reads the file again after a change on disk (also callable directly). */
  reloadFromDisk(): Promise<void> {
    const run = this.queue.then(() => this.reloadNow());
    this.queue = run.catch(() => {});
    return run;
  }

  private reloadNow(): void {
    if (this.closed) return;
    let text: string | undefined;
    try {
      text = readText(this.opts.file);
    } catch (err) {
      this.logger?.warn('cannot read the config file after a change', { error: (err as Error).message });
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    try {
      const next = this.parse(text ?? '{}');
      this.logger?.info('config reloaded after a change on disk', { file: this.opts.file });
      this.apply(next, 'file');
    } catch (err) {
      const problem = this.problemOf(err);
      this.currentProblem = problem;
      this.logger?.error(`config has an error; keeping the last good one: ${describe(problem)}`, {
        file: this.opts.file,
        issues: problem.issues,
      });
      this.emit('problem', problem);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
  }
}

function describe(problem: ConfigProblem): string {
  return problem.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function applyOp(text: string, change: ConfigOp, formattingOptions: FormattingOptions): string {
  if (change.op === 'append') {
    const appended = appendOnNewLine(text, change.path, change.value, formattingOptions);
    if (appended !== undefined) return appended;
    const list = findNodeAtLocation(parseTree(text) ?? EMPTY, change.path);
    if (list?.type !== 'array')
      return applyEdits(text, modify(text, change.path, [change.value], { formattingOptions }));
    const index = list.children?.length ?? 0;
    return applyEdits(
      text,
      modify(text, [...change.path, index], change.value, { formattingOptions, isArrayInsertion: true }),
    );
  }
  if (change.op === 'remove') {
    const removed = removeOwnLines(text, change.path);
    if (removed !== undefined) return removed;
  }
  const value = change.op === 'set' ? change.value : undefined;
  return applyEdits(text, modify(text, change.path, value, { formattingOptions }));
}

/**
 * Removes an array element or a property that sits on lines of its own, with those lines (and its
 * trailing line comment): the lines around it stay as the user wrote them, where jsonc-parser
 * would reformat them. Undefined when it shares a line with something else (jsonc-parser does it).
 */
function removeOwnLines(text: string, at: JSONPath): string | undefined {
  const found = findNodeAtLocation(parseTree(text) ?? EMPTY, at);
  const node = found?.parent?.type === 'property' ? found.parent : found;
  const siblings = node?.parent?.children;
  if (!node || !siblings) return undefined;
  const start = node.offset;
  const end = node.offset + node.length;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (text.slice(lineStart, start).trim() !== '') return undefined;
  const after = /^[ \t]*(,)?[ \t]*(\/\/[^\n]*)?(\r?\n|$)/.exec(text.slice(end));
  if (!after) return undefined;
  let out = text.slice(0, lineStart) + text.slice(end + after[0].length);
  const index = siblings.indexOf(node);
  if (!after[1] && index > 0) {
    // It was the last one: the comma after the one before it goes too.
    const prev = siblings[index - 1]!;
    const prevEnd = prev.offset + prev.length;
    out = out.slice(0, prevEnd) + out.slice(prevEnd).replace(/^([ \t]*),/, '$1');
  }
  return out;
}

const EMPTY: JsonNode = { type: 'object', offset: 0, length: 0 };

/**
 * Appends to a multi-line array on a line of its own, indented like the last element and written
 * in its style (one line or expanded). jsonc-parser's own insertion reformats the line it touches,
 * which rewrites the user's last entry and moves its trailing comment; this touches nothing else.
 * Undefined when the array is empty or closes on its last element's line (then jsonc-parser does it).
 */
function appendOnNewLine(text: string, at: JSONPath, value: unknown, fmt: FormattingOptions): string | undefined {
  const list = findNodeAtLocation(parseTree(text) ?? EMPTY, at);
  const last = list?.type === 'array' ? list.children?.at(-1) : undefined;
  if (!list || !last) return undefined;
  const lastEnd = last.offset + last.length;
  const eol = fmt.eol ?? '\n';
  const lineEnd = text.indexOf('\n', lastEnd) < 0 ? text.length : text.indexOf('\n', lastEnd);
  const closing = list.offset + list.length - 1;
  if (closing < lineEnd) return undefined;
  // The line's end, before a \r of a CRLF file.
  const insertAt = text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
  const lineStart = text.lastIndexOf('\n', last.offset) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize ?? 2) : '\t';
  const oneLine = !text.slice(last.offset, lastEnd).includes('\n');
  const body = oneLine
    ? compactJson(value)
    : JSON.stringify(value, null, unit)
        .split('\n')
        .join(eol + indent);
  const hasComma = /^\s*,/.test(text.slice(lastEnd, insertAt));
  const head = `${text.slice(0, lastEnd)}${hasComma ? '' : ','}${text.slice(lastEnd, insertAt)}`;
  return `${head}${eol}${indent}${body}${text.slice(insertAt)}`;
}

/** `{ "id": "x", "tasks": ["chat"] }`: JSON on one line, spaced like hand-written config. */
function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{ ${fields.map(([k, v]) => `${JSON.stringify(k)}: ${compactJson(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** The file's own indentation (tabs or N spaces) and line ending, so inserted lines look like the rest. */
function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)\S/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

/** Writes next to the target and renames over it: readers see the old file or the new one, never half. */
export function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let mode = 0o600;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* a new file */
  }
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w', mode);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
