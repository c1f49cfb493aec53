// One connection's gearbox/index/* requests, its file-change notifications and its progress: the
// index of the client's workspace folder is built, searched and kept fresh from here. Progress
// goes out as gearbox/index/progress and, when the client supports it, as window/workDoneProgress
// (VS Code shows that in the status bar). File watching is registered with the client once an
// index exists, so no extension code is needed to keep it fresh.
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
  type IndexProgressParams,
  type LspParamsOf,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
  type WorkspaceSettings,
} from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import type { Logger } from '../log';
import { requestSignal, timeoutError } from '../rpc-errors';
import type { CodebaseIndexes } from './indexes';
import { toSearchHits } from './search-hits';
import type { ProgressEvent, WorkspaceIndex } from './workspace-index';

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
  /** The client's state, read on each request (settings change over a connection's life). */
  client: () => {
    root: string | undefined;
    settings: WorkspaceSettings;
    capabilities: ClientCapabilities | undefined;
  };
}

/** VS Code's files.exclude: glob → true (excluded), false, or a `when` clause (not evaluated: kept). */
const FilesExclude = z.record(z.string(), z.union([z.boolean(), z.object({ when: z.string() })]));

const DEFAULT_K = 10;

export function registerCodebaseHandlers(deps: CodebaseSessionDeps): { dispose(): void } {
  const { conn, indexes, log, handle } = deps;
  const aborts = new Set<() => void>();
  let subscribed: { index: WorkspaceIndex; unsubscribe: () => void } | undefined;
  let watching = false;
  let closed = false;

  const indexOf = (): WorkspaceIndex => {
    const { root } = deps.client();
    if (!root)
      throw new GearboxError(
        ErrorCodes.NoWorkspaceFolder,
        'Code search needs a workspace folder on this machine (the client sent no file: workspace folder)',
      );
    const index = indexes.get(root);
    if (subscribed?.index !== index) {
      subscribed?.unsubscribe();
      subscribed = { index, unsubscribe: index.onProgress(progressReporter(index.root)) };
    }
    return index;
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

  handle('gearbox/index/status', async () => {
    const index = indexOf();
    await index.ensureLoaded();
    return index.status();
  });

  handle('gearbox/index/build', (p, token) => {
    const index = indexOf();
    return withSignal(token, indexes.config.buildTimeoutMs, 'Indexing', async (signal) => {
      const exclude = [...deps.client().settings.index.exclude, ...(await filesExclude(index.root))];
      const outcome = await index.build({ force: p?.force, exclude, signal });
      void watchFiles();
      return { ...index.status(), ...outcome };
    });
  });

  handle('gearbox/index/search', (p, token) => {
    const index = indexOf();
    return withSignal(token, indexes.config.searchTimeoutMs, 'Code search', async (signal) => {
      const found = await index.search(p.query, p.k ?? DEFAULT_K, signal);
      if (found.state !== 'none') void watchFiles();
      const results = await toSearchHits(index.root, found.hits, deps.client().settings);
      return { results, ranking: found.ranking, state: found.state };
    });
  });

  deps.lspNotification('workspace/didChangeWatchedFiles', (p) => {
    const { root } = deps.client();
    if (!root) return;
    const prefix = root.endsWith('/') ? root : `${root}/`;
    const changes = [];
    for (const c of p.changes) {
      const file = fromFileUri(c.uri);
      if (!file?.startsWith(prefix)) continue;
      changes.push({ rel: file.slice(prefix.length).replace(/\\/g, '/'), deleted: c.type === FileChangeType.Deleted });
    }
    if (changes.length) indexes.get(root).notifyChanges(changes);
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

  /** Asks the client to send file changes under the workspace (once per connection). */
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
      subscribed?.unsubscribe();
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
