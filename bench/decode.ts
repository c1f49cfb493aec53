// Decode speed (generated tokens/s after the first) with 1 and 2 threads: through the daemon's
// inference path (the model-host child, as the daemon runs it), node-llama-cpp called directly
// (its raw evaluate loop, and LlamaCompletion as the model host uses it), and llama.cpp's own
// llama-bench when built (npm run bench:native). Interleaved rounds: drifting machine speed
// (turbo, neighbours) hits every path alike, each round in a rotated order; the table shows medians.
//   node --import tsx bench/decode.ts [--model tiny] [--tokens N] [--threads 1,2] [--rounds N] [--out NAME]
//     [--nlc-dir DIR]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Token } from 'node-llama-cpp';
import { defaultThreadCount } from '../daemon/model-host/threads';
import { llamaBenchDecode, nativeBin } from './lib/llama-native';
import { benchModel, cpuLlama, shapeFromArgs, startBenchModelHost } from './lib/model';
import { median, outName, printTable, summarize, writeResult } from './lib/report';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const shape = shapeFromArgs(argv);
const N = Number(arg('--tokens') ?? 128);
const rounds = Number(arg('--rounds') ?? 5);
const threadCounts = (arg('--threads') ?? [...new Set([1, Math.min(2, defaultThreadCount())])].join(','))
  .split(',')
  .map(Number);
const modelPath = benchModel(shape);
const PROMPT = 'function fibonacci(n: number): number {\n  if (n < 2) return n;\n';

const rate = (times: number[]) => (times.length < 2 ? NaN : (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000));

/** `--nlc-dir D`: node-llama-cpp from D/node_modules instead (e.g. a copy with a source build in it). */
const nlcDir = arg('--nlc-dir');
async function loadNlc(): Promise<typeof import('node-llama-cpp')> {
  if (!nlcDir) return import('node-llama-cpp');
  return (await import(
    pathToFileURL(path.join(path.resolve(nlcDir), 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href
  )) as typeof import('node-llama-cpp');
}

async function directPaths(threads: number) {
  const { nlc, llama } = await cpuLlama(threads, await loadNlc());
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ sequences: 1, contextSize: 2048, threads });
  const seq = context.getSequence();
  const prompt = model.tokenize(PROMPT);
  const completion = new nlc.LlamaCompletion({ contextSequence: seq });
  return {
    binary: `${llama.buildType} ${llama.gpu === false ? 'cpu' : llama.gpu}`,
    // The sequence's own generator, greedy, no stop conditions: the native decode loop plus N-API.
    raw: async () => {
      await seq.clearHistory();
      const times: number[] = [];
      for await (const _t of seq.evaluate(prompt, { temperature: 0 })) {
        times.push(performance.now());
        if (times.length >= N) break;
      }
      return rate(times);
    },
    // LlamaCompletion as the model host calls it: its sampling chain, stop detection, streaming.
    completion: async () => {
      await seq.clearHistory();
      const times: number[] = [];
      await completion.generateCompletion(PROMPT, {
        maxTokens: N,
        temperature: 0,
        repeatPenalty: false,
        onToken: (t: Token[]) => t.forEach(() => times.push(performance.now())),
      });
      return rate(times);
    },
    close: async () => {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

async function daemonPath(threads: number) {
  const host = await startBenchModelHost(modelPath, threads);
  let k = 0;
  return {
    run: async () => {
      // A fresh session per run: every run decodes the same tokens from the same state. Streamed, so
      // the first delta marks the first token; the rate counts the tokens after it.
      const times: number[] = [];
      const r = await host.complete(
        { modelId: 'bench', sessionKey: `decode-${k++}`, prefix: PROMPT, maxTokens: N, temperature: 0 },
        () => times.push(performance.now()),
      );
      const end = performance.now();
      return { rate: (r.usage.outputTokens - 1) / ((end - (times[0] ?? end)) / 1000), tokens: r.usage.outputTokens };
    },
    close: () => host.dispose(),
  };
}

type Path = 'native' | 'raw' | 'completion' | 'daemon';
const rows: (string | number)[][] = [
  [
    'threads',
    'llama-bench (native)',
    'nlc raw',
    'nlc LlamaCompletion',
    'daemon',
    'daemon / native',
    'nlc raw / native',
  ],
];
const out: Record<string, unknown>[] = [];
let binary = '';
for (const t of threadCounts) {
  const direct = await directPaths(t);
  const daemon = await daemonPath(t);
  binary = direct.binary;
  const hasNative = !!nativeBin('llama-bench');
  await direct.raw();
  await daemon.run(); // warm-up
  const samples: Record<Path, number[]> = { native: [], raw: [], completion: [], daemon: [] };
  let daemonTokens = 0;
  const steps: [Path, () => Promise<number>][] = [
    ...(hasNative
      ? [['native', async () => llamaBenchDecode(modelPath, t, N, 1)!.tokensPerSecond] as [Path, () => Promise<number>]]
      : []),
    ['raw', direct.raw],
    ['completion', direct.completion],
    [
      'daemon',
      async () => {
        const d = await daemon.run();
        daemonTokens = d.tokens;
        return d.rate;
      },
    ],
  ];
  for (let r = 0; r < rounds; r++) {
    // Each round starts with another path: no path always runs first (or last) in a round.
    for (let i = 0; i < steps.length; i++) {
      const [name, run] = steps[(i + r) % steps.length]!;
      samples[name].push(await run());
    }
  }
  await direct.close();
  await daemon.close();
  const m = (p: Path) => (samples[p].length ? median(samples[p]) : NaN);
  const ratio = (p: Path) => (hasNative ? m(p) / m('native') : NaN);
  const show = (x: number) => (Number.isNaN(x) ? '-' : x);
  rows.push([
    String(t),
    show(m('native')),
    m('raw'),
    m('completion'),
    m('daemon'),
    show(ratio('daemon')),
    show(ratio('raw')),
  ]);
  out.push({
    threads: t,
    tokensPerSecond: Object.fromEntries(
      (Object.keys(samples) as Path[]).map((p) => [p, samples[p].length ? summarize(samples[p]) : null]),
    ),
    daemonTokens,
    daemonOverNative: hasNative ? ratio('daemon') : null,
    rawOverNative: hasNative ? ratio('raw') : null,
  });
}
printTable(
  `decode tokens/s, median of ${rounds} interleaved rounds ` +
    `(${shape}, ${N} tokens, greedy; node-llama-cpp binary: ${binary})`,
  rows,
);
writeResult(outName('decode'), {
  nodeLlamaCppDir: nlcDir ?? null,
  model: shape,
  tokens: N,
  rounds,
  nodeLlamaCppBinary: binary,
  nativeBinary: nativeBin('llama-bench') ?? null,
  results: out,
  targets: { daemonOverNative: '≥ 0.95' },
});
