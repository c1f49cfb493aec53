// FIM time-to-first-token: a cold prompt, a same-line edit (one more character), the next line, and
// an edit far above the cursor — through the daemon's inference path (the model-host child over
// IPC, as the daemon runs it), through node-llama-cpp called directly in this process, and through
// llama.cpp's own llama-server given the very same token ids (when bench/build-native.sh built it).
// Before each warm scenario the cache holds the cold prompt, as it does while the user types.
//   node --import tsx bench/fim.ts [--model tiny] [--threads N] [--runs N]
import path from 'node:path';
import type { LlamaCompletion, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { ModelHostClient } from '../daemon/model-host/client';
import { createLogger } from '../daemon/log';
import { defaultThreadCount } from '../daemon/model-host/threads';
import { fimScenarios, type FimPrompt, type FimScenarios } from './lib/fim-prompt';
import { nativeBin, serverComplete, startLlamaServer } from './lib/llama-native';
import { benchModel, shapeFromArgs } from './lib/model';
import { median, outName, printTable, repoRoot, summarize, writeResult } from './lib/report';

const argv = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const shape = shapeFromArgs(argv);
const threads = flag('--threads', Math.min(2, defaultThreadCount()));
const runs = flag('--runs', 5);
const modelPath = benchModel(shape);
const scenarios = fimScenarios();
type Name = keyof FimScenarios;
const names: Name[] = ['cold', 'sameLine', 'nextLine', 'farEdit'];

interface Sample {
  ms: number;
  evaluated?: number;
}
type Results = Record<Name, Sample[]>;
const empty = (): Results => ({ cold: [], sameLine: [], nextLine: [], farEdit: [] });

/** Runs every scenario `runs` times; before a warm scenario the cache holds the cold prompt. */
async function measure(label: string, once: (p: FimPrompt, fresh: boolean) => Promise<Sample>): Promise<Results> {
  const out = empty();
  await once(scenarios.cold, true); // warm-up: page the weights in, JIT the paths
  for (let r = 0; r < runs; r++) {
    out.cold.push(await once(scenarios.cold, true));
    for (const name of names.slice(1)) {
      await once(scenarios.cold, false);
      out[name].push(await once(scenarios[name], false));
    }
  }
  console.log(`${label}: ${names.map((n) => `${n} ${median(out[n].map((s) => s.ms)).toFixed(1)} ms`).join(', ')}`);
  return out;
}

// ---------- node-llama-cpp, directly ----------
async function direct(): Promise<{ results: Results; tokens: Record<Name, number[]>; binary: string }> {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, maxThreads: threads, logLevel: nlc.LlamaLogLevel.error });
  const model: LlamaModel = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ sequences: 1, contextSize: 4096, threads });
  const seq: LlamaContextSequence = context.getSequence();
  const completion: LlamaCompletion = new nlc.LlamaCompletion({ contextSequence: seq });
  const tok = (t: string): Token[] => model.tokenize(t, false, 'trimLeadingSpace');
  const ids = (p: FimPrompt): number[] => {
    const t = model.tokens;
    const bos = t.shouldPrependBosToken && t.bos != null ? [t.bos] : [];
    return [...bos, t.infill.prefix!, ...tok(p.prefix), t.infill.suffix!, ...tok(p.suffix), t.infill.middle!];
  };
  const results = await measure('node-llama-cpp direct', async (p, fresh) => {
    if (fresh) await seq.clearHistory();
    const before = seq.tokenMeter.getState();
    const started = performance.now();
    let first = 0;
    await completion.generateInfillCompletion(p.prefix, p.suffix, {
      maxTokens: 1,
      temperature: 0,
      onToken: () => (first ||= performance.now()),
    });
    const ms = (first || performance.now()) - started;
    return { ms, evaluated: seq.tokenMeter.diff(before).usedInputTokens };
  });
  const tokens = Object.fromEntries(names.map((n) => [n, ids(scenarios[n])])) as Record<Name, number[]>;
  const binary = `${llama.buildType} ${llama.gpu === false ? 'cpu' : llama.gpu}`;
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { results, tokens, binary };
}

// ---------- the daemon's inference path: model-host child over IPC ----------
/** The extension's debounce: the daemon's prefill starts at the edit, the request comes this much later. */
const DEBOUNCE_MS = 75;

async function viaDaemon(): Promise<{ plain: Results; prefilled: Results }> {
  const host = new ModelHostClient({
    entry: path.join(repoRoot, 'dist', 'daemon', 'model-host.mjs'),
    models: [{ id: 'bench', source: modelPath }],
    modelsDir: path.join(repoRoot, '.cache', 'bench-models'),
    threads,
    gpu: false,
    idleUnloadMs: 0,
    logger: createLogger({ level: 'warn' }),
  });
  let session = 0;
  try {
    await host.load('bench');
    const once = (prefill: boolean) => async (p: FimPrompt, fresh: boolean): Promise<Sample> => {
      if (fresh) session++;
      const key = `s${session}`;
      if (prefill && !fresh) {
        // As the daemon does after an edit: warm the cache at once, the request follows the debounce.
        void host.prefill({ modelId: 'bench', sessionKey: key, prefix: p.prefix, suffix: p.suffix }).catch(() => {});
        await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
      }
      const started = performance.now();
      let first = 0;
      const r = await host.complete({ modelId: 'bench', sessionKey: key, prefix: p.prefix, suffix: p.suffix, maxTokens: 1, temperature: 0 }, () => (first ||= performance.now()));
      // With maxTokens 1 the reply itself marks the first token (a token may decode to no text).
      return { ms: (first || performance.now()) - started, evaluated: r.usage.evaluatedPromptTokens };
    };
    const plain = await measure('daemon model host', once(false));
    const prefilled = await measure(`daemon model host, prefilled during the ${DEBOUNCE_MS} ms debounce`, once(true));
    return { plain, prefilled };
  } finally {
    await host.dispose();
  }
}

// ---------- llama.cpp's own server, same token ids ----------
async function viaLlamaServer(tokens: Record<Name, number[]>): Promise<Results | undefined> {
  if (!nativeBin('llama-server')) {
    console.log('llama-server: not built (bench/build-native.sh), skipped');
    return undefined;
  }
  const server = await startLlamaServer(modelPath, threads);
  try {
    const byPrompt = new Map(names.map((n) => [scenarios[n], tokens[n]]));
    return await measure('llama-server', async (p, fresh) => {
      const r = await serverComplete(server, byPrompt.get(p)!, 1, !fresh);
      return { ms: r.wallMs, evaluated: r.promptN };
    });
  } finally {
    await server.stop();
  }
}

const d = await direct();
const { plain: host, prefilled } = await viaDaemon();
const server = await viaLlamaServer(d.tokens);

const row = (label: string, r: Results | undefined): (string | number)[] => [
  label,
  ...names.flatMap((n): (string | number)[] => (r ? [median(r[n].map((s) => s.ms)), median(r[n].map((s) => s.evaluated ?? NaN))] : ['-', '-'])),
];
printTable(`FIM time to first token, ms (median of ${runs}; ${threads} thread(s); prompt ${d.tokens.cold.length} tokens, ${shape}; "eval" = prompt tokens evaluated)`, [
  ['path', ...names.flatMap((n) => [n, 'eval'])],
  row('node-llama-cpp direct', d.results),
  row('daemon (model host)', host),
  row(`daemon, prefilled (${DEBOUNCE_MS} ms)`, prefilled),
  row('llama-server (native)', server),
]);
const stats = (r: Results | undefined) => r && Object.fromEntries(names.map((n) => [n, { ms: summarize(r[n].map((s) => s.ms)), evaluatedTokens: median(r[n].map((s) => s.evaluated ?? NaN)) }]));
const sameLineRatio = server ? median(host.sameLine.map((s) => s.ms)) / median(server.sameLine.map((s) => s.ms)) : undefined;
if (sameLineRatio !== undefined) console.log(`\nwarm same-line TTFT, daemon / llama-server: ${sameLineRatio.toFixed(2)}× (target ≤ 1)`);
const prefilledRatio = server ? median(prefilled.sameLine.map((s) => s.ms)) / median(server.sameLine.map((s) => s.ms)) : undefined;
if (prefilledRatio !== undefined) console.log(`warm same-line TTFT, daemon with prefill / llama-server: ${prefilledRatio.toFixed(2)}×`);
writeResult(outName('fim'), {
  model: shape,
  threads,
  runs,
  promptTokens: Object.fromEntries(names.map((n) => [n, d.tokens[n].length])),
  nodeLlamaCppBinary: d.binary,
  direct: stats(d.results),
  daemonModelHost: stats(host),
  daemonModelHostPrefilled: stats(prefilled),
  prefillNote: `the daemon's prefill started at the edit; the request followed ${DEBOUNCE_MS} ms later (the extension's debounce); times are from the request`,
  llamaServer: stats(server) ?? null,
  sameLineDaemonOverLlamaServer: sameLineRatio ?? null,
  sameLinePrefilledDaemonOverLlamaServer: prefilledRatio ?? null,
  targets: { sameLineDaemonOverLlamaServer: '≤ 1' },
});
