// The HTTP API's overhead: a chat through the daemon's OpenAI-compatible /v1/chat/completions
// (the official `openai` SDK pointed at the daemon, streaming with include_usage, model
// gearbox/auto, an API key) against the same SDK calling the loopback fake provider directly, and
// against the same chat over the daemon's WebSocket (DaemonClient, as bench/overhead.ts measures
// it), in the same run, taking turns. "short" is a one-chunk answer, "stream" --chunks one-word
// chunks; latency is the whole request. The 10-client streaming row is the API's requests/s at
// 10 concurrent streaming clients. Nothing is asserted.
//
//   node --import tsx bench/api-overhead.ts [--levels 1,10] [--requests 1000] [--warmup 100]
//        [--rounds 2] [--chunks 32] [--scenarios short,stream] [--build]
import OpenAI from 'openai';
import { connectToDaemon, type DaemonClient } from '../daemon/cli/client';
import { ApiKeyStore, apiKeysPath } from '../daemon/http-api/api-keys';
import {
  cpuMsOf,
  ensureBuilt,
  flag,
  hasFlag,
  listFlag,
  numFlag,
  selfCpuMs,
  spawnDaemon,
  type DaemonProcess,
} from './lib/daemon-process';
import { spawnFakeProvider, type FakeProviderProcess } from './lib/fake-provider';
import { closedLoop } from './lib/load';
import { printTable, summarize, writeResult, type Summary } from './lib/report';

const LEVELS = listFlag('levels', [1, 10]);
const REQUESTS = numFlag('requests', 1000);
const WARMUP = numFlag('warmup', 100);
const ROUNDS = Math.max(1, numFlag('rounds', 2));
const CHUNKS = numFlag('chunks', 32);
const SCENARIOS = (flag('scenarios') || 'short,stream').split(',') as Scenario[];
type Scenario = 'short' | 'stream';
// The daemon's rate limits (per WebSocket connection, per API key) would throttle a closed loop.
const SERVER_LIMITS = { requestsPerSecond: 1_000_000, requestBurst: 1_000_000 };

interface Target {
  name: 'direct' | 'websocket' | 'api';
  prepare(clients: number): Promise<void>;
  /** One chat; resolves with the number of text chunks received. */
  call(worker: number, seq: number, content: string): Promise<number>;
  stop(): Promise<void>;
}

const contentFor = (s: Scenario) => (s === 'short' ? 'Say ok.' : `Stream me chunks=${CHUNKS} please.`);

/** The openai SDK streaming a chat from `baseURL`: one client object shared by every worker. */
function sdkTarget(name: 'direct' | 'api', baseURL: string, apiKey: string, model: string): Target {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, organization: null, project: null });
  return {
    name,
    prepare: async () => {},
    call: async (_w, _i, content) => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 2048,
      });
      let n = 0;
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) n++;
      if (n === 0) throw new Error('empty answer');
      return n;
    },
    stop: async () => {},
  };
}

/** The same chat over the daemon's WebSocket, one connection per worker (as bench/overhead.ts). */
function websocketTarget(runtimeDir: string): Target {
  const clients: DaemonClient[] = [];
  const counts: number[] = [];
  return {
    name: 'websocket',
    prepare: async (n) => {
      while (clients.length < n) {
        const i = clients.length;
        const c = await connectToDaemon({ runtimeDir, clientName: `bench-${i}` });
        counts[i] = 0;
        c.onNotification('gearbox/chatChunk', () => void counts[i]!++);
        clients.push(c);
      }
    },
    call: async (w, i, content) => {
      const before = counts[w]!;
      const r = await clients[w]!.request('gearbox/chat', {
        streamId: `s${w}-${i}`,
        messages: [{ role: 'user', content }],
      });
      if (!r.text) throw new Error('empty answer');
      return counts[w]! - before;
    },
    stop: async () => void (await Promise.all(clients.map((c) => c.close().catch(() => {})))),
  };
}

interface Row {
  scenario: Scenario;
  clients: number;
  target: Target['name'];
  latencyMs: Summary;
  requestsPerSecond: number;
  errors: number;
  firstError?: string;
  chunksPerRequest: number;
  /** The daemon's CPU per request, µs (none for direct). */
  daemonCpuUsPerRequest?: number;
}

async function measure(targets: Target[], daemonPid: number, scenario: Scenario, clients: number): Promise<Row[]> {
  const content = contentFor(scenario);
  const acc = new Map<
    Target,
    { lat: number[]; errors: number; firstError?: string; wallMs: number; chunks: number; cpu: number }
  >();
  for (const t of targets) {
    await t.prepare(clients);
    const warm = await closedLoop(
      clients,
      Math.max(WARMUP, clients * 2),
      async (w, i) => void (await t.call(w, i, content)),
    );
    if (!warm.latencies.length) throw new Error(`${t.name}: every warm-up request failed: ${warm.firstError}`);
    acc.set(t, { lat: [], errors: 0, wallMs: 0, chunks: 0, cpu: 0 });
  }
  const perRound = Math.ceil(REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const a = acc.get(t)!;
      const cpu0 = cpuMsOf(daemonPid) ?? 0;
      const r = await closedLoop(clients, perRound, async (w, i) => {
        a.chunks += await t.call(w, round * perRound + i, content);
      });
      a.cpu += (cpuMsOf(daemonPid) ?? 0) - cpu0;
      a.lat.push(...r.latencies);
      a.errors += r.errors;
      a.firstError ??= r.firstError;
      a.wallMs += r.wallMs;
    }
  }
  return targets.map((t) => {
    const a = acc.get(t)!;
    const n = a.lat.length + a.errors;
    return {
      scenario,
      clients,
      target: t.name,
      latencyMs: summarize(a.lat),
      requestsPerSecond: Math.round((a.lat.length / a.wallMs) * 1000),
      errors: a.errors,
      ...(a.firstError ? { firstError: a.firstError } : {}),
      chunksPerRequest: Math.round((a.chunks / Math.max(1, a.lat.length)) * 10) / 10,
      ...(t.name === 'direct' ? {} : { daemonCpuUsPerRequest: Math.round((a.cpu * 1000) / n) }),
    };
  });
}

async function main(): Promise<void> {
  ensureBuilt(hasFlag('build'));
  const started = selfCpuMs();
  let fake: FakeProviderProcess | undefined;
  let daemon: DaemonProcess | undefined;
  const targets: Target[] = [];
  try {
    fake = await spawnFakeProvider();
    daemon = await spawnDaemon({
      config: {
        providers: [
          {
            id: 'fake',
            kind: 'openai-compatible',
            baseUrl: fake.url,
            noKey: true,
            models: [{ name: 'm', tier: 3, contextWindow: 128_000 }],
          },
        ],
        server: SERVER_LIMITS,
        logLevel: 'info',
      },
    });
    // The key file beside the daemon's config, as `gearbox api-key --label bench` would write it.
    const key = new ApiKeyStore(apiKeysPath(daemon.configPath)).get('bench');
    targets.push(
      sdkTarget('direct', fake.url, 'bench-no-key', 'm'),
      websocketTarget(daemon.runtimeDir),
      sdkTarget('api', `http://127.0.0.1:${daemon.port}/v1`, key, 'gearbox/auto'),
    );
    console.log(
      `fake pid ${fake.pid}; daemon pid ${daemon.pid} on port ${daemon.port}; levels ${LEVELS.join(', ')}; ` +
        `${REQUESTS} requests per level and target after ${WARMUP} warm-up, ${ROUNDS} rounds`,
    );
    const rows: Row[] = [];
    for (const scenario of SCENARIOS)
      for (const clients of LEVELS)
        for (const row of await measure(targets, daemon.pid, scenario, clients)) {
          rows.push(row);
          console.log(
            `  ${scenario.padEnd(6)} ${String(clients).padStart(3)} clients  ${row.target.padEnd(9)} ` +
              `p50 ${row.latencyMs.p50.toFixed(2)} ms  p99 ${row.latencyMs.p99.toFixed(2)} ms  ` +
              `${row.requestsPerSecond} req/s  daemon cpu µs/req ${row.daemonCpuUsPerRequest ?? '-'}` +
              (row.errors ? `  ${row.errors} errors (${row.firstError})` : ''),
          );
        }
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const results = [];
    for (const scenario of SCENARIOS) {
      const table: (string | number)[][] = [
        [
          'clients',
          'direct p50/p99',
          'WebSocket p50/p99',
          'API p50/p99',
          'API ovh p50/p99',
          'req/s direct/WS/API',
          'daemon CPU µs/req WS/API',
        ],
      ];
      for (const clients of LEVELS) {
        const of = (t: Target['name']) =>
          rows.find((r) => r.scenario === scenario && r.clients === clients && r.target === t)!;
        const [direct, ws, api] = [of('direct'), of('websocket'), of('api')];
        const ovh = {
          p50: r3(api.latencyMs.p50 - direct.latencyMs.p50),
          p99: r3(api.latencyMs.p99 - direct.latencyMs.p99),
        };
        const pair = (s: Summary) => `${s.p50} / ${s.p99}`;
        table.push([
          clients,
          pair(direct.latencyMs),
          pair(ws.latencyMs),
          pair(api.latencyMs),
          `${ovh.p50} / ${ovh.p99}`,
          `${direct.requestsPerSecond} / ${ws.requestsPerSecond} / ${api.requestsPerSecond}`,
          `${ws.daemonCpuUsPerRequest} / ${api.daemonCpuUsPerRequest}`,
        ]);
        results.push({ scenario, clients, direct, websocket: ws, api, apiOverheadMs: ovh });
      }
      const answer = scenario === 'short' ? 'Short answer (1 chunk)' : `Streamed answer (${CHUNKS} chunks)`;
      printTable(`${answer}: latency in ms, closed loops`, table);
    }
    writeResult('api-overhead', {
      setup: {
        daemon: 'separate process: node dist/daemon/gearbox.mjs start (temp dir, log level info, ledger on)',
        api:
          'official openai SDK, one client object shared by all workers, baseURL http://127.0.0.1:<port>/v1, ' +
          'model gearbox/auto, stream with include_usage, Bearer API key',
        websocket: 'one DaemonClient (own authenticated WebSocket) per worker, zod-validated, as bench/overhead.ts',
        direct: 'the same SDK and body straight to the fake',
        fake: 'test/fakes/fake-openai.ts in its own process (bench/lib/fake-provider.ts), no delay',
        serverLimits: SERVER_LIMITS,
        levels: LEVELS,
        requestsPerLevelAndTarget: REQUESTS,
        warmupPerLevel: WARMUP,
        rounds: ROUNDS,
        chunks: CHUNKS,
      },
      results,
      benchCpuMs: selfCpuMs() - started,
    });
  } finally {
    for (const t of targets) await t.stop().catch(() => {});
    await daemon?.stop().catch(() => {});
    await fake?.stop().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`api-overhead bench failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
