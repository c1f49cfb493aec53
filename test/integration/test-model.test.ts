// The GGUF test-model generator: the file it writes parses back (with our reader and node-llama-cpp's),
// carries Qwen2.5's FIM tokens, and loads and generates in node-llama-cpp.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GgmlType,
  GgufValueType,
  MODEL_SHAPES,
  QWEN2_ENDOFTEXT,
  QWEN2_FIM_TOKENS,
  QWEN2_IM_END,
  dequantizeQ8_0,
  floatToHalf,
  halfToFloat,
  makeTestModel,
  quantizeQ8_0,
  readGguf,
  tensorByteSize,
  writeGguf,
  type GgufFile,
} from '../fixtures/make-test-model';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'make-test-model.ts');

function kv(file: GgufFile, key: string): unknown {
  const entry = file.kvs.get(key);
  assert.ok(entry, `missing ${key}`);
  return entry.value;
}

describe('test-model generator', function () {
  this.timeout(120_000); // a hang guard: node-llama-cpp loads take several times longer under load
  let modelPath: string;
  let tmp: string;

  before(() => {
    modelPath = makeTestModel({ shape: 'tiny' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-test-model-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('caches the generated model by shape', () => {
    const mtime = fs.statSync(modelPath).mtimeMs;
    assert.equal(makeTestModel({ shape: 'tiny' }), modelPath);
    assert.equal(fs.statSync(modelPath).mtimeMs, mtime);
    assert.match(path.basename(modelPath), /^tiny-s1-v\d+\.gguf$/);
  });

  it('writes a qwen2 GGUF v3 with the real vocab and Qwen2.5 FIM tokens', () => {
    const file = readGguf(modelPath);
    const spec = MODEL_SHAPES.tiny;
    assert.equal(file.version, 3);
    assert.equal(kv(file, 'general.architecture'), 'qwen2');
    assert.equal(kv(file, 'qwen2.embedding_length'), spec.hidden);
    assert.equal(kv(file, 'qwen2.block_count'), spec.layers);
    assert.equal(kv(file, 'qwen2.attention.head_count'), spec.heads);
    assert.equal(kv(file, 'qwen2.attention.head_count_kv'), spec.kvHeads);
    assert.equal(kv(file, 'qwen2.context_length'), spec.context);
    assert.equal(kv(file, 'tokenizer.ggml.model'), 'gpt2');
    assert.equal(kv(file, 'tokenizer.ggml.pre'), 'qwen2');

    const tokens = kv(file, 'tokenizer.ggml.tokens') as string[];
    const types = kv(file, 'tokenizer.ggml.token_type') as number[];
    assert.equal(tokens.length, 151936);
    assert.equal(tokens[QWEN2_ENDOFTEXT], '<|endoftext|>');
    assert.equal(tokens[QWEN2_IM_END], '<|im_end|>');
    for (const [text, id] of Object.entries(QWEN2_FIM_TOKENS)) {
      assert.equal(tokens[id], text);
      assert.equal(types[id], 3, `${text} is a control token`);
    }
    assert.equal(tokens[151665], '[PAD151665]', 'other padding ids untouched');
    assert.equal(kv(file, 'tokenizer.ggml.fim_pre_token_id'), 151659);
    assert.equal(kv(file, 'tokenizer.ggml.fim_suf_token_id'), 151661);
    assert.equal(kv(file, 'tokenizer.ggml.fim_mid_token_id'), 151660);
    assert.equal(kv(file, 'tokenizer.ggml.eos_token_id'), QWEN2_ENDOFTEXT);
    assert.equal(kv(file, 'tokenizer.ggml.eot_token_id'), QWEN2_IM_END);
    assert.match(kv(file, 'tokenizer.chat_template') as string, /<\|im_start\|>/);
    assert.equal((kv(file, 'tokenizer.ggml.merges') as string[]).length, 151387);
  });

  it('lays the tensors out back to back, aligned, filling the file', () => {
    const file = readGguf(modelPath);
    const spec = MODEL_SHAPES.tiny;
    assert.equal(file.tensors.length, 3 + spec.layers * 12);
    const embd = file.tensors.find((t) => t.name === 'token_embd.weight');
    assert.deepEqual(embd?.dims, [spec.hidden, 151936]);
    assert.equal(embd?.type, GgmlType.F16);
    assert.equal(file.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')?.type, GgmlType.F32);
    assert.deepEqual(file.tensors.find((t) => t.name === 'blk.1.attn_k.weight')?.dims, [
      spec.hidden,
      (spec.hidden / spec.heads) * spec.kvHeads,
    ]);
    let expected = 0;
    for (const t of file.tensors) {
      assert.equal(t.offset, expected, t.name);
      assert.equal(t.offset % 32, 0);
      expected = Math.ceil((t.offset + tensorByteSize(t.dims, t.type)) / 32) * 32;
    }
    assert.equal(file.dataOffset + expected, fs.statSync(modelPath).size);
  });

  it("agrees with node-llama-cpp's GGUF reader", async () => {
    const { readGgufFileInfo } = await import('node-llama-cpp');
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: true });
    assert.equal(info.version, 3);
    assert.equal(info.metadata.general.architecture, 'qwen2');
    assert.equal(info.tensorInfo?.length, readGguf(modelPath).tensors.length);
  });

  it('loads and generates deterministically in node-llama-cpp, with infill support', async () => {
    const { getLlama, LlamaCompletion, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: 1 });
    try {
      const model = await llama.loadModel({ modelPath });
      assert.equal(model.tokens.infill.prefix, QWEN2_FIM_TOKENS['<|fim_prefix|>']);
      assert.equal(model.tokens.infill.suffix, QWEN2_FIM_TOKENS['<|fim_suffix|>']);
      assert.equal(model.tokens.infill.middle, QWEN2_FIM_TOKENS['<|fim_middle|>']);
      assert.deepEqual(model.tokenize('<|fim_prefix|>', true), [QWEN2_FIM_TOKENS['<|fim_prefix|>']]);
      assert.equal(model.detokenize(model.tokenize('def hello(): pass')), 'def hello(): pass');

      const context = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      assert.equal(completion.infillSupported, true);
      const first = await completion.generateCompletion('function add(a, b) {', { maxTokens: 10, temperature: 0 });
      const again = await completion.generateCompletion('function add(a, b) {', { maxTokens: 10, temperature: 0 });
      assert.ok(first.length > 0);
      assert.equal(again, first);
      const infill = await completion.generateInfillCompletionWithMeta('const x = ', ';\n', {
        maxTokens: 6,
        temperature: 0,
      });
      assert.ok(['maxTokens', 'eogToken'].includes(infill.metadata.stopReason));
      await context.dispose();
      await model.dispose();
    } finally {
      await llama.dispose();
    }
  });

  it('writes the same bytes for the same seed from the CLI', () => {
    const out = path.join(tmp, 'cli.gguf');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', fixture, '--shape', 'tiny', '--out', out], {
      encoding: 'utf8',
    });
    assert.match(stdout, /cli\.gguf \(\d+\.\d MB/);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(modelPath)));
  });
});

describe('GGUF encoding helpers', () => {
  it('round-trips every metadata value type', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-gguf-'));
    try {
      const file = path.join(dir, 'kv.gguf');
      const values = new Float32Array(64).map((_, i) => i / 8 - 4);
      writeGguf(
        file,
        [
          { key: 'u8', type: GgufValueType.UINT8, value: 250 },
          { key: 'i8', type: GgufValueType.INT8, value: -5 },
          { key: 'u16', type: GgufValueType.UINT16, value: 60000 },
          { key: 'i16', type: GgufValueType.INT16, value: -30000 },
          { key: 'u32', type: GgufValueType.UINT32, value: 4_000_000_000 },
          { key: 'i32', type: GgufValueType.INT32, value: -2_000_000_000 },
          { key: 'f32', type: GgufValueType.FLOAT32, value: 0.5 },
          { key: 'bool', type: GgufValueType.BOOL, value: true },
          { key: 'str', type: GgufValueType.STRING, value: 'héllo ✓' },
          { key: 'u64', type: GgufValueType.UINT64, value: 2n ** 60n },
          { key: 'i64', type: GgufValueType.INT64, value: -(2n ** 60n) },
          { key: 'f64', type: GgufValueType.FLOAT64, value: Math.PI },
          { key: 'arr', type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: ['a', '', 'ccc'] },
        ],
        [{ name: 'q', dims: [32, 2], type: GgmlType.Q8_0, data: () => quantizeQ8_0(values) }],
      );
      const back = readGguf(file);
      const get = (k: string) => back.kvs.get(k)?.value;
      assert.deepEqual(
        ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'str', 'u64', 'i64', 'f64', 'arr'].map(get),
        [
          250,
          -5,
          60000,
          -30000,
          4_000_000_000,
          -2_000_000_000,
          0.5,
          true,
          'héllo ✓',
          2n ** 60n,
          -(2n ** 60n),
          Math.PI,
          ['a', '', 'ccc'],
        ],
      );
      assert.deepEqual(back.tensors, [{ name: 'q', dims: [32, 2], type: GgmlType.Q8_0, offset: 0 }]);
      const data = fs.readFileSync(file).subarray(back.dataOffset, back.dataOffset + 68);
      const restored = dequantizeQ8_0(new Uint8Array(data));
      for (let i = 0; i < values.length; i++) assert.ok(Math.abs(restored[i]! - values[i]!) < 0.02, `value ${i}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('converts to IEEE half precision with round-to-nearest-even', () => {
    assert.equal(floatToHalf(1), 0x3c00);
    assert.equal(floatToHalf(-2), 0xc000);
    assert.equal(floatToHalf(65504), 0x7bff);
    assert.equal(floatToHalf(1e6), 0x7c00);
    assert.equal(floatToHalf(-Infinity), 0xfc00);
    assert.equal(floatToHalf(2 ** -24), 0x0001);
    assert.equal(floatToHalf(1e-9), 0);
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie rounds to even
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
    assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
    for (const x of [0.1, -3.25, 0.0001, 1234.5])
      assert.ok(Math.abs(halfToFloat(floatToHalf(x)) - x) <= Math.abs(x) * 2 ** -11);
  });

  it('quantizes Q8_0 like ggml: fp16 scale of max|x|/127, then rounded int8', () => {
    const values = new Float32Array(32).map((_, i) => (i - 16) / 16);
    const q = quantizeQ8_0(values);
    assert.equal(q.length, 34);
    const view = new DataView(q.buffer);
    assert.equal(view.getUint16(0, true), floatToHalf(1 / 127));
    assert.equal(view.getInt8(2), -127); // -1.0 is the largest magnitude
    assert.equal(view.getInt8(2 + 16), 0);
    assert.throws(() => quantizeQ8_0(new Float32Array(31)), /multiple of 32/);
  });
});
