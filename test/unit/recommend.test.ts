// Presets sized to the machine: the built-in list judged against typical machines gives llama.vscode's
// advice for completion (8 GB VRAM → 1.5B, 16 GB → 3B, 24 GB → 7B, CPU → 1.5B) and a chat model that
// fits next to it, each verdict with its numbers and a line. Also the preset list and hf: URIs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DownloadError } from '../../daemon/models/download-error';
import { hfUriOf, isHfFile, localPathOf, parseHfUri } from '../../daemon/models/hub';
import { loadPresets, PresetFile } from '../../daemon/models/presets';
import { recommend } from '../../daemon/models/recommend';
import { progressText } from '../../daemon/cli/progress-bar';
import type { MachineInfo } from '../../shared/protocol';

const GiB = 1024 ** 3;
const presets = loadPresets();

function machine(ramGiB: number, vramGiB: number | null, diskGiB = 500): MachineInfo {
  return {
    totalRamBytes: ramGiB * GiB,
    freeRamBytes: (ramGiB / 2) * GiB,
    gpu: vramGiB ? 'cuda' : null,
    vramTotalBytes: vramGiB ? vramGiB * GiB : null,
    vramFreeBytes: vramGiB ? vramGiB * GiB : null,
    diskFreeBytes: diskGiB * GiB,
    modelsDir: '/models',
  };
}

const verdict = (r: ReturnType<typeof recommend>, id: string) => {
  const f = r.presets.find((p) => p.preset.id === id);
  assert.ok(f, id);
  return f;
};

describe('model recommendations', () => {
  it('the built-in presets are real hub files with sizes, FIM models for completion, instruct models for chat', () => {
    assert.ok(PresetFile.safeParse({ presets }).success);
    for (const p of presets) {
      const ref = parseHfUri(p.uri, 'https://huggingface.co');
      assert.ok(isHfFile(ref), `${p.id} names a file`);
      assert.equal(hfUriOf(ref), p.uri, `${p.id}: canonical URI`);
      assert.ok(p.sizeBytes > 100_000_000, `${p.id}: a real size`);
      assert.equal(/instruct/i.test(p.uri), p.role === 'chat', `${p.id}: instruct models chat, base models complete`);
    }
    assert.deepEqual(
      presets.filter((p) => p.role === 'completion').map((p) => p.uri.split('/')[1]),
      [
        'Qwen2.5-Coder-0.5B-Q8_0-GGUF',
        'Qwen2.5-Coder-1.5B-Q8_0-GGUF',
        'Qwen2.5-Coder-3B-Q8_0-GGUF',
        'Qwen2.5-Coder-7B-Q8_0-GGUF',
      ],
    );
  });

  it('8 GiB laptop without a GPU: 1.5B completes, 3B chats, the big ones say what they need', () => {
    const r = recommend(presets, machine(8, null), new Set(), new Map());
    assert.deepEqual(r.recommended, { completion: 'qwen2.5-coder-1.5b', chat: 'qwen2.5-coder-3b-instruct' });
    assert.equal(verdict(r, 'qwen2.5-coder-3b').kind, 'needs-more-ram');
    const big = verdict(r, 'qwen3-coder-30b-a3b-instruct');
    assert.equal(big.kind, 'needs-more-ram');
    assert.ok(big.neededBytes > 8 * GiB && big.availableBytes < 8 * GiB);
    assert.match(big.text, /^needs 19\.\d GiB RAM, you have 8\.0 GiB$/);
    assert.match(verdict(r, 'qwen2.5-coder-1.5b').text, /^runs from RAM: needs ~2\.\d GiB, you have 8\.0 GiB$/);
    assert.equal(r.presets[0]!.recommended, true);
  });

  it('GPUs: 8 GiB → 1.5B, 16 GiB → 3B + 14B chat, 24 GiB → 7B + 14B chat, all in VRAM', () => {
    const small = recommend(presets, machine(16, 8), new Set(), new Map());
    assert.equal(small.recommended.completion, 'qwen2.5-coder-1.5b');
    assert.equal(verdict(small, 'qwen2.5-coder-1.5b').kind, 'fits-vram');
    assert.match(verdict(small, 'qwen2.5-coder-1.5b').text, /^fits in 8\.0 GiB VRAM \(needs ~2\.\d GiB\)$/);

    const mid = recommend(presets, machine(32, 16), new Set(), new Map());
    assert.deepEqual(mid.recommended, { completion: 'qwen2.5-coder-3b', chat: 'qwen2.5-coder-14b-instruct' });
    assert.equal(verdict(mid, 'qwen2.5-coder-14b-instruct').kind, 'fits-vram');

    const big = recommend(presets, machine(32, 24), new Set(), new Map());
    assert.deepEqual(big.recommended, { completion: 'qwen2.5-coder-7b', chat: 'qwen2.5-coder-14b-instruct' });
    // The MoE fits from RAM, but a model in VRAM is the better pick.
    assert.deepEqual(
      [verdict(big, 'qwen3-coder-30b-a3b-instruct').usable, verdict(big, 'qwen3-coder-30b-a3b-instruct').kind],
      [true, 'fits-ram'],
    );
  });

  it('32 GiB without a GPU: the MoE chats from RAM (3B per token); dense 14B is too slow there', () => {
    const r = recommend(presets, machine(32, null), new Set(), new Map());
    assert.deepEqual(r.recommended, { completion: 'qwen2.5-coder-1.5b', chat: 'qwen3-coder-30b-a3b-instruct' });
    assert.equal(verdict(r, 'qwen2.5-coder-3b').kind, 'too-slow-on-cpu', 'completion wants <= 1.5B on a CPU');
    const dense = verdict(r, 'qwen2.5-coder-14b-instruct');
    assert.deepEqual([dense.usable, dense.kind], [false, 'too-slow-on-cpu']);
    assert.match(dense.text, /too slow for chat without a GPU that holds it \(14\.7B parameters per token\)/);
  });

  it('a full disk rules out what is not downloaded yet; what is on disk stays usable', () => {
    const r = recommend(
      presets,
      machine(16, null, 1),
      new Set(['qwen2.5-coder-0.5b']),
      new Map([['qwen2.5-coder-0.5b', 'local/tiny']]),
    );
    assert.equal(r.recommended.completion, 'qwen2.5-coder-0.5b');
    assert.equal(verdict(r, 'qwen2.5-coder-0.5b').configuredAs, 'local/tiny');
    const full = verdict(r, 'qwen2.5-coder-1.5b');
    assert.equal(full.kind, 'not-enough-disk');
    assert.match(full.text, /^needs 1\.5 GiB of disk, 1\.0 GiB free in \/models$/);
  });

  it('parses hf: URIs and hub URLs into one canonical form and a place in the models dir', () => {
    const hub = 'http://127.0.0.1:9';
    const a = parseHfUri('hf:owner/Repo-GGUF/sub/dir/model-Q4_K_M.gguf', hub);
    const b = parseHfUri('https://huggingface.co/owner/Repo-GGUF/resolve/main/sub/dir/model-Q4_K_M.gguf', hub);
    assert.deepEqual(a, b);
    assert.ok(isHfFile(a));
    assert.equal(localPathOf('/m', a), path.join('/m', 'hf', 'owner', 'Repo-GGUF', 'sub', 'dir', 'model-Q4_K_M.gguf'));
    const pinned = parseHfUri('hf:owner/repo/m.gguf#v2', hub);
    assert.ok(isHfFile(pinned));
    assert.equal(hfUriOf(pinned), 'hf:owner/repo/m.gguf#v2');
    assert.equal(localPathOf('/m', pinned), path.join('/m', 'hf', 'owner', 'repo@v2', 'm.gguf'));
    assert.deepEqual(parseHfUri('hf:owner/repo:q8_0', hub), {
      owner: 'owner',
      repo: 'repo',
      revision: 'main',
      tag: 'q8_0',
    });
    for (const bad of ['hf:owner/../etc/passwd.gguf', 'hf:owner/repo/model.bin', 'hf:o/r/m-00001-of-00003.gguf']) {
      assert.throws(() => parseHfUri(bad, hub), DownloadError, bad);
    }
    assert.throws(() => parseHfUri('hf:o/r/m-00001-of-00003.gguf', hub), /split models are not supported yet/);
  });

  it('progress reads as a line: percent, bytes, rate and time left', () => {
    const text = progressText({
      receivedBytes: 512 * 1024 ** 2,
      totalBytes: GiB,
      bytesPerSecond: 8 * 1024 ** 2,
      etaSeconds: 64,
    });
    assert.equal(text, '50% 512.0 MiB of 1.0 GiB, 8.0 MiB/s, 1m 4s left');
  });
});

// The fixture the tests' presetsFile names must stay loadable.
describe('test preset list', () => {
  it('loads', () => {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'test-presets.json');
    assert.deepEqual(
      loadPresets(file).map((p) => p.id),
      ['tiny-fim', 'tiny-chat', 'huge-chat'],
    );
  });
});
