// Cancellation through the daemon, end to end: an in-process daemon with the real model host (the
// generated tiny model, `local/tiny`) and a fake closed provider (`fake/m`). Each scenario starts a
// request, cancels it (or drops its client) mid-stream and reports what happened upstream, with the
// timestamps of each step. test/integration/cancellation.test.ts asserts what happened;
// bench/cancel-latency.ts reports how long it took.
//
// The model host runs with threads: 1. With threads: 2 on a 2-core machine that something else is
// also using, ggml's thread barrier makes single tokens take ~180-190 ms now and then, and a stop
// waits for the token being decoded.
import fs from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource, type DaemonClient } from '../../daemon/cli/client';
import type { AbortStopped, ModelHostClient, ModelHostClientStatus } from '../../daemon/model-host/client';
import type { WorkspaceSettings } from '../../shared/protocol';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { AbortRecord, FakeServer, RecordedRequest } from '../fakes/fake-server';
import { makeTestModel } from '../fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from './daemon-harness';

/** The closed provider's answer: long enough that no cancel comes after its end. */
export const REMOTE_CHUNKS = 400;
const LONG_ANSWER = Array.from({ length: REMOTE_CHUNKS }, (_, i) => `word${i}`).join(' ');
export const LOCAL_CHAT_MAX_TOKENS = 2000;
const uri = 'file:///work/cancel/demo.py';
// The cursor goes on the empty indented line: a multi-line completion (128 tokens, no newline stop).
const docText = 'import os\n\ndef walk(root):\n    \n';
const cursor = { line: 3, character: 4 };

/** Epoch ms with sub-ms precision, comparable with the model host child's timestamps. */
export const epochNow = () => performance.timeOrigin + performance.now();

/** A cancelled request to the local model. */
export interface LocalCancel {
  /** The JSON-RPC error code the client's request was rejected with; undefined if it resolved. */
  errorCode: number | undefined;
  /** The token budget of the request. */
  maxTokens: number;
  /** Text deltas the model host generated for the request, in all. */
  deltas: number;
  /** The model host's report that the aborted generation stopped; undefined if it had ended by itself. */
  stopped: AbortStopped | undefined;
  /** Epoch ms of the cancel. */
  cancelAt: number;
}

/** A cancelled request to the closed provider. */
export interface RemoteCancel {
  errorCode: number | undefined;
  /** The provider's record of the client hanging up; undefined if the stream ran to its end. */
  hangUp: AbortRecord | undefined;
  /** performance.now() of the cancel (the fake's clock). */
  cancelAt: number;
}

/** A client that disconnected mid-chat: what the upstream saw. */
export interface Disconnect {
  model: string;
  /** The provider's hang-up (fake/m) or the model host's stop report (local/tiny); undefined: none. */
  upstream: AbortRecord | AbortStopped | undefined;
  /** Epoch ms of the close. */
  closeAt: number;
}

/** What the daemon and the model host still hold once things have settled. */
export interface Leftovers {
  host: Pick<ModelHostClientStatus, 'liveSequences' | 'inFlight' | 'pending'>;
  daemonSessions: number;
}

export interface CancelRig {
  daemon: TestDaemon;
  fake: FakeServer;
  host: ModelHostClient;
  connect(settings?: Partial<WorkspaceSettings>): Promise<DaemonClient>;
  localChat(c: DaemonClient, run: number): Promise<LocalCancel>;
  /** `c` must have opened the document first (openDocument). */
  localCompletion(c: DaemonClient, run: number): Promise<LocalCancel & { multiLine: boolean }>;
  remoteChat(c: DaemonClient, run: number): Promise<RemoteCancel>;
  /** `c` must have opened the document first (openDocument). */
  remoteCompletion(c: DaemonClient): Promise<RemoteCancel>;
  disconnectMidChat(model: 'fake/m' | 'local/tiny'): Promise<Disconnect>;
  openDocument(c: DaemonClient): Promise<void>;
  /** Waits until nothing runs in the model host and no client is connected (or 30 s passed). */
  quiesce(): Promise<Leftovers>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function errorCodeOf(p: Promise<unknown>): Promise<number | undefined> {
  return p.then(
    () => undefined,
    (e: { code?: number }) => e.code ?? Number.NaN,
  );
}

export async function startCancelRig(): Promise<CancelRig> {
  const modelPath = makeTestModel({ shape: 'tiny' });
  const fake = await startFakeOpenAI();
  fake.setScript(() => ({ kind: 'reply', text: LONG_ANSWER, delayMs: 10 }));
  const dir = tempDir('gearbox-cancel-');
  const daemon = await startTestDaemon(
    {
      localModels: [{ id: 'local/tiny', source: modelPath, contextSize: 2048, tier: 0 }],
      modelDirs: [path.dirname(modelPath)],
      modelsDir: dir,
      threads: 1,
      gpu: false,
      idleUnloadMinutes: 60,
      providers: [
        { id: 'fake', kind: 'openai-compatible', baseUrl: fake.url, noKey: true, models: [{ name: 'm', tier: 1 }] },
      ],
    },
    { ledgerPath: null, logLevel: 'info' },
  );
  const host = daemon.engine.modelHost as ModelHostClient;

  // Count the model host's deltas (the daemon does not stream completions to the client) and cancel
  // mid-generation on them. One request runs at a time, so a count per kind is the request's.
  const deltaListeners = new Set<(kind: 'chat' | 'complete', maxTokens: number) => void>();
  const complete = host.complete.bind(host);
  host.complete = (req, onDelta, signal) =>
    complete(
      req,
      (t) => {
        for (const fn of deltaListeners) fn('complete', req.maxTokens);
        onDelta(t);
      },
      signal,
    );
  const chat = host.chat.bind(host);
  host.chat = (req, onDelta, signal) =>
    chat(
      req,
      (t) => {
        for (const fn of deltaListeners) fn('chat', req.maxTokens);
        onDelta(t);
      },
      signal,
    );

  /** Counts the deltas of `kind`; `third` resolves on the third, when a cancel lands mid-generation. */
  const countDeltas = (kind: 'chat' | 'complete') => {
    const counter = { n: 0, maxTokens: 0, third: undefined as unknown as Promise<void>, off: () => {} };
    counter.third = new Promise<void>((resolve) => {
      const on = (k: string, maxTokens: number) => {
        if (k !== kind) return;
        counter.maxTokens = maxTokens;
        if (++counter.n === 3) resolve();
      };
      deltaListeners.add(on);
      counter.off = () => deltaListeners.delete(on);
    });
    return counter;
  };

  /** The model host's stop reports of this kind from now on. */
  const watchStops = (kind: string) => {
    const seen: AbortStopped[] = [];
    const off = host.onAbortStopped((e) => {
      if (e.kind === kind) seen.push(e);
    });
    return { seen, off };
  };

  /**
   * Resolves once the model host runs nothing for us. Its status reply comes after the `stopped`
   * report of an aborted request (the child sends them in that order), so a stop is known by then.
   */
  const hostIdle = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = await host.status();
      if ((st.inFlight === 0 && st.pending === 0) || Date.now() > deadline) return;
      await sleep(10);
    }
  };

  /** Cancels a local request on its third delta; what the model host did about it. */
  const cancelLocal = async (
    kind: 'chat' | 'complete',
    start: (cts: CancellationTokenSource) => Promise<unknown>,
  ): Promise<LocalCancel> => {
    const deltas = countDeltas(kind);
    const stops = watchStops(kind);
    try {
      const cts = new CancellationTokenSource();
      const p = start(cts);
      const code = errorCodeOf(p);
      const early = await Promise.race([
        deltas.third.then(() => false),
        p.then(
          () => true,
          () => true,
        ),
      ]);
      if (early) throw new Error(`the local ${kind} ended before it could be cancelled`);
      const cancelAt = epochNow();
      cts.cancel();
      const errorCode = await code;
      await hostIdle();
      return { errorCode, maxTokens: deltas.maxTokens, deltas: deltas.n, stopped: stops.seen[0], cancelAt };
    } finally {
      deltas.off();
      stops.off();
    }
  };

  /** Resolves with the provider's record of the next hang-up, or undefined when a stream ends whole. */
  const nextHangUp = (): Promise<AbortRecord | undefined> =>
    new Promise((resolve) => {
      const onAbort = (rec: AbortRecord) => done(rec);
      const onChunk = (_req: RecordedRequest, sent: number) => {
        if (sent === REMOTE_CHUNKS) done(undefined);
      };
      const done = (rec: AbortRecord | undefined) => {
        fake.events.off('abort', onAbort);
        fake.events.off('chunk', onChunk);
        resolve(rec);
      };
      fake.events.on('abort', onAbort);
      fake.events.on('chunk', onChunk);
    });

  /** `third` resolves when the provider has sent the third chunk of the next request it receives. */
  const countChunks = () => {
    const first = fake.requests.length;
    let on: (req: RecordedRequest, sent: number) => void = () => {};
    const third = new Promise<void>((resolve) => {
      on = (req, sent) => {
        if (sent >= 3 && fake.requests.indexOf(req) >= first) resolve();
      };
      fake.events.on('chunk', on);
    });
    return { third, off: () => fake.events.off('chunk', on) };
  };

  const cancelRemote = async (start: (cts: CancellationTokenSource) => Promise<unknown>): Promise<RemoteCancel> => {
    const chunks = countChunks();
    try {
      const cts = new CancellationTokenSource();
      const p = start(cts);
      const code = errorCodeOf(p);
      await chunks.third;
      const hangUp = nextHangUp();
      const cancelAt = performance.now();
      cts.cancel();
      return { errorCode: await code, hangUp: await hangUp, cancelAt };
    } finally {
      chunks.off();
    }
  };

  const openDocument = async (c: DaemonClient) => {
    await c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: docText },
    });
  };

  const versions = new WeakMap<DaemonClient, number>();

  const rig: CancelRig = {
    daemon,
    fake,
    host,
    connect: (settings) => daemon.connect(settings),
    openDocument,

    localChat: (c, run) =>
      cancelLocal('chat', (cts) =>
        c.request(
          'gearbox/chat',
          {
            streamId: `local-chat-${run}`,
            maxTokens: LOCAL_CHAT_MAX_TOKENS,
            temperature: 0,
            messages: [{ role: 'user', content: `tell me a long story ${run}` }],
          },
          cts,
        ),
      ),

    async localCompletion(c, run) {
      // A different edit each run, so the session's KV cache does not make the completion trivially short.
      const version = (versions.get(c) ?? 1) + 1;
      versions.set(c, version);
      await c.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [
          { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: `# run ${run}\n` },
        ],
      });
      const position = { line: cursor.line + version - 1, character: cursor.character };
      const r = await cancelLocal('complete', (cts) =>
        c.connection.sendRequest(
          'textDocument/inlineCompletion',
          { textDocument: { uri }, position, context: { triggerKind: 1 } },
          cts.token,
        ),
      );
      // A multi-line completion has the full budget; a single-line one would stop at the newline.
      return { ...r, multiLine: r.maxTokens === 128 };
    },

    remoteChat: (c, run) =>
      cancelRemote((cts) =>
        c.request(
          'gearbox/chat',
          { streamId: `remote-chat-${run}`, messages: [{ role: 'user', content: `hi ${run}` }] },
          cts,
        ),
      ),

    remoteCompletion: (c) =>
      cancelRemote((cts) =>
        c.connection.sendRequest(
          'textDocument/inlineCompletion',
          { textDocument: { uri }, position: cursor, context: { triggerKind: 1 } },
          cts.token,
        ),
      ),

    // Dropping a connection does not cancel its requests in vscode-jsonrpc: the session aborts them itself.
    async disconnectMidChat(model) {
      const c = await daemon.connect({ models: { chat: model } });
      const started = model === 'fake/m' ? countChunks() : countDeltas('chat');
      const stops = watchStops('chat');
      try {
        const p = c.request('gearbox/chat', {
          streamId: 'gone',
          maxTokens: LOCAL_CHAT_MAX_TOKENS,
          temperature: 0,
          messages: [{ role: 'user', content: 'a long one' }],
        });
        p.catch(() => {});
        await started.third;
        const hangUp = model === 'fake/m' ? nextHangUp() : undefined;
        const closeAt = epochNow();
        await c.close();
        if (hangUp) return { model, upstream: await hangUp, closeAt };
        await hostIdle();
        return { model, upstream: stops.seen[0], closeAt };
      } finally {
        started.off();
        stops.off();
      }
    },

    async quiesce() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const st = await host.status();
        const leftovers: Leftovers = {
          host: { liveSequences: st.liveSequences, inFlight: st.inFlight, pending: st.pending },
          daemonSessions: daemon.server.sessions.size,
        };
        const clean = st.liveSequences === 0 && st.inFlight === 0 && st.pending === 0 && leftovers.daemonSessions === 0;
        if (clean || Date.now() > deadline) return leftovers;
        await sleep(20);
      }
    },

    async stop() {
      await daemon.stop();
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  // Warm up: load the model, resolve the chat template, a first completion.
  const c = await daemon.connect();
  await c.request('gearbox/chat', {
    streamId: 'warm',
    model: 'local/tiny',
    maxTokens: 4,
    temperature: 0,
    messages: [{ role: 'user', content: 'hi' }],
  });
  await openDocument(c);
  await c.connection.sendRequest('textDocument/inlineCompletion', {
    textDocument: { uri },
    position: cursor,
    context: { triggerKind: 1 },
  });
  await c.close();
  return rig;
}
