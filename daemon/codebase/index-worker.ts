// A code-index worker thread: one workspace folder's WorkspaceIndex, run off the daemon's event
// loop. Walking, reading, chunking, BM25, saving, loading and searching all happen here; the
// daemon (index-worker-client.ts) only passes small validated messages (worker-protocol.ts). The
// embedding model is the daemon's (its model host), so embeddings are asked of the daemon.
// Bundled on its own (dist/daemon/index-worker.mjs, scripts/build.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import type { Logger, LogLevel } from '../log';
import { toSearchHits } from './search-hits';
import { removeIndex } from './store';
import {
  type BuildRequest,
  type FlushRequest,
  type FromWorker,
  type SearchRequest,
  type StatusRequest,
  ToWorker,
  WorkerInit,
} from './worker-protocol';
import { WorkspaceIndex, type Embedder } from './workspace-index';
import type { z } from 'zod';

const port = parentPort;
if (!port) throw new Error('index-worker runs as a worker thread (new Worker), not as a script');
const init = WorkerInit.parse(workerData);
const send = (m: FromWorker) => port.postMessage(m);

function workerLogger(base: Record<string, unknown>): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      send({ type: 'log', level, msg, fields: { ...base, ...fields } });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => workerLogger({ ...base, ...fields }),
  };
}
const log = workerLogger({});

/** Embed requests sent to the daemon, waiting for their answer. */
const embeds = new Map<number, { resolve(v: number[][]): void; reject(e: Error): void }>();
let nextEmbedId = 0;
const embedder: Embedder | undefined = init.embeddingModel
  ? {
      model: init.embeddingModel,
      embed: (texts, signal) =>
        new Promise<number[][]>((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason);
          const id = nextEmbedId++;
          const onAbort = () => {
            embeds.delete(id);
            send({ type: 'embedCancel', id });
            reject(signal!.reason);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          embeds.set(id, {
            resolve: (v) => {
              signal?.removeEventListener('abort', onAbort);
              resolve(v);
            },
            reject: (e) => {
              signal?.removeEventListener('abort', onAbort);
              reject(e);
            },
          });
          send({ type: 'embed', id, texts });
        }),
    }
  : undefined;

// The last worker of this folder crashed while loading: the saved index is the likely cause.
if (init.discardSaved) await removeIndex(init.dir);
const index = new WorkspaceIndex({
  root: init.root,
  dir: init.dir,
  config: init.config,
  embedder,
  logger: log,
  saveDelayMs: init.saveDelayMs,
});
index.onProgress((e) => send({ type: 'progress', ...e }));
// Loading starts now, so the first request finds it under way.
void index.ensureLoaded().then(() => send({ type: 'loaded' }));

/** Requests being answered, by id, so that a cancel can stop one. */
const running = new Map<number, AbortController>();

port.on('message', (raw: unknown) => {
  const parsed = ToWorker.safeParse(raw);
  if (!parsed.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    const message = `invalid message from the daemon: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
    log.error(message);
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0)
      send({ type: 'failed', id, code: ErrorCodes.InternalError, message });
    return;
  }
  const m = parsed.data;
  switch (m.type) {
    case 'cancel':
      running.get(m.id)?.abort(new GearboxError(ErrorCodes.RequestCancelled, 'Request cancelled'));
      return;
    case 'changes':
      index.notifyChanges(m.changes);
      return;
    case 'embedded':
      embeds.get(m.id)?.resolve(m.vectors);
      embeds.delete(m.id);
      return;
    case 'embedFailed':
      embeds.get(m.id)?.reject(new Error(m.message));
      embeds.delete(m.id);
      return;
    default:
      void answer(m);
  }
});

type Request = z.infer<typeof StatusRequest | typeof BuildRequest | typeof SearchRequest | typeof FlushRequest>;

async function answer(m: Request): Promise<void> {
  const ctrl = new AbortController();
  running.set(m.id, ctrl);
  const { signal } = ctrl;
  try {
    switch (m.type) {
      case 'status':
        await index.ensureLoaded();
        send({ type: 'status', id: m.id, status: index.status() });
        return;
      case 'build': {
        const outcome = await index.build({ force: m.force, exclude: m.exclude, signal });
        send({ type: 'build', id: m.id, status: index.status(), outcome });
        return;
      }
      case 'search': {
        const found = await index.search(m.query, m.k, signal);
        const hits = await toSearchHits(init.root, found.hits, m.privacy);
        if (signal.aborted) throw signal.reason;
        send({ type: 'search', id: m.id, hits, ranking: found.ranking, state: found.state });
        return;
      }
      case 'flush':
        await index.flush();
        send({ type: 'flush', id: m.id });
        return;
    }
  } catch (err) {
    const cancelled = signal.aborted;
    send({
      type: 'failed',
      id: m.id,
      code: cancelled ? ErrorCodes.RequestCancelled : err instanceof GearboxError ? err.code : ErrorCodes.InternalError,
      message: cancelled ? 'Request cancelled' : err instanceof Error ? err.message : String(err),
    });
  } finally {
    running.delete(m.id);
  }
}
