// Decode speed of long chat and refactor answers through the daemon, as a client sees them: the
// built daemon in its own process, a WebSocket client (DaemonClient: zod-validated, as the
// extension) counting streamed gearbox/chatChunk deltas, timed from the first delta to the final
// answer. Side by side, interleaved (each round starts with another path; medians): node-llama-cpp's
// own LlamaChatSession.prompt (greedy, and at the refactor's temperature) and
// LlamaCompletion.generateCompletion in this process, on the same
// model, per-sequence context size and threads, and llama.cpp's llama-bench when built
// (npm run bench:native). CPU time per token of each process (daemon, model host, this client) says
// where the daemon's time goes. Greedy (temperature 0) chats; the refactor is an Explain with a
// budget of --tokens (RefactorParams.maxTokens), at the refactor's own temperature.
//   node --import tsx bench/decode-chat.ts [--model tiny|qwen2.5-coder-0.5b|FILE.gguf] [--tokens 1024]
//        [--threads 1,2] [--rounds 3] [--context 4096]
//        [--paths session,session-sampled,completion,chat,refactor,native]
//        [--baseline-entry FILE] [--out NAME]
//   --baseline-entry FILE  also chat through a daemon run from another build of the CLI (e.g. the
//        commit before a change, built into .cache/bench-baseline/: inside the repo, so that
//        node_modules resolves), interleaved with the others as the path 'baseline'
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Token } from 'node-llama-cpp';
import { connectToDaemon, type DaemonClient } from '../daemon/cli/client';
import { defaultThreadCount } from '../daemon/model-host/threads';
import { cpuMsOf, ensureBuilt, flag, listFlag, numFlag, selfCpuMs, spawnDaemon, tempDir } from './lib/daemon-process';
import { llamaBenchDecode, nativeBin } from './lib/llama-native';
import { benchModel, cpuLlama } from './lib/model';
import { childPids, median, outName, printTable, summarize, writeResult } from './lib/report';

const modelArg = flag('model') || 'tiny';
const N = numFlag('tokens', 1024);
const ROUNDS = numFlag('rounds', 3);
const CONTEXT = numFlag('context', 4096);
const THREADS = listFlag('threads', [...new Set([1, Math.min(2, defaultThreadCount())])]);
const PATHS = (flag('paths') || 'session,session-sampled,completion,chat,refactor,native').split(',') as PathName[];
const modelPath = modelArg.endsWith('.gguf')
  ? path.resolve(modelArg)
  : benchModel(modelArg === 'qwen2.5-coder-0.5b' ? 'qwen2.5-coder-0.5b' : 'tiny');
const modelName = modelArg.endsWith('.gguf') ? path.basename(modelArg) : modelArg;
const QUESTION = 'Tell me a story about a cat';
const CODE =
  'function fibonacci(n: number): number {\n  if (n < 2) return n;\n' +
  '  return fibonacci(n - 1) + fibonacci(n - 2);\n}\n';

type PathName = 'session' | 'session-sampled' | 'completion' | 'chat' | 'refactor' | 'native' | 'baseline';
/** The engine's refactor temperature (daemon/engine.ts): sampling costs more per token than greedy. */
const REFACTOR_TEMPERATURE = 0.2;
const BASELINE_ENTRY = flag('baseline-entry') || undefined;
interface Sample {
  /** Tokens per second after the first token. */
  rate: number;
  tokens: number;
  /** CPU ms per token: this process, the daemon, the model host (daemon paths). */
  cpu?: { client: number; daemon: number; host: number };
  /** gearbox/chatChunk notifications the client got. */
  chunks?: number;
}

const perSecond = (tokens: number, ms: number) => (tokens - 1) / (ms / 1000);

/** node-llama-cpp in this process: LlamaChatSession.prompt and LlamaCompletion, one sequence. */
async function direct(threads: number) {
  const { nlc, llama } = await cpuLlama(threads);
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  // The daemon's per-sequence context: the configured size (honoured past the training context too).
  const contextSize = CONTEXT;
  const context = await model.createContext({ sequences: 1, contextSize, threads });
  const timed = async (run: (onToken: () => void) => Promise<unknown>): Promise<Sample> => {
    const times: number[] = [];
    const cpu0 = selfCpuMs();
    await run(() => times.push(performance.now()));
    const tokens = times.length;
    return {
      rate: perSecond(tokens, times.at(-1)! - times[0]!),
      tokens,
      cpu: { client: (selfCpuMs() - cpu0) / tokens, daemon: 0, host: 0 },
    };
  };
  return {
    contextSize,
    session: (temperature: number, question: string) =>
      timed(async (onToken) => {
        const sequence = context.getSequence();
        const session = new nlc.LlamaChatSession({ contextSequence: sequence });
        try {
          await session.prompt(question, {
            maxTokens: N,
            temperature,
            onToken: (t: Token[]) => t.forEach(onToken),
          });
        } finally {
          session.dispose();
          sequence.dispose();
        }
      }),
    completion: () =>
      timed(async (onToken) => {
        const sequence = context.getSequence();
        const completion = new nlc.LlamaCompletion({ contextSequence: sequence });
        try {
          await completion.generateCompletion(`${QUESTION}.\n`, {
            maxTokens: N,
            temperature: 0,
            onToken: (t: Token[]) => t.forEach(onToken),
          });
        } finally {
          completion.dispose();
          sequence.dispose();
        }
      }),
    close: async () => {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The built daemon in its own process, and one client, as the extension connects. */
async function daemon(threads: number, entry?: string) {
  const dir = tempDir();
  const d = await spawnDaemon({
    dir,
    ...(entry ? { entry: path.resolve(entry) } : {}),
    config: {
      threads,
      gpu: false,
      localModels: [{ id: 'local/bench', source: modelPath, contextSize: CONTEXT }],
      modelDirs: [path.dirname(modelPath)],
      idleUnloadMinutes: 60,
      logLevel: 'warn',
      // This process decodes in-process between the daemon paths and can answer pings late: the
      // daemon must not drop it for that (the run measures decoding, not the heartbeat).
      server: { heartbeatMs: 600_000 },
    },
    logLevel: 'warn',
  });
  const client: DaemonClient = await connectToDaemon({ runtimeDir: d.runtimeDir, clientName: 'bench-decode-chat' });
  let chunkTimes: number[] = [];
  client.onNotification('gearbox/chatChunk', () => chunkTimes.push(performance.now()));
  const close = async () => {
    running.delete(close);
    await client.close().catch(() => undefined);
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  running.add(close);
  let k = 0;
  const cpu = () => {
    const hosts = childPids(d.pid);
    return {
      client: selfCpuMs(),
      daemon: cpuMsOf(d.pid) ?? 0,
      host: hosts.reduce((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0),
    };
  };
  const timed = async (request: (streamId: string) => Promise<{ usage: { outputTokens: number } }>) => {
    chunkTimes = [];
    const before = cpu();
    const res = await request(`decode-${k++}`);
    const end = performance.now();
    const after = cpu();
    const tokens = res.usage.outputTokens;
    const per = (x: 'client' | 'daemon' | 'host') => (after[x] - before[x]) / tokens;
    return {
      rate: perSecond(tokens, end - chunkTimes[0]!),
      tokens,
      chunks: chunkTimes.length,
      cpu: { client: per('client'), daemon: per('daemon'), host: per('host') },
    } satisfies Sample;
  };
  return {
    chat: () =>
      timed((streamId) =>
        client.request('gearbox/chat', {
          streamId,
          messages: [{ role: 'user', content: QUESTION }],
          model: 'local/bench',
          maxTokens: N,
          temperature: 0,
        }),
      ),
    refactor: () =>
      timed((streamId) =>
        client.request('gearbox/refactor', {
          streamId,
          kind: 'explain',
          uri: 'file:///bench/fib.ts',
          range: { start: { line: 0, character: 0 }, end: { line: 3, character: 1 } },
          text: CODE,
          languageId: 'typescript',
          model: 'local/bench',
          maxTokens: N,
        }),
      ),
    close,
  };
}

// Stopped early (Ctrl+C): the daemons this run started go too.
const running = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => void Promise.allSettled([...running].map((stop) => stop())).then(() => process.exit(130)));

ensureBuilt();
const hasNative = !!nativeBin('llama-bench');
const rows: (string | number)[][] = [
  [
    'threads',
    'llama-bench',
    'LlamaChatSession',
    'session t=0.2',
    'LlamaCompletion',
    'daemon chat',
    'daemon refactor',
    ...(BASELINE_ENTRY ? ['baseline chat', 'baseline / session'] : []),
    'chat / session',
    'refactor / session t=0.2',
    'chat / llama-bench',
  ],
];
const cpuRows: (string | number)[][] = [['threads', 'path', 'client', 'daemon', 'model host', 'total', 'chunks']];
const results: Record<string, unknown>[] = [];
let contextSize = 0;
/** Prints the tables and writes the result file (after each thread count: a long run keeps what it measured). */
function report(): void {
  printTable(
    `decode tokens/s after the first token, median of ${ROUNDS} interleaved rounds (${modelName}, ` +
      `${N}-token answers, context ${contextSize} per sequence)`,
    rows,
  );
  printTable('CPU ms per generated token, by process (medians)', cpuRows);
  writeResult(outName(`decode-chat-${modelName.replace(/\.gguf$/, '')}`), {
    model: modelName,
    modelPath: path.relative(process.cwd(), modelPath),
    tokens: N,
    rounds: ROUNDS,
    contextSize,
    nativeBinary: nativeBin('llama-bench') ?? null,
    baselineEntry: BASELINE_ENTRY ?? null,
    results,
    targets: { chatOverSession: '≥ 0.95', refactorOverSampledSession: '≥ 0.95' },
  });
}

for (const t of THREADS) {
  // The machine may be shared: its load, with the ratios, says how far the absolute numbers carry.
  const loadBefore = os.loadavg()[0]!;
  const lib = await direct(t);
  contextSize = lib.contextSize;
  const dmn = await daemon(t);
  const steps: [PathName, () => Promise<Sample>][] = [];
  if (PATHS.includes('native') && hasNative)
    steps.push(['native', async () => ({ rate: llamaBenchDecode(modelPath, t, N, 1)!.tokensPerSecond, tokens: N })]);
  if (PATHS.includes('session')) steps.push(['session', () => lib.session(0, QUESTION)]);
  if (PATHS.includes('session-sampled'))
    steps.push(['session-sampled', () => lib.session(REFACTOR_TEMPERATURE, `Explain this code:\n${CODE}`)]);
  if (PATHS.includes('completion')) steps.push(['completion', lib.completion]);
  if (PATHS.includes('chat')) steps.push(['chat', dmn.chat]);
  if (PATHS.includes('refactor')) steps.push(['refactor', dmn.refactor]);
  const base = BASELINE_ENTRY ? await daemon(t, BASELINE_ENTRY) : undefined;
  if (base) steps.push(['baseline', base.chat]);
  // Warm-up: the model host loads the model and resolves the chat wrapper on first use.
  for (const [name, run] of steps) if (name !== 'native') await run();
  const samples = new Map<PathName, Sample[]>(steps.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < steps.length; i++) {
      const [name, run] = steps[(i + r) % steps.length]!;
      const s = await run();
      samples.get(name)!.push(s);
      console.log(
        `  threads ${t} round ${r + 1}: ${name} ${s.rate.toFixed(1)} tok/s (${s.tokens} tokens` +
          `${s.chunks !== undefined ? `, ${s.chunks} chunks` : ''})`,
      );
    }
  }
  await dmn.close();
  await base?.close();
  await lib.close();
  const m = (p: PathName) => {
    const s = samples.get(p);
    return s?.length ? median(s.map((x) => x.rate)) : NaN;
  };
  const show = (x: number) => (Number.isNaN(x) ? '-' : x);
  rows.push([
    String(t),
    show(m('native')),
    show(m('session')),
    show(m('session-sampled')),
    show(m('completion')),
    show(m('chat')),
    show(m('refactor')),
    ...(BASELINE_ENTRY ? [show(m('baseline')), show(m('baseline') / m('session'))] : []),
    show(m('chat') / m('session')),
    show(m('refactor') / m('session-sampled')),
    show(m('chat') / m('native')),
  ]);
  for (const [name, s] of samples) {
    const withCpu = s.filter((x) => x.cpu);
    if (!withCpu.length) continue;
    const c = (k: 'client' | 'daemon' | 'host') => median(withCpu.map((x) => x.cpu![k]));
    const chunks = s[0]?.chunks !== undefined ? median(s.map((x) => x.chunks!)) : '-';
    cpuRows.push([String(t), name, c('client'), c('daemon'), c('host'), c('client') + c('daemon') + c('host'), chunks]);
  }
  const loadAfter = os.loadavg()[0]!;
  console.log(`  threads ${t}: 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
  results.push({
    threads: t,
    loadAverage: { before: loadBefore, after: loadAfter },
    tokensPerSecond: Object.fromEntries([...samples].map(([name, s]) => [name, summarize(s.map((x) => x.rate))])),
    msPerToken: Object.fromEntries([...samples].map(([name]) => [name, 1000 / m(name)])),
    cpuMsPerToken: Object.fromEntries(
      [...samples]
        .filter(([, s]) => s.some((x) => x.cpu))
        .map(([name, s]) => [
          name,
          {
            client: median(s.map((x) => x.cpu!.client)),
            daemon: median(s.map((x) => x.cpu!.daemon)),
            host: median(s.map((x) => x.cpu!.host)),
          },
        ]),
    ),
    tokens: Object.fromEntries([...samples].map(([name, s]) => [name, s.map((x) => x.tokens)])),
    chunks: Object.fromEntries(
      [...samples].filter(([, s]) => s[0]?.chunks !== undefined).map(([name, s]) => [name, s.map((x) => x.chunks)]),
    ),
    chatOverSession: m('chat') / m('session'),
    refactorOverSampledSession: m('refactor') / m('session-sampled'),
    baselineOverSession: BASELINE_ENTRY ? m('baseline') / m('session') : null,
    chatOverNative: hasNative ? m('chat') / m('native') : null,
  });
  report();
}
