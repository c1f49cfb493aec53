// One connection's gearbox/index/* requests, its file-change notifications and its progress: the
// indexes of the client's workspace folders (every folder of a multi-root workspace has its own)
// are built, searched and kept fresh from here. Builds go folder by folder; a search asks every
// folder and merges the results by score, each naming its folder. Progress goes out as
// gearbox/index/progress and, when the client supports it, as window/workDoneProgress (VS Code
// shows that in the status bar). File watching is registered with the client once an index
// exists, so no extension code is needed to keep it fresh. The indexes themselves live in worker
// threads (folder-index.ts): nothing here holds the event loop.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DidChangeWatchedFilesNotification,
  FileChangeType,
  type CancellationToken,
  type ClientCapabilities,
  type Connection,
} from 'vscode-languageserver';
import { z } from 'zod';
import {
  ErrorCodes,
  type IndexFolderBuild,
  type IndexProgressParams,
  type LspParamsOf,
  type IndexSearchHit,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
  type WorkspaceSettings,
} from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import type { Logger } from '../log';
import { requestSignal, timeoutError } from '../rpc-errors';
import type { FolderIndex } from './folder-index';
import type { CodebaseIndexes } from './indexes';
import { snippetSizer } from '../tokens/snippet-tokens';
import type { ProgressEvent } from './workspace-index';

type Handle = <M extends RequestMethod>(
  method: M,
  fn: (params: ParamsOf<M>, token: CancellationToken) => Promise<ResultOf<M>>,
) => void;

export interface CodebaseSessionDeps {
  conn: Connection;
  indexes: CodebaseIndexes;
  log: Logger;
  /** Session.handle: validates params and result against the protocol. */
  handle: Handle;
  /** Session.lspNotification: validates a standard notification's params (a bad one is ignored). */
  lspNotification: (
    method: 'workspace/didChangeWatchedFiles',
    fn: (params: LspParamsOf<'workspace/didChangeWatchedFiles'>) => void,
  ) => void;
  /** The client's state, read on each request (settings and folders change over a connection's life). */
  client: () => {
    /** Its local workspace folders, in the editor's order. */
    folders: readonly WorkspaceFolder[];
    settings: WorkspaceSettings;
    capabilities: ClientCapabilities | undefined;
  };
}

export interface WorkspaceFolder {
  /** A local path. */
  root: string;
  /** The name the editor shows. */
  name: string;
}

/** VS Code's files.exclude: glob → true (excluded), false, or a `when` clause (not evaluated: kept). */
const FilesExclude = z.record(z.string(), z.union([z.boolean(), z.object({ when: z.string() })]));

const DEFAULT_K = 10;

export function registerCodebaseHandlers(deps: CodebaseSessionDeps): { dispose(): void } {
  const { conn, indexes, log, handle } = deps;
  const aborts = new Set<() => void>();
  /** Progress subscriptions, one per folder index this connection uses. */
  const subscribed = new Map<FolderIndex, () => void>();
  let watching = false;
  let closed = false;

  /** The connection's folders (or the one `folder` names), each with its index. */
  const foldersOf = (folder?: string): { index: FolderIndex; name: string }[] => {
    const { folders } = deps.client();
    if (!folders.length)
      throw new GearboxError(
        ErrorCodes.NoWorkspaceFolder,
        'Code search needs a workspace folder on this machine (the client sent no file: workspace folder)',
      );
    let chosen = folders;
    if (folder !== undefined) {
      const wanted = path.resolve(fromFileUri(folder) ?? folder);
      chosen = folders.filter((f) => path.resolve(f.root) === wanted);
      if (!chosen.length)
        throw new GearboxError(
          ErrorCodes.InvalidParams,
          `${folder} is not a workspace folder of this client (${folders.map((f) => f.root).join(', ')})`,
        );
    }
    const current = new Set(folders.map((f) => indexes.get(f.root)));
    for (const [index, unsubscribe] of subscribed)
      if (!current.has(index)) {
        unsubscribe();
        subscribed.delete(index);
      }
    return chosen.map((f) => {
      const index = indexes.get(f.root);
      if (!subscribed.has(index)) subscribed.set(index, index.onProgress(progressReporter(index.root)));
      return { index, name: f.name };
    });
  };

  const withSignal = async <T>(
    token: CancellationToken,
    timeoutMs: number,
    what: string,
    fn: (s: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const rs = requestSignal(token, timeoutMs);
    aborts.add(rs.abort);
    try {
      return await fn(rs.signal);
    } catch (err) {
      if (rs.timedOut()) throw timeoutError(what, timeoutMs);
      throw err;
    } finally {
      aborts.delete(rs.abort);
      rs.dispose();
    }
  };

  handle('gearbox/index/status', async (p) => {
    const folders = foldersOf(p?.folder);
    return {
      folders: await Promise.all(folders.map(async ({ index, name }) => ({ ...(await index.status()), name }))),
    };
  });

  handle('gearbox/index/build', (p, token) => {
    const folders = foldersOf(p?.folder);
    return withSignal(token, indexes.config.buildTimeoutMs, 'Indexing', async (signal) => {
      const started = performance.now();
      const built: IndexFolderBuild[] = [];
      // One folder at a time: their workers would only compete for the same cores and disk.
      for (const { index, name } of folders) {
        const exclude = [...deps.client().settings.index.exclude, ...(await filesExclude(index.root))];
        const { status, outcome } = await index.build({ force: p?.force, exclude, signal });
        built.push({ ...status, name, ...outcome });
      }
      void watchFiles();
      return { folders: built, durationMs: performance.now() - started };
    });
  });

  handle('gearbox/index/search', (p, token) => {
    const folders = foldersOf(p.folder);
    return withSignal(token, indexes.config.searchTimeoutMs, 'Code search', async (signal) => {
      const k = p.k ?? DEFAULT_K;
      const { settings } = deps.client();
      const answers = await Promise.all(
        folders.map(async ({ index, name }) => {
          const folder = { root: index.root, name };
          try {
            return { folder, found: await index.search(p.query, k, settings, signal) };
          } catch (err) {
            // A folder never indexed has nothing to add; the others still answer.
            if (err instanceof GearboxError && err.code === ErrorCodes.IndexNotBuilt) return { folder };
            throw err;
          }
        }),
      );
      if (!answers.some((a) => a.found))
        throw new GearboxError(
          ErrorCodes.IndexNotBuilt,
          `${folders.map((f) => f.index.root).join(', ')}: no code index yet: build it first (gearbox/index/build)`,
        );
      void watchFiles();
      // BM25 scores of different folders are on one scale (same formula, similar corpora): merged by score.
      const results: IndexSearchHit[] = answers
        .flatMap(({ folder, found }) => (found ? found.hits.map((h) => ({ folder, ...h })) : []))
        .sort((a, b) => b.score - a.score)
        .slice(0, k);
      // Sized here, not in the workers: the tokenizer's ranks load once, in the daemon.
      const size = await snippetSizer();
      for (const r of results) Object.assign(r, size(r.snippet));
      return {
        results,
        ranking: answers.some((a) => a.found?.ranking === 'hybrid') ? 'hybrid' : 'bm25',
        folders: answers.map(({ folder, found }) => ({ ...folder, state: found?.state ?? 'none' })),
      };
    });
  });

  deps.lspNotification('workspace/didChangeWatchedFiles', (p) => {
    const { folders } = deps.client();
    // A file in nested folders belongs to each of their indexes.
    const byRoot = new Map<string, { rel: string; deleted: boolean }[]>();
    for (const c of p.changes) {
      const file = fromFileUri(c.uri);
      if (!file) continue;
      for (const { root } of folders) {
        const prefix = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
        if (!file.startsWith(prefix)) continue;
        const rel = file.slice(prefix.length).split(path.sep).join('/');
        byRoot.set(root, [...(byRoot.get(root) ?? []), { rel, deleted: c.type === FileChangeType.Deleted }]);
      }
    }
    for (const [root, changes] of byRoot) indexes.get(root).notifyChanges(changes);
  });

  /** The client's files.exclude for the folder (VS Code answers any section, not only gearbox's). */
  async function filesExclude(root: string): Promise<string[]> {
    if (!deps.client().capabilities?.workspace?.configuration) return [];
    try {
      const [section] = await conn.workspace.getConfiguration([
        { section: 'files.exclude', scopeUri: pathToFileURL(root).href },
      ]);
      const parsed = FilesExclude.safeParse(section ?? {});
      return parsed.success ? Object.keys(parsed.data).filter((g) => parsed.data[g] !== false) : [];
    } catch (err) {
      log.debug('files.exclude not available', { error: (err as Error).message });
      return [];
    }
  }

  /** Asks the client to send file changes under the workspace folders (once per connection). */
  async function watchFiles(): Promise<void> {
    if (watching || closed) return;
    if (!deps.client().capabilities?.workspace?.didChangeWatchedFiles?.dynamicRegistration) return;
    watching = true;
    try {
      await conn.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*' }] });
    } catch (err) {
      watching = false;
      log.warn('file watching registration failed', { error: (err as Error).message });
    }
  }

  function progressReporter(root: string): (e: ProgressEvent) => void {
    let bar: Promise<{ report(p: number, m?: string): void; done(): void } | undefined> | undefined;
    return (e) => {
      if (closed) return;
      const params: IndexProgressParams = { root, ...e };
      void conn.sendNotification('gearbox/index/progress', params).catch(() => {});
      // A one-file update is too quick to be worth a status bar entry.
      if (e.phase === 'updated' || !deps.client().capabilities?.window?.workDoneProgress) return;
      const finished = e.phase === 'done' || e.phase === 'cancelled' || e.phase === 'failed';
      if (!bar && finished) return;
      bar ??= conn.window
        .createWorkDoneProgress()
        .then((r) => {
          r.begin('Gearbox: indexing', 0, undefined, false);
          return r;
        })
        .catch(() => undefined);
      const current = bar;
      void current.then((r) => {
        if (!r) return;
        if (finished) r.done();
        else r.report(e.total ? Math.round((e.done / e.total) * 100) : 0, progressMessage(e));
      });
      if (finished) bar = undefined;
    };
  }

  return {
    dispose() {
      closed = true;
      for (const abort of aborts) abort();
      for (const unsubscribe of subscribed.values()) unsubscribe();
      subscribed.clear();
    },
  };
}

function progressMessage(e: ProgressEvent): string {
  switch (e.phase) {
    case 'scanning':
      return `scanning (${e.done} files)`;
    case 'indexing':
      return `${e.done}/${e.total} files`;
    case 'embedding':
      return `embedding ${e.done}/${e.total} chunks`;
    default:
      return e.phase;
  }
}

function fromFileUri(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}
