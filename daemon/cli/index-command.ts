// `gearbox index build|status|search`: the code-search index of some folders (default: the current
// directory) through the running daemon, with the same gearbox/index/* requests an editor's
// @codebase sends, the folders announced as one multi-root workspace. Text for people, or the
// protocol's result as JSON with --json. Ctrl-C cancels a build; what was indexed is kept.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import {
  ErrorCodes,
  type IndexBuildResult,
  type IndexFolderStatus,
  type IndexProgressParams,
  type IndexSearchResult,
  type IndexStatusResult,
} from '../../shared/protocol';
import { connectToDaemon, type DaemonClient } from './client';

export const INDEX_USAGE = `  gearbox index build [--force] [--folder DIR]... [--json]  (code search; default: .)
  gearbox index status [--folder DIR]... [--json]
  gearbox index search "query" [-k N] [--folder DIR]... [--json]`;

/** A bad command line: main() prints it with the usage text and exits 2. */
class IndexUsageError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

export async function runIndexCommand(args: string[], runtimeDir: string): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      folder: { type: 'string', multiple: true },
      k: { type: 'string', short: 'k' },
    },
  });
  const folders = (values.folder?.length ? values.folder : ['.']).map((f) => path.resolve(f));
  for (const f of folders)
    if (!fs.statSync(f, { throwIfNoEntry: false })?.isDirectory()) throw new IndexUsageError(`${f} is not a folder`);
  const json = values.json ?? false;
  switch (sub) {
    case 'build': {
      if (positionals.length) throw new IndexUsageError(`index build takes no arguments (${positionals.join(' ')})`);
      const res = await withFolders(runtimeDir, folders, (c) => build(c, !!values.force, json));
      if (res === 'cancelled') return 130;
      console.log(json ? JSON.stringify(res, null, 2) : formatBuild(res));
      return 0;
    }
    case 'status': {
      if (positionals.length) throw new IndexUsageError(`index status takes no arguments (${positionals.join(' ')})`);
      const res = await withFolders(runtimeDir, folders, (c) => c.request('gearbox/index/status', {}));
      console.log(json ? JSON.stringify(res, null, 2) : formatStatus(res));
      return 0;
    }
    case 'search': {
      const query = positionals.join(' ').trim();
      if (!query) throw new IndexUsageError('index search needs a query, e.g. gearbox index search "parse the config"');
      const k = values.k === undefined ? undefined : Number(values.k);
      if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 100))
        throw new IndexUsageError('-k must be 1..100');
      const res = await withFolders(runtimeDir, folders, (c) => c.request('gearbox/index/search', { query, k }));
      console.log(json ? JSON.stringify(res, null, 2) : formatSearch(res));
      return 0;
    }
    default:
      throw new IndexUsageError(
        sub ? `Unknown index command "${sub}".` : 'index needs a command: build, status or search',
      );
  }
}

/** A connection that announces `folders` as its workspace. */
async function withFolders<T>(runtimeDir: string, folders: string[], fn: (c: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connectToDaemon({
    runtimeDir,
    workspaceFolders: folders.map((f) => ({ uri: pathToFileURL(f).href, name: path.basename(f) || f })),
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function build(c: DaemonClient, force: boolean, json: boolean): Promise<IndexBuildResult | 'cancelled'> {
  const cts = new CancellationTokenSource();
  const onSigint = () => cts.cancel();
  process.once('SIGINT', onSigint);
  if (!json) c.onNotification('gearbox/index/progress', progressPrinter());
  try {
    return await c.request('gearbox/index/build', { force }, cts);
  } catch (err) {
    if ((err as { code?: unknown }).code !== ErrorCodes.RequestCancelled) throw err;
    console.error('Cancelled: what was indexed is kept, and the next build does the rest.');
    return 'cancelled';
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** One line per phase (a terminal gets the counts updated in place). */
function progressPrinter(): (p: IndexProgressParams) => void {
  const tty = process.stderr.isTTY;
  let last = '';
  return (p) => {
    const name = path.basename(p.root);
    const counts = p.total ? ` ${p.done}/${p.total}` : p.done ? ` ${p.done}` : '';
    if (tty) {
      process.stderr.write(`\r\x1b[K${name}: ${p.phase}${counts}`);
      if (['done', 'cancelled', 'failed'].includes(p.phase)) process.stderr.write('\n');
    } else if (`${p.root} ${p.phase}` !== last) {
      process.stderr.write(`${name}: ${p.phase}\n`);
    }
    last = `${p.root} ${p.phase}`;
  };
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function formatBuild(res: IndexBuildResult): string {
  return res.folders
    .map((f) =>
      [
        `${f.name}: ${f.files} files, ${f.chunks} chunks in ${(f.durationMs / 1000).toFixed(1)} s ` +
          `(${f.filesIndexed} indexed, ${f.filesRemoved} removed, ${f.filesUnchanged} unchanged), ` +
          `${mib(f.indexBytes)} on disk`,
        ...details(f),
      ].join('\n'),
    )
    .join('\n');
}

export function formatStatus(res: IndexStatusResult): string {
  return res.folders
    .map((f) =>
      [
        `${f.name} (${f.root}): ${f.state}, ${f.files} files, ${f.chunks} chunks, ${mib(f.sourceBytes)} of source, ` +
          `${mib(f.indexBytes)} on disk${f.builtAt ? `, built ${f.builtAt}` : ''}${f.complete ? '' : ' (incomplete)'}`,
        ...details(f),
      ].join('\n'),
    )
    .join('\n');
}

function details(f: IndexFolderStatus): string[] {
  const lines = [];
  const e = f.embeddings;
  if (e.model) lines.push(`  embeddings: ${e.model}, ${e.state}, ${e.chunks} chunks`);
  const { tooLarge, binary, overCap } = f.skipped;
  if (tooLarge || binary || overCap)
    lines.push(
      `  skipped: ${tooLarge} too large, ${binary} binary, ${overCap} over the cap${f.truncated ? ' (truncated)' : ''}`,
    );
  if (f.progress) lines.push(`  now: ${f.progress.phase} ${f.progress.done}/${f.progress.total}`);
  if (f.problem) lines.push(`  problem: ${f.problem.reason}: ${f.problem.message}`);
  return lines;
}

export function formatSearch(res: IndexSearchResult): string {
  if (!res.results.length) return 'No matches.';
  const many = res.folders.length > 1;
  return res.results
    .map((h, i) => {
      const flags = [
        h.privatePath && 'private path',
        h.privateCode && 'private code',
        h.secret && `secret: ${h.secretKinds.join(', ')}`,
      ].filter(Boolean);
      const where = `${many ? `${h.folder.name}/` : ''}${h.path}:${h.range.start.line + 1}-${h.range.end.line + 1}`;
      const head = `${i + 1}. ${where}  (${h.score.toFixed(3)}, ${h.matchedBy.join('+')})`;
      const lines = h.snippet.split('\n');
      const shown = lines.slice(0, 3).map((l) => `     ${l.slice(0, 110)}`);
      if (lines.length > 3) shown.push(`     … ${lines.length - 3} more lines`);
      return [flags.length ? `${head}  [${flags.join('; ')}]` : head, ...shown].join('\n');
    })
    .join('\n');
}
