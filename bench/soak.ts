// Soak: an in-process daemon with the real model host (a generated tiny qwen2 as local/tiny) and a
// fake OpenAI-compatible provider (fake/m), driven by C concurrent clients sending N mixed requests —
// chats to both models, inline completions on opened documents while typing, route/models/status —
// with random cancellations and random disconnects mid-request (each followed by a reconnect), all
// from a seeded PRNG. It reports throughput, outcomes, and what must not leak: model host sequences,
// in-flight requests, daemon sessions, heap.
//
//   node --import tsx bench/soak.ts --requests 5000 --clients 20 [--seed 7] [--threads 1]
//        [--warmup 300] [--cancel 0.15] [--disconnect 0.05] [--json]
//
// test/soak.test.ts runs a bounded version of it in CI.
import 'vscode-jsonrpc/node';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { CancellationTokenSource, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc';
import type { ModelHostClient, ModelHostClientStatus } from '../daemon/model-host/client';
import { openDaemonSocket } from '../shared/daemon-socket';
import { readDiscovery, readToken, runtimePaths } from '../shared/discovery';
import { ErrorCodes, Protocol, type RequestMethod } from '../shared/protocol';
import { WebSocketMessageReader, WebSocketMessageWriter } from '../shared/ws-transport';
import { startFakeOpenAI } from '../test/fakes/fake-openai';
import { isMain, type FakeServer } from '../test/fakes/fake-server';
import { createRng, makeTestModel } from '../test/fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from '../test/helpers/daemon-harness';

export interface SoakOptions {
  /** Requests of the measured phase, over all clients. */
  requests: number;
  clients: number;
  seed?: number;
  /** Requests of the warm-up phase (same mix) before the memory baseline. Default max(100, 10 per client). */
  warmupRequests?: number;
  /** Share of requests cancelled ($/cancelRequest) after a random 0-40 ms. Default 0.15. */
  cancelRate?: number;
  /** Share of requests whose client disconnects after a random 0-40 ms, then reconnects. Default 0.05. */
  disconnectRate?: number;
  /** Model host inference threads. Default 1. */
  threads?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export type RequestKind = 'chat-local' | 'chat-remote' | 'chat-auto' | 'completion' | 'route' | 'models' | 'status';
export type Outcome = 'ok' | 'cancelled' | 'okAfterCancel' | 'disconnected';

export interface PhaseResult {
  requests: number;
  durationMs: number;
  requestsPerSecond: number;
  outcomes: Record<RequestKind, Record<Outcome, number>>;
  cancelsSent: number;
  disconnects: number;
  reconnects: number;
  /** Errors other than the cancellations and disconnects the soak caused itself. */
  unexpected: string[];
}

export interface MemorySample {
  /** Heap of this process (daemon, clients and fake provider) after forced GC. */
  heapUsedBytes: number;
  rssBytes: number;
  /** RSS of the model host child. */
  hostRssBytes: number | null;
}

export interface SoakResult {
  seed: number;
  warmup: PhaseResult;
  main: PhaseResult;
  memory: { start: MemorySample; end: MemorySample; heapGrowth: number; hostRssGrowth: number | null };
  /** Model host after every client left: back to 0 means nothing leaked. */
  hostAfter: Pick<ModelHostClientStatus, 'liveSequences' | 'inFlight' | 'pending' | 'restarts' | 'state'> & {
    sessions: number;
  };
  /** Daemon sessions after every client left. */
  sessionsAfter: number;
  /** The daemon answered status, a local chat, a remote chat and a completion after the soak. */
  stillAnswers: boolean;
  /** Unhandled rejections and uncaught exceptions seen in this process while the soak ran. */
  unhandled: string[];
  /** Warnings and errors the daemon logged (a sample) and their count. */
  daemonProblems: { count: number; sample: string[] };
  fakeRequests: number;
  fakeAborts: number;
}

const KINDS: { kind: RequestKind; weight: number }[] = [
  { kind: 'chat-local', weight: 24 },
  { kind: 'chat-remote', weight: 24 },
  { kind: 'chat-auto', weight: 4 },
  { kind: 'completion', weight: 33 },
  { kind: 'route', weight: 5 },
  { kind: 'models', weight: 5 },
  { kind: 'status', weight: 5 },
];

const WORDS = ['value', 'total', 'count', 'items', 'result', 'index', 'name', 'data', 'node', 'key'];

/** A seeded PRNG with the helpers the soak needs. */
class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = createRng(seed);
  }
  float(): number {
    return this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  weighted<T extends { weight: number }>(xs: readonly T[]): T {
    const total = xs.reduce((n, x) => n + x.weight, 0);
    let r = this.next() * total;
    for (const x of xs) if ((r -= x.weight) < 0) return x;
    return xs[xs.length - 1]!;
  }
}

interface Doc {
  uri: string;
  languageId: string;
  version: number;
  lines: string[];
}

/** A client like connectToDaemon's, but holding its socket so that it can drop it abruptly. */
class SoakClient {
  private constructor(
    readonly socket: WebSocket,
    readonly connection: MessageConnection,
  ) {}
  alive = true;

  static async connect(runtimeDir: string, settings: Record<string, unknown>): Promise<SoakClient> {
    const paths = runtimePaths(runtimeDir);
    const discovery = readDiscovery(paths);
    if (!discovery) throw new Error('daemon not running');
    const socket = await openDaemonSocket(discovery, readToken(paths));
    socket.on('error', () => {}); // a dropped socket reports through 'close'
    const connection = createMessageConnection(new WebSocketMessageReader(socket), new WebSocketMessageWriter(socket));
    connection.listen();
    const client = new SoakClient(socket, connection);
    socket.once('close', () => {
      client.alive = false;
      connection.dispose(); // rejects whatever is still pending
    });
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      clientInfo: { name: 'soak' },
      initializationOptions: { clientName: 'soak', settings },
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  open(doc: Doc): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: doc.uri, languageId: doc.languageId, version: doc.version, text: doc.lines.join('\n') },
    });
  }

  /** Abrupt (TCP gone, like a crash) or polite (LSP shutdown + exit, like a closed window). */
  async drop(abrupt: boolean): Promise<void> {
    if (!this.alive) return;
    if (abrupt) {
      this.socket.terminate();
    } else {
      try {
        await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 1000))]);
        await this.connection.sendNotification('exit');
      } catch {
        /* gone already */
      }
      this.socket.close();
    }
    if (this.socket.readyState !== WebSocket.CLOSED)
      await new Promise<void>((r) => this.socket.once('close', () => r()));
  }
}

function emptyOutcomes(): PhaseResult['outcomes'] {
  const o = {} as PhaseResult['outcomes'];
  for (const { kind } of KINDS) o[kind] = { ok: 0, cancelled: 0, okAfterCancel: 0, disconnected: 0 };
  return o;
}

export function forceGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const seed = opts.seed ?? 1;
  const log = opts.log ?? (() => {});
  const cancelRate = opts.cancelRate ?? 0.15;
  const disconnectRate = opts.disconnectRate ?? 0.05;
  const gc = forceGc();

  const unhandled: string[] = [];
  const onRejection = (reason: unknown) =>
    unhandled.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  const onException = (err: Error) => unhandled.push(`uncaughtException: ${err.stack ?? err.message}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  // Daemon logs: a ring for diagnostics, warnings and errors counted (never an ever-growing array).
  const problems: string[] = [];
  let problemCount = 0;
  const logWrite = (line: string) => {
    if (!/"level":"(warn|error)"/.test(line)) return;
    problemCount++;
    if (problems.length < 20) problems.push(line.slice(0, 400));
  };

  const modelPath = makeTestModel({ shape: 'tiny' });
  const modelsDir = tempDir('gearbox-soak-models-');
  let fake: FakeServer | undefined;
  let d: TestDaemon | undefined;
  try {
    fake = await startFakeOpenAI({
      // A short streamed answer: 3-12 chunks, 0-4 ms apart.
      reply: (body) => {
        const n = 3 + (((body?.messages?.length ?? 1) * 7 + JSON.stringify(body).length) % 10);
        return { kind: 'reply', chunks: Array.from({ length: n }, (_, i) => `w${i} `), delayMs: n % 5 };
      },
    });
    d = await startTestDaemon(
      {
        localModels: [{ id: 'local/tiny', source: modelPath, contextSize: 2048, tier: 0 }],
        modelDirs: [path.dirname(modelPath)],
        modelsDir,
        threads: opts.threads ?? 1,
        gpu: false,
        idleUnloadMinutes: 60,
        providers: [
          {
            id: 'fake',
            kind: 'openai-compatible',
            baseUrl: fake.url,
            noKey: true,
            models: [{ name: 'm', tier: 1, inputPricePerMTok: 1, outputPricePerMTok: 2 }],
          },
        ],
        // The soak is about leaks, not about the per-connection rate limit, nor about latency: on a
        // loaded 2-core machine ten clients queueing on one tiny model can wait past the 15 s
        // completion deadline, which is a product limit, not a leak.
        server: { requestsPerSecond: 10_000, requestBurst: 10_000 },
        timeouts: { completionMs: 600_000, chatMs: 600_000, providerIdleMs: 600_000 },
      },
      { ledgerPath: null, logLevel: 'info', logWrite },
    );
    const daemon = d;
    const fakeServer = fake;
    const host = daemon.engine.modelHost as ModelHostClient;
    log(`daemon on port ${daemon.port}; model ${modelPath}; fake provider ${fakeServer.url}`);

    const settings = { models: { completion: 'local/tiny' } };
    const connect = () => SoakClient.connect(daemon.runtimeDir, settings);

    const runPhase = async (name: string, total: number): Promise<PhaseResult> => {
      const result: PhaseResult = {
        requests: 0,
        durationMs: 0,
        requestsPerSecond: 0,
        outcomes: emptyOutcomes(),
        cancelsSent: 0,
        disconnects: 0,
        reconnects: 0,
        unexpected: [],
      };
      const started = performance.now();
      const worker = async (w: number) => {
        // Each client has its own PRNG and share of the requests: its choices do not depend on timing.
        const rng = new Rng(seed * 7919 + w + (name === 'warm-up' ? 104_729 : 0));
        const share = Math.floor(total / opts.clients) + (w < total % opts.clients ? 1 : 0);
        const docs: Doc[] = [0, 1].map((i) => ({
          uri: `file:///soak/w${w}/f${i}.${i ? 'ts' : 'py'}`,
          languageId: i ? 'typescript' : 'python',
          version: 1,
          lines: i
            ? ['import fs from "fs";', '', 'export function main() {', '  const x = ']
            : ['import os', '', 'def main():', '    total = '],
        }));
        let client = await connect();
        for (const doc of docs) await client.open(doc);
        for (let i = 0; i < share; i++) {
          const n = i * opts.clients + w;
          const { kind } = rng.weighted(KINDS);
          const roll = rng.float();
          const cancel = roll < cancelRate;
          const disconnect = !cancel && roll < cancelRate + disconnectRate;
          const delay = rng.int(0, 40);
          const abrupt = rng.float() < 0.5;
          const cts = new CancellationTokenSource();
          let request: Promise<unknown>;
          const send = <M extends RequestMethod>(method: M, params: unknown) => {
            (Protocol[method] as unknown as { params: { parse(v: unknown): unknown } }).params.parse(params);
            return client.connection.sendRequest(method, params, cts.token);
          };
          switch (kind) {
            case 'chat-local':
            case 'chat-remote':
            case 'chat-auto': {
              const model = kind === 'chat-local' ? 'local/tiny' : kind === 'chat-remote' ? 'fake/m' : undefined;
              request = send('gearbox/chat', {
                streamId: `w${w}-${n}`,
                ...(model ? { model } : {}),
                maxTokens: rng.int(2, 12),
                temperature: rng.pick([0, 0.7]),
                messages: [{ role: 'user', content: `${rng.pick(WORDS)} ${rng.pick(WORDS)} #${n}` }],
              });
              break;
            }
            case 'completion': {
              // Typing: a word at the end of the last line, now and then a fresh line; then ask.
              const doc = rng.pick(docs);
              const last = doc.lines.length - 1;
              const lastLine = doc.lines[last]!;
              if (lastLine.length > 60 || rng.float() < 0.1) {
                const text = `\n${doc.languageId === 'python' ? '    ' : '  '}${rng.pick(WORDS)} = `;
                await client.connection.sendNotification('textDocument/didChange', {
                  textDocument: { uri: doc.uri, version: ++doc.version },
                  contentChanges: [
                    {
                      range: {
                        start: { line: last, character: lastLine.length },
                        end: { line: last, character: lastLine.length },
                      },
                      text,
                    },
                  ],
                });
                doc.lines.push(...text.split('\n').slice(1));
              } else {
                const text = `${rng.pick(WORDS)}${rng.pick([' + ', '(', '.', ' * '])}`;
                await client.connection.sendNotification('textDocument/didChange', {
                  textDocument: { uri: doc.uri, version: ++doc.version },
                  contentChanges: [
                    {
                      range: {
                        start: { line: last, character: lastLine.length },
                        end: { line: last, character: lastLine.length },
                      },
                      text,
                    },
                  ],
                });
                doc.lines[last] = lastLine + text;
              }
              const line = doc.lines.length - 1;
              request = client.connection.sendRequest(
                'textDocument/inlineCompletion',
                {
                  textDocument: { uri: doc.uri },
                  position: { line, character: doc.lines[line]!.length },
                  context: { triggerKind: 2 },
                },
                cts.token,
              );
              break;
            }
            case 'route':
              request = send('gearbox/route', {
                task: rng.pick(['chat', 'completion', 'refactor'] as const),
                prompt: `${rng.pick(WORDS)} refactor this function`,
              });
              break;
            case 'models':
              request = send('gearbox/models', rng.float() < 0.5 ? {} : { task: 'chat' });
              break;
            case 'status':
              request = send('gearbox/status', {});
              break;
          }
          let cancelled = false;
          let dropped: Promise<void> | undefined;
          const timer =
            cancel || disconnect
              ? setTimeout(() => {
                  if (cancel) {
                    cancelled = true;
                    result.cancelsSent++;
                    cts.cancel();
                  } else {
                    result.disconnects++;
                    dropped = client.drop(abrupt);
                  }
                }, delay)
              : undefined;
          try {
            const value = await request;
            if (dropped) result.outcomes[kind].disconnected++;
            else {
              if (kind === 'chat-local' || kind === 'chat-remote') {
                const model = (value as { model?: string }).model;
                const want = kind === 'chat-local' ? 'local/tiny' : 'fake/m';
                if (model !== want) result.unexpected.push(`${kind} #${n}: answered by ${model}`);
              }
              result.outcomes[kind][cancelled ? 'okAfterCancel' : 'ok']++;
            }
          } catch (err) {
            const code = (err as { code?: number }).code;
            if (dropped) result.outcomes[kind].disconnected++;
            else if (!client.alive)
              result.unexpected.push(`${kind} #${n}: the daemon dropped the connection (${(err as Error).message})`);
            else if (cancelled && code === ErrorCodes.RequestCancelled) result.outcomes[kind].cancelled++;
            else
              result.unexpected.push(
                `${kind} #${n}${cancelled ? ' (cancelled)' : ''}: ${code} ${(err as Error).message}`,
              );
          } finally {
            clearTimeout(timer);
          }
          result.requests++;
          if (dropped || !client.alive) {
            // the request may have finished before the drop fired: wait for the drop itself
            if (!dropped && disconnect) dropped = client.drop(abrupt);
            await dropped;
            client = await connect();
            result.reconnects++;
            for (const doc of docs) await client.open(doc);
          } else if (disconnect && timer) {
            // finished before the disconnect was due: disconnect now, between requests
            result.disconnects++;
            await client.drop(abrupt);
            client = await connect();
            result.reconnects++;
            for (const doc of docs) await client.open(doc);
          }
          if (result.requests % 250 === 0) {
            const seconds = ((performance.now() - started) / 1000).toFixed(1);
            const line = `${name}: ${result.requests}/${total} requests, ${seconds} s`;
            void host
              .status()
              .then((st) =>
                log(
                  `${line}; model host RSS ${((st.rssBytes ?? 0) / 2 ** 20).toFixed(0)} MiB, ` +
                    `live sequences ${st.liveSequences}`,
                ),
              );
          }
        }
        await client.drop(false);
      };
      await Promise.all(Array.from({ length: opts.clients }, (_, w) => worker(w)));
      result.durationMs = performance.now() - started;
      result.requestsPerSecond = result.requests / (result.durationMs / 1000);
      return result;
    };

    /** Waits until the model host and the daemon hold nothing for clients that are gone. */
    const quiesce = async (): Promise<ModelHostClientStatus> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const st = await host.status();
        const clean =
          st.liveSequences === 0 && st.inFlight === 0 && st.pending === 0 && daemon.server.sessions.size === 0;
        if (clean || Date.now() > deadline) return st;
        await sleep(50);
      }
    };

    const sampleMemory = async (): Promise<MemorySample> => {
      // Requests the fake recorded would look like a leak of the daemon: they are the fake's.
      fakeServer.requests.length = 0;
      fakeServer.aborts.length = 0;
      let heap = Infinity;
      for (let i = 0; i < 5; i++) {
        gc();
        await sleep(20);
        heap = Math.min(heap, process.memoryUsage().heapUsed);
      }
      const st = await host.status();
      return { heapUsedBytes: heap, rssBytes: process.memoryUsage().rss, hostRssBytes: st.rssBytes };
    };

    let fakeRequests = 0;
    let fakeAborts = 0;
    const warmup = await runPhase('warm-up', opts.warmupRequests ?? Math.max(100, opts.clients * 10));
    fakeRequests += fakeServer.requests.length;
    fakeAborts += fakeServer.aborts.length;
    await quiesce();
    const start = await sampleMemory();
    log(
      `warm-up done: ${warmup.requests} requests in ${(warmup.durationMs / 1000).toFixed(1)} s; ` +
        `heap ${(start.heapUsedBytes / 2 ** 20).toFixed(1)} MiB`,
    );

    const main = await runPhase('soak', opts.requests);
    fakeRequests += fakeServer.requests.length;
    fakeAborts += fakeServer.aborts.length;
    const after = await quiesce();
    const hostAfter = {
      liveSequences: after.liveSequences,
      inFlight: after.inFlight,
      pending: after.pending,
      restarts: after.restarts,
      state: after.state,
      sessions: after.loaded.reduce((n, m) => n + ((m as { sessions?: number }).sessions ?? 0), 0),
    };
    const sessionsAfter = daemon.server.sessions.size;

    // The daemon still answers, on every path.
    let stillAnswers = false;
    try {
      const c = await connect();
      const doc: Doc = {
        uri: 'file:///soak/after.py',
        languageId: 'python',
        version: 1,
        lines: ['def f(x):', '    return x + '],
      };
      await c.open(doc);
      const st = (await c.connection.sendRequest('gearbox/status', {})) as { clients: number };
      const local = (await c.connection.sendRequest('gearbox/chat', {
        streamId: 'after-1',
        model: 'local/tiny',
        maxTokens: 4,
        messages: [{ role: 'user', content: 'hi' }],
      })) as { model: string };
      const remote = (await c.connection.sendRequest('gearbox/chat', {
        streamId: 'after-2',
        model: 'fake/m',
        messages: [{ role: 'user', content: 'hi' }],
      })) as { model: string };
      const completion = (await c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri: doc.uri },
        position: { line: 1, character: 15 },
        context: { triggerKind: 1 },
      })) as { items: unknown[] };
      stillAnswers =
        st.clients === 1 &&
        local.model === 'local/tiny' &&
        remote.model === 'fake/m' &&
        Array.isArray(completion.items);
      await c.drop(false);
    } catch (err) {
      unhandled.push(`daemon did not answer after the soak: ${(err as Error).message}`);
    }
    await quiesce();
    const end = await sampleMemory();
    log(
      `soak done: ${main.requests} requests in ${(main.durationMs / 1000).toFixed(1)} s; ` +
        `heap ${(end.heapUsedBytes / 2 ** 20).toFixed(1)} MiB`,
    );

    return {
      seed,
      warmup,
      main,
      memory: {
        start,
        end,
        heapGrowth: end.heapUsedBytes / start.heapUsedBytes - 1,
        hostRssGrowth: start.hostRssBytes && end.hostRssBytes ? end.hostRssBytes / start.hostRssBytes - 1 : null,
      },
      hostAfter,
      sessionsAfter,
      stillAnswers,
      unhandled,
      daemonProblems: { count: problemCount, sample: problems },
      fakeRequests,
      fakeAborts,
    };
  } finally {
    await d?.stop().catch(() => {});
    await fake?.close().catch(() => {});
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}

export function formatSoak(r: SoakResult): string {
  const mib = (b: number | null) => (b === null ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`);
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
  const lines = [
    `seed ${r.seed}`,
    `warm-up: ${r.warmup.requests} requests in ${(r.warmup.durationMs / 1000).toFixed(1)} s ` +
      `(${r.warmup.requestsPerSecond.toFixed(1)} req/s)`,
    `soak:    ${r.main.requests} requests in ${(r.main.durationMs / 1000).toFixed(1)} s ` +
      `(${r.main.requestsPerSecond.toFixed(1)} req/s); ` +
      `${r.main.cancelsSent} cancels, ${r.main.disconnects} disconnects, ${r.main.reconnects} reconnects`,
    ...Object.entries(r.main.outcomes).map(
      ([k, o]) =>
        `  ${k.padEnd(12)} ok ${o.ok}, cancelled ${o.cancelled}, ` +
        `finished before the cancel ${o.okAfterCancel}, disconnected ${o.disconnected}`,
    ),
    `fake provider: ${r.fakeRequests} requests, ${r.fakeAborts} hang-ups`,
    `unexpected errors: ${r.warmup.unexpected.length + r.main.unexpected.length}${[
      ...r.warmup.unexpected,
      ...r.main.unexpected,
    ]
      .slice(0, 5)
      .map((e) => `\n  ${e}`)
      .join('')}`,
    'heap (this process: daemon + clients + fake, after GC): ' +
      `${mib(r.memory.start.heapUsedBytes)} → ${mib(r.memory.end.heapUsedBytes)} (${pct(r.memory.heapGrowth)})`,
    `process RSS: ${mib(r.memory.start.rssBytes)} → ${mib(r.memory.end.rssBytes)}; ` +
      `model host RSS: ${mib(r.memory.start.hostRssBytes)} → ${mib(r.memory.end.hostRssBytes)} ` +
      `(${pct(r.memory.hostRssGrowth)})`,
    `after: host live sequences ${r.hostAfter.liveSequences}, sessions ${r.hostAfter.sessions}, ` +
      `in flight ${r.hostAfter.inFlight}, pending ${r.hostAfter.pending}, restarts ${r.hostAfter.restarts}; ` +
      `daemon sessions ${r.sessionsAfter}; still answers: ${r.stillAnswers}`,
    `unhandled: ${r.unhandled.length}; daemon warnings/errors: ${r.daemonProblems.count}`,
  ];
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const num = (flag: string, dflt?: number): number | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    if (!Number.isFinite(v)) throw new Error(`${flag} needs a number`);
    return v;
  };
  const result = await runSoak({
    requests: num('--requests', 5000)!,
    clients: num('--clients', 10)!,
    seed: num('--seed', 1),
    warmupRequests: num('--warmup'),
    threads: num('--threads', 1),
    cancelRate: num('--cancel', 0.15),
    disconnectRate: num('--disconnect', 0.05),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(result, null, 2)}\n` : `${formatSoak(result)}\n`);
  const bad =
    result.unhandled.length > 0 ||
    result.main.unexpected.length + result.warmup.unexpected.length > 0 ||
    result.hostAfter.liveSequences !== 0 ||
    result.sessionsAfter !== 0 ||
    !result.stillAnswers ||
    result.memory.heapGrowth > 0.1;
  process.exit(bad ? 1 : 0);
}
