// Messages between the daemon (index-worker-client.ts) and a code-index worker thread
// (index-worker.ts), one schema each. Both ends validate every message they receive: a bug on one
// side shows up as a clear error, never as undefined fields. Like the model host's IPC
// (model-host/messages.ts), this is internal to the daemon, so it lives here and not in shared/.
// The worker's answers reuse the client protocol's shapes (shared/protocol.ts) where they are the same.
import { z } from 'zod';
import { IndexPhase, IndexSearchHit, IndexState, IndexStatus, WorkspaceSettings } from '../../shared/protocol';
import { CodebaseIndexConfigSchema } from '../config';

const RequestId = z.number().int().nonnegative();
const count = z.number().int().nonnegative();

/** What a worker is started with (its workerData). */
export const WorkerInit = z.object({
  root: z.string().min(1),
  /** This folder's directory in the index cache. */
  dir: z.string().min(1),
  config: CodebaseIndexConfigSchema,
  /** The local embedding model; the worker asks the daemon to run it (the model host is the daemon's). */
  embeddingModel: z.string().nullable(),
  /** The last worker crashed while loading this index: drop it and start over instead of crashing again. */
  discardSaved: z.boolean(),
  saveDelayMs: z.number().int().nonnegative().optional(),
});
export type WorkerInit = z.infer<typeof WorkerInit>;

// ---------- daemon → worker ----------

export const StatusRequest = z.object({ type: z.literal('status'), id: RequestId });
export const BuildRequest = z.object({
  type: z.literal('build'),
  id: RequestId,
  force: z.boolean(),
  exclude: z.array(z.string().max(1000)).max(2000),
});
export const SearchRequest = z.object({
  type: z.literal('search'),
  id: RequestId,
  query: z.string().min(1).max(2000),
  k: z.number().int().min(1).max(100),
  /** What the privacy flags of the results are judged by (the connection's settings). */
  privacy: WorkspaceSettings.pick({ privatePaths: true, privateCode: true }),
});
/** Writes unsaved changes now. */
export const FlushRequest = z.object({ type: z.literal('flush'), id: RequestId });
/** Stops request `id`; the worker answers it (with a 'cancelled' failure) once it has stopped. */
export const CancelMessage = z.object({ type: z.literal('cancel'), id: RequestId });
/** Watched-file changes (workspace-relative paths). */
export const ChangesMessage = z.object({
  type: z.literal('changes'),
  changes: z.array(z.object({ rel: z.string().min(1).max(4096), deleted: z.boolean() })).max(100_000),
});
/** The daemon's answer to an EmbedRequest. */
export const EmbedResult = z.object({
  type: z.literal('embedded'),
  id: RequestId,
  vectors: z.array(z.array(z.number())).max(64),
});
export const EmbedFailure = z.object({ type: z.literal('embedFailed'), id: RequestId, message: z.string() });

export const ToWorker = z.discriminatedUnion('type', [
  StatusRequest,
  BuildRequest,
  SearchRequest,
  FlushRequest,
  CancelMessage,
  ChangesMessage,
  EmbedResult,
  EmbedFailure,
]);
export type ToWorker = z.infer<typeof ToWorker>;
/** The requests the worker answers, without their id (the client numbers them). */
export type WorkerRequest =
  | Omit<z.infer<typeof StatusRequest>, 'id'>
  | Omit<z.infer<typeof BuildRequest>, 'id'>
  | Omit<z.infer<typeof SearchRequest>, 'id'>
  | Omit<z.infer<typeof FlushRequest>, 'id'>;

// ---------- worker → daemon ----------

export const BuildOutcome = z.object({
  filesIndexed: count,
  filesRemoved: count,
  filesUnchanged: count,
  durationMs: z.number().nonnegative(),
});
export type BuildOutcome = z.infer<typeof BuildOutcome>;

export const StatusAnswer = z.object({ type: z.literal('status'), id: RequestId, status: IndexStatus });
export const BuildAnswer = z.object({
  type: z.literal('build'),
  id: RequestId,
  status: IndexStatus,
  outcome: BuildOutcome,
});
/** Hits as the client gets them, less the folder (the daemon knows its name). */
export const WorkerHit = IndexSearchHit.omit({ folder: true });
export type WorkerHit = z.infer<typeof WorkerHit>;
export const SearchAnswer = z.object({
  type: z.literal('search'),
  id: RequestId,
  hits: z.array(WorkerHit).max(100),
  ranking: z.enum(['bm25', 'hybrid']),
  state: IndexState,
});
export const FlushAnswer = z.object({ type: z.literal('flush'), id: RequestId });
/** Request `id` failed: `code` is a JSON-RPC code from ErrorCodes (RequestCancelled after a cancel). */
export const FailureAnswer = z.object({
  type: z.literal('failed'),
  id: RequestId,
  code: z.number().int(),
  message: z.string(),
});
export const ProgressMessage = z.object({
  type: z.literal('progress'),
  phase: IndexPhase,
  done: count,
  total: count,
  filesIndexed: count,
});
/** The worker asks the daemon to embed texts with the local embedding model. */
export const EmbedRequest = z.object({
  type: z.literal('embed'),
  id: RequestId,
  texts: z.array(z.string().max(100_000)).min(1).max(64),
});
/** The worker no longer wants embed request `id` (its build was cancelled). */
export const EmbedCancel = z.object({ type: z.literal('embedCancel'), id: RequestId });
/** The saved index has been read (or found missing or unusable): a crash from now on is not the load's. */
export const LoadedMessage = z.object({ type: z.literal('loaded') });
export const LogMessage = z.object({
  type: z.literal('log'),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

export const FromWorker = z.discriminatedUnion('type', [
  StatusAnswer,
  BuildAnswer,
  SearchAnswer,
  FlushAnswer,
  FailureAnswer,
  ProgressMessage,
  EmbedRequest,
  EmbedCancel,
  LoadedMessage,
  LogMessage,
]);
export type FromWorker = z.infer<typeof FromWorker>;
export type ProgressMessage = z.infer<typeof ProgressMessage>;

/** The answer each request gets when it succeeds. */
export type AnswerTo<R extends WorkerRequest> = Extract<
  | z.infer<typeof StatusAnswer>
  | z.infer<typeof BuildAnswer>
  | z.infer<typeof SearchAnswer>
  | z.infer<typeof FlushAnswer>,
  { type: R['type'] }
>;
