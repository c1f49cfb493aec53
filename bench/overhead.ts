// Daemon overhead: a chat through the daemon (its own process, N clients each on its own WebSocket
// connection, closed loops) to a loopback fake OpenAI-compatible server, against the official
// `openai` SDK calling the same fake directly (N closed loops sharing one OpenAI client object, as
// the daemon shares one per provider). Two answers: "short" (one chunk) and "stream" (--chunks
// one-word chunks, each relayed to the client as a gearbox/chatChunk notification); latency is the
// whole request, until the final answer. Targets are recorded, never asserted.
//
//   node --import tsx bench/overhead.ts [--levels 1,10,100] [--requests 2000] [--warmup 200]
//        [--rounds 4] [--think-ms 0] [--chunks 32] [--scenarios short,stream] [--raw] [--local-model]
//        [--in-process] [--profile] [--build]
//
//   --think-ms N  each client pauses a random 0.5–1.5 × N ms between its requests (default 0: a
//                 saturating closed loop, where latency at 100 clients is mostly queueing for CPU)
//   --raw         clients skip the client-side zod validation of results and chunks (DaemonClient
//                 and the extension validate both); isolates the daemon's own cost
//   --local-model also configure a local completion model (the tiny test model) and load it before
//                 measuring, so that the model host runs: the usual hybrid setup, where every routing
//                 decision asks the model host what is loaded
//   --in-process  also measure a daemon started inside this process (shares its event loop)
//   --baseline-entry FILE  also measure a second daemon process run from another build of the CLI
//                 (e.g. dist/daemon/ copied before a change to .cache/bench-baseline/daemon/ — inside
//                 the repo, so that node_modules resolves), interleaved with the first
//   --build       run `npm run build` first even when dist/ looks fresh (it is rebuilt when stale)
//   --profile     run the process daemon under --cpu-prof and print where its CPU time went
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { connectToDaemon, type DaemonClient } from '../daemon/cli/client';
import { DaemonConfigSchema } from '../daemon/config';
import { startDaemon, type RunningDaemon } from '../daemon/daemon';
import type { ChatParams } from '../shared/protocol';
import { summarizeProfile } from './lib/cpuprofile';
import { benchModel } from './lib/model';
import {
  cpuMsOf,
  ensureBuilt,
  flag,
  hasFlag,
  listFlag,
  numFlag,
  selfCpuMs,
  spawnDaemon,
  tempDir,
  type DaemonProcess,
} from './lib/daemon-process';
import { spawnFakeProvider } from './lib/fake-provider';
import { closedLoop, type LoadResult } from './lib/load';
import { printTable, summarize, writeResult, type Summary } from './lib/report';

const LEVELS = listFlag('levels', [1, 10, 100]);
const REQUESTS = numFlag('requests', 2000);
const WARMUP = numFlag('warmup', 200);
const ROUNDS = Math.max(1, numFlag('rounds', 4));
const THINK_MS = Math.max(0, numFlag('think-ms', 0));
const CHUNKS = numFlag('chunks', 32);
const SCENARIOS = (flag('scenarios') || 'short,stream').split(',') as ('short' | 'stream')[];
const RAW = hasFlag('raw');
const IN_PROCESS = hasFlag('in-process');
const PROFILE = hasFlag('profile');
const LOCAL_MODEL = hasFlag('local-model');
const BASELINE_ENTRY = flag('baseline-entry') || undefined;
const TARGETS = {
  overheadP50Ms: 1,
  overheadP99Ms: 5,
  atClients: 100,
  note: 'daemon p50/p99 minus direct SDK p50/p99, same fake, same concurrency',
};
// The daemon's per-connection request rate limit (default 50/s, bursts of 100) would throttle a
// closed loop against an instant upstream: raised so that it measures the daemon, not the limiter.
const SERVER_LIMITS = { requestsPerSecond: 1_000_000, requestBurst: 1_000_000 };

for (const s of SCENARIOS)
  if (s !== 'short' && s !== 'stream') throw new Error(`--scenarios takes short and/or stream, not ${s}`);

interface Target {
  name: string;
  runtimeDir?: string;
  /** pid whose CPU time is this target's own (undefined: it runs in this process). */
  pid?: number;
  prepare(clients: number): Promise<void>;
  call(worker: number, seq: number, content: string): Promise<number>;
  stop(): Promise<void>;
}

const messagesFor = (content: string) => [{ role: 'user' as const, content }];
const contentFor = (scenario: 'short' | 'stream') =>
  scenario === 'short' ? 'Say ok.' : `Stream me chunks=${CHUNKS} please.`;

function directTarget(baseURL: string): Target {
  // Same options as daemon/providers/openai.ts: no SDK retries, no org/project headers.
  const client = new OpenAI({ apiKey: 'bench-no-key', baseURL, maxRetries: 0, organization: null, project: null });
  return {
    name: 'direct',
    prepare: async () => {},
    call: async (_w, _i, content) => {
      // The body the daemon sends for a chat (openai-compatible: max_tokens, usage requested).
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: messagesFor(content),
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 2048,
      });
      let n = 0;
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) n++;
      return n;
    },
    stop: async () => {},
  };
}

function daemonTarget(
  name: string,
  runtimeDir: string,
  pid: number | undefined,
  stopDaemon: () => Promise<void>,
): Target {
  const clients: DaemonClient[] = [];
  const chunkCounts: number[] = [];
  return {
    name,
    runtimeDir,
    pid,
    prepare: async (n) => {
      while (clients.length < n) {
        const i = clients.length;
        const c = await connectToDaemon({ runtimeDir, clientName: `bench-${i}` });
        chunkCounts[i] = 0;
        if (RAW) c.connection.onNotification('gearbox/chatChunk', () => void chunkCounts[i]!++);
        else c.onNotification('gearbox/chatChunk', () => void chunkCounts[i]!++);
        clients.push(c);
      }
    },
    call: async (w, i, content) => {
      const c = clients[w]!;
      const params: ChatParams = { streamId: `s${w}-${i}`, messages: messagesFor(content) };
      const before = chunkCounts[w]!;
      const res = RAW
        ? ((await c.connection.sendRequest('gearbox/chat', params)) as { text: string })
        : await c.request('gearbox/chat', params);
      if (!res.text) throw new Error('empty answer');
      return chunkCounts[w]! - before;
    },
    stop: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await stopDaemon();
    },
  };
}

function daemonConfig(fakeUrl: string) {
  const modelFile = LOCAL_MODEL ? benchModel('tiny') : undefined;
  return {
    providers: [
      {
        id: 'fake',
        kind: 'openai-compatible',
        baseUrl: fakeUrl,
        noKey: true,
        models: [{ name: 'm', tier: 3, contextWindow: 128_000 }],
      },
    ],
    server: SERVER_LIMITS,
    logLevel: 'info',
    ...(modelFile
      ? {
          // Completion only: chats still go to the fake provider.
          localModels: [{ id: 'local/tiny', source: modelFile, tasks: ['completion'], contextSize: 1024 }],
          modelDirs: [path.dirname(modelFile)],
          threads: 1,
          gpu: false,
        }
      : {}),
  };
}

/** Starts the model host and loads the local model with one inline completion. */
async function loadLocalModel(runtimeDir: string): Promise<void> {
  const c = await connectToDaemon({ runtimeDir, clientName: 'bench-warm' });
  try {
    const uri = 'file:///bench/warm.py';
    await c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: 'def add(a, b):\n    return \n' },
    });
    await c.connection.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line: 1, character: 11 },
      context: { triggerKind: 1 },
    });
    const st = await c.request('gearbox/status', {});
    if (!st.loadedModels.length) throw new Error('the local model did not load');
  } finally {
    await c.close();
  }
}

async function inProcessTarget(fakeUrl: string): Promise<Target> {
  const dir = tempDir('gearbox-bench-inproc-');
  const logFd = fs.openSync(path.join(dir, 'daemon.log'), 'a');
  const d: RunningDaemon = await startDaemon({
    runtimeDir: path.join(dir, 'run'),
    configPath: path.join(dir, 'config.json'),
    config: DaemonConfigSchema.parse(daemonConfig(fakeUrl)),
    logWrite: (l) => fs.writeSync(logFd, `${l}\n`),
    ledgerPath: path.join(dir, 'state', 'ledger.jsonl'),
    env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: path.join(dir, 'state') },
  });
  return daemonTarget('in-process', path.join(dir, 'run'), undefined, async () => {
    await d.stop();
    fs.closeSync(logFd);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

interface Row {
  scenario: string;
  clients: number;
  target: string;
  latencyMs: Summary;
  requestsPerSecond: number;
  errors: number;
  firstError?: string;
  chunksPerRequest: number;
  /** CPU time per request, µs: the target's process (daemon), the fake, and this process (clients). */
  cpuUsPerRequest: { target?: number; fake?: number; bench: number };
}

/**
 * One concurrency level of one scenario for every target: each warms up, then the measured requests
 * run in ROUNDS rounds, the targets taking turns (order reversed every other round), so that a
 * background load that comes and goes hits every target alike.
 */
async function measureLevel(
  targets: Target[],
  fakePid: number,
  scenario: 'short' | 'stream',
  clients: number,
): Promise<Row[]> {
  const content = contentFor(scenario);
  const acc = new Map<
    Target,
    {
      latencies: number[];
      errors: number;
      firstError?: string;
      wallMs: number;
      chunks: number;
      cpu: { target?: number; fake?: number; bench: number };
    }
  >();
  for (const t of targets) {
    await t.prepare(clients);
    const warm = await closedLoop(
      clients,
      Math.max(WARMUP, clients * 2),
      async (w, i) => void (await t.call(w, i, content)),
      THINK_MS,
    );
    if (warm.latencies.length === 0) throw new Error(`${t.name}: every warm-up request failed: ${warm.firstError}`);
    acc.set(t, {
      latencies: [],
      errors: 0,
      wallMs: 0,
      chunks: 0,
      cpu: { target: t.pid ? 0 : undefined, fake: 0, bench: 0 },
    });
  }
  const perRound = Math.ceil(REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const a = acc.get(t)!;
      const cpu0 = { target: t.pid ? cpuMsOf(t.pid) : undefined, fake: cpuMsOf(fakePid), bench: selfCpuMs() };
      const r: LoadResult = await closedLoop(
        clients,
        perRound,
        async (w, i) => {
          a.chunks += await t.call(w, round * perRound + i, content);
        },
        THINK_MS,
      );
      const cpu1 = { target: t.pid ? cpuMsOf(t.pid) : undefined, fake: cpuMsOf(fakePid), bench: selfCpuMs() };
      a.latencies.push(...r.latencies);
      a.errors += r.errors;
      a.firstError ??= r.firstError;
      a.wallMs += r.wallMs;
      if (a.cpu.target !== undefined) a.cpu.target += (cpu1.target ?? 0) - (cpu0.target ?? 0);
      a.cpu.fake! += (cpu1.fake ?? 0) - (cpu0.fake ?? 0);
      a.cpu.bench += cpu1.bench - cpu0.bench;
    }
  }
  return targets.map((t) => {
    const a = acc.get(t)!;
    if (a.latencies.length === 0) throw new Error(`${t.name}: every request failed: ${a.firstError}`);
    const n = a.latencies.length + a.errors;
    const per = (ms?: number) => (ms !== undefined ? Math.round((ms * 1000) / n) : undefined);
    return {
      scenario,
      clients,
      target: t.name,
      latencyMs: summarize(a.latencies),
      requestsPerSecond: Math.round((a.latencies.length / a.wallMs) * 1000),
      errors: a.errors,
      ...(a.firstError ? { firstError: a.firstError } : {}),
      chunksPerRequest: Math.round((a.chunks / a.latencies.length) * 10) / 10,
      cpuUsPerRequest: { target: per(a.cpu.target), fake: per(a.cpu.fake), bench: per(a.cpu.bench)! },
    };
  });
}

async function main(): Promise<void> {
  ensureBuilt(hasFlag('build'));
  const fake = await spawnFakeProvider();
  const profDir = PROFILE ? tempDir('gearbox-bench-prof-') : undefined;
  let daemon: DaemonProcess | undefined;
  const targets: Target[] = [];
  try {
    daemon = await spawnDaemon({
      config: daemonConfig(fake.url),
      nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    });
    const d = daemon;
    targets.push(
      directTarget(fake.url),
      daemonTarget('daemon', d.runtimeDir, d.pid, () => d.stop()),
    );
    if (LOCAL_MODEL) await loadLocalModel(d.runtimeDir);
    if (BASELINE_ENTRY) {
      const b = await spawnDaemon({ config: daemonConfig(fake.url), entry: path.resolve(BASELINE_ENTRY) });
      targets.push(daemonTarget('baseline', b.runtimeDir, b.pid, () => b.stop()));
      if (LOCAL_MODEL) await loadLocalModel(b.runtimeDir);
    }
    if (IN_PROCESS) {
      const t = await inProcessTarget(fake.url);
      targets.push(t);
      if (LOCAL_MODEL) await loadLocalModel(t.runtimeDir!);
    }
    console.log(
      `fake provider pid ${fake.pid} (${fake.url}); daemon pid ${d.pid}; levels ${LEVELS.join(', ')}; ` +
        `${REQUESTS} requests per level after ${WARMUP} warm-up; ${THINK_MS ? `think time ${THINK_MS} ms; ` : ''}` +
        (RAW
          ? 'raw JSON-RPC clients (no client-side validation)'
          : 'DaemonClient.request (zod-validated results, like the extension)'),
    );

    const rows: Row[] = [];
    for (const scenario of SCENARIOS) {
      for (const clients of LEVELS) {
        for (const row of await measureLevel(targets, fake.pid, scenario, clients)) {
          rows.push(row);
          console.log(
            `  ${scenario.padEnd(6)} ${String(clients).padStart(3)} clients  ${row.target.padEnd(10)} ` +
              `p50 ${row.latencyMs.p50.toFixed(2)} ms  p99 ${row.latencyMs.p99.toFixed(2)} ms  ` +
              `${row.requestsPerSecond} req/s  cpu µs/req: target ${row.cpuUsPerRequest.target ?? '-'} ` +
              `fake ${row.cpuUsPerRequest.fake ?? '-'} bench ${row.cpuUsPerRequest.bench}` +
              (row.errors ? `  ${row.errors} errors (${row.firstError})` : ''),
          );
        }
      }
    }

    const results = [];
    for (const scenario of SCENARIOS) {
      const table: (string | number)[][] = [
        [
          'clients',
          'direct p50',
          'direct p99',
          'daemon p50',
          'daemon p99',
          'ovh p50',
          'ovh p99',
          'direct req/s',
          'daemon req/s',
          'daemon CPU µs/req',
        ],
      ];
      for (const clients of LEVELS) {
        const of = (name: string) =>
          rows.find((r) => r.scenario === scenario && r.clients === clients && r.target === name);
        const direct = of('direct')!;
        for (const name of ['daemon', ...(BASELINE_ENTRY ? ['baseline'] : []), ...(IN_PROCESS ? ['in-process'] : [])]) {
          const via = of(name)!;
          const overhead = {
            p50: round(via.latencyMs.p50 - direct.latencyMs.p50),
            p99: round(via.latencyMs.p99 - direct.latencyMs.p99),
          };
          table.push([
            name === 'daemon' ? String(clients) : `${clients} (${name})`,
            direct.latencyMs.p50,
            direct.latencyMs.p99,
            via.latencyMs.p50,
            via.latencyMs.p99,
            overhead.p50,
            overhead.p99,
            direct.requestsPerSecond,
            via.requestsPerSecond,
            via.cpuUsPerRequest.target ?? '-',
          ]);
          results.push({ scenario, clients, mode: name, direct, viaDaemon: via, overheadMs: overhead });
        }
      }
      printTable(
        `${scenario === 'short' ? 'Short answer (1 chunk)' : `Streamed answer (${CHUNKS} chunks)`}: ` +
          `latency in ms, closed loops${THINK_MS ? `, think time ${THINK_MS} ms` : ''}`,
        table,
      );
    }

    let profile: unknown;
    if (profDir) {
      await d.stop();
      const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const full = path.join(profDir, file);
        profile = { file: full, ...summarizeProfile(full, { top: 30, print: true }) };
      } else console.log(`no .cpuprofile in ${profDir}`);
    }

    writeResult('overhead', {
      targets: TARGETS,
      setup: {
        daemon:
          'separate process: node dist/daemon/gearbox.mjs start ' +
          '(temp runtime dir and config, log level info to a file, usage ledger on)',
        ...(BASELINE_ENTRY ? { baseline: `separate process: node ${BASELINE_ENTRY} start (same config)` } : {}),
        ...(IN_PROCESS
          ? {
              inProcess:
                'startDaemon() inside the bench process (sources through tsx), sharing its event loop with the clients',
            }
          : {}),
        clients:
          'one DaemonClient (own WebSocket connection) per concurrent client; ' +
          (RAW
            ? 'raw sendRequest, no client-side validation'
            : 'DaemonClient.request: params and result validated with zod, chunks validated, as the extension does'),
        direct:
          'official openai SDK, one OpenAI client object shared by all concurrent callers ' +
          '(the daemon also shares one per provider), same request body as the daemon',
        fake: 'test/fakes/fake-openai.ts in its own process (bench/lib/fake-provider.ts), no delay',
        routing:
          'auto (no pinned model): one openai-compatible provider with one tier-3 model; the router runs per request',
        localModel: LOCAL_MODEL
          ? 'local/tiny (completion only) loaded: the model host runs during the chats'
          : 'none: the model host is not started',
        serverLimits: SERVER_LIMITS,
        serverLimitsNote:
          'raised from the defaults (50 req/s, burst 100 per connection), which would throttle a closed loop',
        levels: LEVELS,
        requestsPerLevel: REQUESTS,
        warmupPerLevel: WARMUP,
        rounds: `${ROUNDS} rounds per level, targets taking turns (order reversed every other round)`,
        thinkMs: THINK_MS
          ? `${THINK_MS} (each client pauses 0.5–1.5 × this between requests)`
          : '0: saturating closed loops',
        chunks: CHUNKS,
      },
      results,
      ...(profile ? { profile } : {}),
    });
  } finally {
    for (const t of targets) await t.stop().catch(() => {});
    await daemon?.stop().catch(() => {});
    await fake.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`overhead bench failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
