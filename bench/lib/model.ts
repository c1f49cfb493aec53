// The benchmark model: the test-model generator's Qwen2.5-Coder-0.5B shape (896 hidden, 24 layers,
// 14 heads, 2 KV heads, FFN 4864, Q8_0, tied embeddings) with the real Qwen2 tokenizer and FIM
// tokens and random weights. Generated once (about 30 s, 531 MB) into .cache/test-models/.
import { makeTestModel, type TestModelShape } from '../../test/fixtures/make-test-model';

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
