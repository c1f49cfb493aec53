// GPU check: loads the benchmark model with CUDA from node-llama-cpp's prebuilt binaries (builds
// nothing), checks that every layer is offloaded, and prints decode tokens/s and FIM time to first
// token (cold and same-line edit). Exits 1 when CUDA is unavailable or a layer stayed on the CPU.
//   bash bench/gpu.sh   (or: node --import tsx bench/gpu.ts [--model tiny])
import type { Token } from 'node-llama-cpp';
import { fimScenarios } from './lib/fim-prompt';
import { benchModel, shapeFromArgs } from './lib/model';
import { median, printTable, writeResult } from './lib/report';

const shape = shapeFromArgs();
const modelPath = benchModel(shape);
const nlc = await import('node-llama-cpp');
const llama = await nlc
  .getLlama({ gpu: 'cuda', build: 'never', skipDownload: true, progressLogs: false, logLevel: nlc.LlamaLogLevel.error })
  .catch((err: Error) => {
    console.error(
      "FAIL: node-llama-cpp's prebuilt CUDA binary cannot run here (no NVIDIA GPU or driver?): " +
        `${err.name} ${err.message}`,
    );
    process.exit(1);
  });
const devices = await llama.getGpuDeviceNames();
const model = await llama.loadModel({ modelPath, gpuLayers: 'max' });
const totalLayers = model.fileInsights.totalLayers;
console.log(`gpu: ${llama.gpu} (${devices.join(', ')}); offloaded ${model.gpuLayers}/${totalLayers} layers`);
if (llama.gpu !== 'cuda' || model.gpuLayers < totalLayers) {
  console.error('FAIL: the model is not fully on the GPU');
  process.exit(1);
}
const context = await model.createContext({ sequences: 1, contextSize: 4096 });
const seq = context.getSequence();

// Decode: the raw evaluate loop, greedy, 256 tokens, best of 3.
const prompt = model.tokenize('function fibonacci(n: number): number {\n');
const decodeRates: number[] = [];
for (let r = 0; r < 3; r++) {
  await seq.clearHistory();
  const times: number[] = [];
  for await (const _t of seq.evaluate(prompt, { temperature: 0 })) {
    times.push(performance.now());
    if (times.length >= 256) break;
  }
  decodeRates.push((times.length - 1) / ((times.at(-1)! - times[0]!) / 1000));
}

// FIM time to first token.
const s = fimScenarios();
const completion = new nlc.LlamaCompletion({ contextSequence: seq });
const ttft = async (p: { prefix: string; suffix: string }) => {
  const started = performance.now();
  let first = 0;
  await completion.generateInfillCompletion(p.prefix, p.suffix, {
    maxTokens: 1,
    temperature: 0,
    onToken: (_t: Token[]) => (first ||= performance.now()),
  });
  return (first || performance.now()) - started;
};
const cold: number[] = [];
const same: number[] = [];
for (let r = 0; r < 6; r++) {
  await seq.clearHistory();
  cold.push(await ttft(s.cold));
  same.push(await ttft(s.sameLine));
}
const results = {
  gpu: llama.gpu,
  devices,
  gpuLayers: model.gpuLayers,
  totalLayers,
  decodeTokensPerSecond: Math.max(...decodeRates),
  fimColdMs: median(cold.slice(1)),
  fimSameLineMs: median(same.slice(1)),
};
printTable(`GPU (${shape})`, [
  ['decode tok/s', 'FIM cold ms', 'FIM same-line ms'],
  [results.decodeTokensPerSecond, results.fimColdMs, results.fimSameLineMs],
]);
writeResult('gpu', { model: shape, ...results });
await context.dispose();
await model.dispose();
await llama.dispose();
