// Entry of the model host child process (forked by ModelHostClient). Local inference runs here so that
// a native crash or an out-of-memory kill in llama.cpp takes down only this process, and so that the
// process running third-party native code never sees the daemon's API keys.
import v8 from 'node:v8';
import vm from 'node:vm';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import { FrameThrottle } from '../frame-throttle';
import { EmbeddingHost } from './embedding';
import { ParentMessage, type ChildMessage, type ConfigureMessage } from './messages';
import { ModelLoader, errorMessage, type LogFn } from './model-loader';
import { Sequences } from './sequences';
import { Vocabularies } from './vocab';

if (!process.send) {
  process.stderr.write('model-host: must be started by the Gearbox daemon (child_process.fork with an IPC channel)\n');
  process.exit(2);
}

function send(msg: ChildMessage): void {
  // The channel closes when the parent dies; there is nobody left to tell.
  if (process.connected) process.send!(msg);
}

const log: LogFn = (level, msg, fields) => send({ type: 'log', level, msg, fields });

/** Set by the first `configure`: the loaded models, and the work on their sequences. */
let host: { loader: ModelLoader; sequences: Sequences } | undefined;
let embedder: EmbeddingHost | undefined;
let vocabs: Vocabularies | undefined;
/** Requests running here; `abortAt` is set when the parent aborted one (reported back once it stopped). */
const running = new Map<number, { controller: AbortController; kind: string; abortAt?: number }>();
/** Epoch ms with sub-ms precision, comparable across processes on this machine. */
const now = () => performance.timeOrigin + performance.now();

function abortError(): Error {
  const err = new Error('The request was aborted');
  err.name = 'AbortError';
  return err;
}

function sendError(id: number, err: unknown): void {
  if (err instanceof GearboxError) {
    send({ type: 'error', id, code: err.code, name: err.name, message: err.message });
  } else if (err instanceof Error && err.name === 'AbortError') {
    send({ type: 'error', id, code: ErrorCodes.RequestCancelled, name: 'AbortError', message: err.message });
  } else {
    send({
      type: 'error',
      id,
      code: ErrorCodes.InternalError,
      name: err instanceof Error ? err.name : 'Error',
      message: errorMessage(err),
    });
  }
}

/**
 * node-llama-cpp frees some native buffers of a generation (about one vocab-sized array each) only
 * when V8 collects their small JS wrappers, and this process's JS heap is too small for V8 to collect
 * often: the soak saw RSS climb ~0.5 MiB per request to 1.6 GiB before a major GC. So collect after
 * every GC_EVERY generations, and when the host goes idle; a GC of this small heap takes a few ms.
 */
const GC_EVERY = 32;
let generations = 0;
let gcTimer: NodeJS.Timeout | undefined;
const collect: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();
function afterGeneration(): void {
  if (!collect) return;
  generations++;
  if (generations % GC_EVERY === 0) collect();
  else if (running.size === 0) {
    clearTimeout(gcTimer);
    gcTimer = setTimeout(() => running.size === 0 && collect(), 1000);
    gcTimer.unref();
  }
}

/** Streamed text of request `id`: at most one delta message per frame, however fast the model decodes. */
function deltas(id: number): FrameThrottle {
  return new FrameThrottle((text) => send({ type: 'delta', id, text }));
}

/**
 * Runs one request with its own AbortController, replying with a result or an error (after the
 * rest of its streamed text, if any).
 */
async function serve(
  id: number,
  kind: string,
  task: (signal: AbortSignal) => Promise<unknown>,
  stream?: FrameThrottle,
): Promise<void> {
  const controller = new AbortController();
  const entry: { controller: AbortController; kind: string; abortAt?: number } = { controller, kind };
  running.set(id, entry);
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await task(controller.signal) };
  } catch (err) {
    outcome = { error: controller.signal.aborted ? controller.signal.reason : err };
  }
  running.delete(id);
  stream?.flush();
  if (kind === 'chat' || kind === 'complete') afterGeneration();
  // The work (generation, sequence release) has settled: tell the parent how long the abort took,
  // before the reply, so that a reply without a `stopped` before it means the abort came too late.
  if (entry.abortAt !== undefined) send({ type: 'stopped', id, kind, abortAt: entry.abortAt, stoppedAt: now() });
  if ('value' in outcome) send({ type: 'result', id, value: outcome.value ?? null });
  else sendError(id, outcome.error);
}

function configured(): { loader: ModelLoader; sequences: Sequences } {
  if (!host) throw new GearboxError(ErrorCodes.InternalError, 'model host used before it was configured');
  return host;
}

function configure(msg: ConfigureMessage): void {
  if (host) return;
  const loader = new ModelLoader(msg, log);
  host = { loader, sequences: new Sequences(loader, log) };
  loader.onLoadedChanged(() => send({ type: 'loadedModels', ids: loader.loadedModels().map((m) => m.config.id) }));
  embedder = new EmbeddingHost(msg, log, () => loader.getLlama());
  vocabs = new Vocabularies(
    msg,
    log,
    (id) => loader.loaded(id)?.model,
    () => loader.getLlama(),
  );
  // Start the native backend now so the first request and status() need not wait for it.
  loader.getLlama().then(
    (llama) => log('info', 'llama.cpp backend ready', { gpu: llama.gpu || 'cpu', threads: msg.threads }),
    (err) => log('error', 'llama.cpp backend failed to start', { error: errorMessage(err) }),
  );
}

let shuttingDown = false;
async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const r of running.values()) r.controller.abort(abortError());
  await embedder?.dispose().catch(() => {});
  await vocabs?.dispose().catch(() => {});
  await host?.loader.dispose().catch(() => {});
  process.exit(0);
}

function onMessage(raw: unknown): void {
  const parsed = ParentMessage.safeParse(raw);
  if (!parsed.success) {
    log('error', 'invalid message from the daemon', { issues: parsed.error.issues.slice(0, 5) });
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === 'number')
      send({
        type: 'error',
        id,
        code: ErrorCodes.InvalidParams,
        name: 'Error',
        message: `invalid model host message: ${parsed.error.message}`,
      });
    return;
  }
  const msg = parsed.data;
  const progress = (id: number) => {
    // llama.cpp reports load progress per tensor; a message per percent is plenty
    let last = { phase: '', percent: -1 };
    return (phase: 'download' | 'load', p: number) => {
      const percent = Math.floor(Math.max(0, Math.min(1, p)) * 100);
      if (phase === last.phase && percent === last.percent) return;
      last = { phase, percent };
      send({ type: 'progress', id, phase, progress: percent / 100 });
    };
  };
  switch (msg.type) {
    case 'configure':
      return configure(msg);
    case 'load':
      void serve(msg.id, msg.type, async () => {
        await configured().loader.load(msg.modelId, progress(msg.id));
        return null;
      });
      return;
    case 'complete': {
      const stream = deltas(msg.id);
      void serve(
        msg.id,
        msg.type,
        (signal) => configured().sequences.complete(msg.req, (text) => stream.push(text), signal, progress(msg.id)),
        stream,
      );
      return;
    }
    case 'prefill':
      void serve(msg.id, msg.type, (signal) => configured().sequences.prefill(msg.req, signal));
      return;
    case 'chat': {
      const stream = deltas(msg.id);
      void serve(
        msg.id,
        msg.type,
        (signal) => configured().sequences.chat(msg.req, (text) => stream.push(text), signal, progress(msg.id)),
        stream,
      );
      return;
    }
    case 'embed':
      void serve(msg.id, msg.type, (signal) => {
        configured();
        return embedder!.embed(msg.req, signal);
      });
      return;
    case 'tokenize':
      void serve(msg.id, msg.type, (signal) => {
        configured();
        return vocabs!.tokenize(msg.req, signal);
      });
      return;
    case 'unload':
      void serve(msg.id, msg.type, async () => {
        await configured().loader.unload(msg.modelId);
        return null;
      });
      return;
    case 'releaseSession':
      void serve(msg.id, msg.type, async () => {
        await configured().sequences.releaseSession(msg.sessionKeyPrefix);
        return null;
      });
      return;
    case 'status':
      void serve(msg.id, msg.type, async () => {
        const { loader, sequences } = configured();
        return {
          ...(await loader.status((m) => sequences.sessionCount(m))),
          inFlight: [...running.keys()].filter((k) => k !== msg.id).length,
        };
      });
      return;
    case 'hardware':
      void serve(msg.id, msg.type, () => configured().loader.hardware());
      return;
    case 'setModels':
      void Promise.all([
        configured().loader.setModels(msg.models),
        embedder?.setModels(msg.models),
        vocabs?.setModels(msg.models),
      ]).catch((err) => log('warn', 'updating the model list failed', { error: errorMessage(err) }));
      return;
    case 'abort': {
      const r = running.get(msg.id);
      if (r && r.abortAt === undefined) {
        r.abortAt = now();
        r.controller.abort(abortError());
      }
      return;
    }
    case 'shutdown':
      void shutdown();
      return;
  }
}

process.on('message', onMessage);
// The daemon is gone (crashed or killed): an orphaned host would hold gigabytes of RAM for nobody.
process.on('disconnect', () => void shutdown());
process.on('unhandledRejection', (reason) =>
  log('error', 'unhandled rejection in the model host', { error: errorMessage(reason) }),
);
send({ type: 'hello', pid: process.pid });
