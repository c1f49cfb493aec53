// The benchmark model: the test-model generator's Qwen2.5-Coder-0.5B shape (896 hidden, 24 layers,
// 14 heads, 2 KV heads, FFN 4864, Q8_0, tied embeddings) with the real Qwen2 tokenizer and FIM
// tokens and random weights. Generated once (about 30 s, 531 MB) into .cache/test-models/.
import path from 'node:path';
import { createLogger } from '../../daemon/log';
import { ModelHostClient } from '../../daemon/model-host/client';
import { makeTestModel, type TestModelShape } from '../../test/fixtures/make-test-model';
import { repoRoot } from './report';

export function benchModel(shape: TestModelShape = 'qwen2.5-coder-0.5b'): string {
  const started = Date.now();
  const file = makeTestModel({ shape });
  const ms = Date.now() - started;
  if (ms > 1000) console.log(`generated the ${shape} benchmark model in ${(ms / 1000).toFixed(1)} s: ${file}`);
  return file;
}

/** `--model tiny` (quick runs while developing) or the default 0.5B shape. */
export function shapeFromArgs(argv = process.argv.slice(2)): TestModelShape {
  const i = argv.indexOf('--model');
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) return 'qwen2.5-coder-0.5b';
  if (v === 'tiny' || v === 'qwen2.5-coder-0.5b') return v;
  throw new Error(`--model must be tiny or qwen2.5-coder-0.5b, not ${v}`);
}

/** The daemon's inference path as the daemon runs it: the built model-host child, the model loaded as "bench". */
export async function startBenchModelHost(modelPath: string, threads: number): Promise<ModelHostClient> {
  const host = new ModelHostClient({
    entry: path.join(repoRoot, 'dist', 'daemon', 'model-host.mjs'),
    models: [{ id: 'bench', source: modelPath }],
    modelsDir: path.join(repoRoot, '.cache', 'bench-models'),
    threads,
    gpu: false,
    idleUnloadMs: 0,
    logger: createLogger({ level: 'warn' }),
  });
  await host.load('bench');
  return host;
}

/**
 * node-llama-cpp's prebuilt CPU binary in this process, as the model host runs it (no GPU, no build,
 * no download), with `threads` at most; `nlc` is the module it came from (another install can be given).
 */
export async function cpuLlama(threads: number, nlc?: typeof import('node-llama-cpp')) {
  const mod = nlc ?? (await import('node-llama-cpp'));
  const llama = await mod.getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    maxThreads: threads,
    logLevel: mod.LlamaLogLevel.error,
  });
  return { nlc: mod, llama };
}
