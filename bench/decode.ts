// Decode speed (generated tokens/s after the first) with 1 and 2 threads: through the daemon's
// inference path (the model-host child), node-llama-cpp called directly (raw evaluate loop, and
// LlamaCompletion as the model host uses it), and llama.cpp's own llama-bench when built.
//   node --import tsx bench/decode.ts [--model tiny] [--tokens N] [--threads 1,2]
import path from 'node:path';
import type { Token } from 'node-llama-cpp';
import { createLogger } from '../daemon/log';
import { ModelHostClient } from '../daemon/model-host/client';
import { defaultThreadCount } from '../daemon/model-host/threads';
import { llamaBenchDecode, nativeBin } from './lib/llama-native';
import { benchModel, shapeFromArgs } from './lib/model';
import { outName, printTable, repoRoot, writeResult } from './lib/report';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const shape = shapeFromArgs(argv);
const N = Number(arg('--tokens') ?? 128);
const threadCounts = (arg('--threads') ?? [...new Set([1, Math.min(2, defaultThreadCount())])].join(',')).split(',').map(Number);
const modelPath = benchModel(shape);
const PROMPT = 'function fibonacci(n: number): number {\n  if (n < 2) return n;\n';

const rate = (times: number[]) => (times.length < 2 ? NaN : (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000));

async function direct(threads: number): Promise<{ raw: number; completion: number; binary: string }> {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, maxThreads: threads, logLevel: nlc.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ sequences: 1, contextSize: 2048, threads });
  const seq = context.getSequence();
  const prompt = model.tokenize(PROMPT);
  // Raw: the sequence's own generator, greedy, no stop conditions: the native decode loop plus N-API.
  const rawOnce = async () => {
    await seq.clearHistory();
    const times: number[] = [];
    for await (const _t of seq.evaluate(prompt, { temperature: 0 })) {
      times.push(performance.now());
      if (times.length >= N) break;
    }
    return rate(times);
  };
  // LlamaCompletion, as the model host calls it (its default sampling chain, stop detection, streaming).
  const completion = new nlc.LlamaCompletion({ contextSequence: seq });
  const completionOnce = async () => {
    await seq.clearHistory();
    const times: number[] = [];
    await completion.generateCompletion(PROMPT, { maxTokens: N, temperature: 0, onToken: (t: Token[]) => t.forEach(() => times.push(performance.now())) });
    return rate(times);
  };
  await rawOnce(); // warm-up
  const raw = Math.max(await rawOnce(), await rawOnce());
  const comp = Math.max(await completionOnce(), await completionOnce());
  const binary = `${llama.buildType} ${llama.gpu === false ? 'cpu' : llama.gpu}`;
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { raw, completion: comp, binary };
}

async function viaDaemon(threads: number): Promise<{ rate: number; tokens: number }> {
  const host = new ModelHostClient({
    entry: path.join(repoRoot, 'dist', 'daemon', 'model-host.mjs'),
    models: [{ id: 'bench', source: modelPath }],
    modelsDir: path.join(repoRoot, '.cache', 'bench-models'),
    threads,
    gpu: false,
    idleUnloadMs: 0,
    logger: createLogger({ level: 'warn' }),
  });
  try {
    await host.load('bench');
    let best = { rate: 0, tokens: 0 };
    for (let i = 0; i < 3; i++) {
      const times: number[] = [];
      const started = performance.now();
      // A fresh session each time, so every run decodes the same tokens from the same state.
      const r = await host.complete({ modelId: 'bench', sessionKey: `decode-${i}`, prefix: PROMPT, maxTokens: N, temperature: 0 }, () => times.push(performance.now()));
      const end = performance.now();
      // Text arrives in chunks (a token may hold back text); rate over tokens between first text and the end.
      const first = times[0] ?? started;
      const tps = (r.usage.outputTokens - 1) / ((end - first) / 1000);
      if (i > 0 && tps > best.rate) best = { rate: tps, tokens: r.usage.outputTokens };
    }
    return best;
  } finally {
    await host.dispose();
  }
}

const rows: (string | number)[][] = [['threads', 'llama-bench (native)', 'nlc raw', 'nlc LlamaCompletion', 'daemon', 'daemon / native']];
const out: Record<string, unknown>[] = [];
let binary = '';
for (const t of threadCounts) {
  const native = nativeBin('llama-bench') ? llamaBenchDecode(modelPath, t, N) : undefined;
  const d = await direct(t);
  binary = d.binary;
  const g = await viaDaemon(t);
  const ratio = native ? g.rate / native.tokensPerSecond : NaN;
  rows.push([String(t), native?.tokensPerSecond ?? '-', d.raw, d.completion, g.rate, Number.isNaN(ratio) ? '-' : ratio]);
  out.push({ threads: t, nativeTokensPerSecond: native?.tokensPerSecond ?? null, nativeStddev: native?.stddev ?? null, nodeLlamaCppRaw: d.raw, nodeLlamaCppCompletion: d.completion, daemon: g.rate, daemonTokens: g.tokens, daemonOverNative: Number.isNaN(ratio) ? null : ratio });
}
printTable(`decode tokens/s (${shape}, ${N} tokens, greedy; node-llama-cpp binary: ${binary})`, rows);
writeResult(outName('decode'), { model: shape, tokens: N, nodeLlamaCppBinary: binary, results: out, targets: { daemonOverNative: '≥ 0.95' } });
