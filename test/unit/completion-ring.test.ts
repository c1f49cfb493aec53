import assert from 'node:assert/strict';
import { buildCompletionPrompt } from '../../daemon/completion-context';
import { ChunkSource, ContextRing, chunkSimilarity } from '../../daemon/completion-ring';
import { DocumentStore } from '../../daemon/documents';
import { prefillRig } from '../helpers/prefill-rig';
import { completionPrivacy } from '../../daemon/request-privacy';
import { SecretScanCache } from '../../daemon/routing';
import { WorkspaceSettings } from '../../shared/protocol';

/** `n` lines of distinct code, tagged so that chunks of different files share no line. */
const code = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `const ${tag}${i} = ${i};`).join('\n');

describe('completion context ring (chunks of other files)', () => {
  it('holds still while the user types; queued chunks enter together once idle', () => {
    const ring = new ContextRing({ idleMs: 1000 });
    ring.pick('file:///b.ts', code('b', 10), ChunkSource.Opened);
    ring.touch(5000, 'file:///a.ts');
    ring.pick('file:///c.ts', code('c', 10), ChunkSource.Edited);
    assert.equal(ring.update(5500), false, 'typed 500 ms ago');
    assert.equal(ring.update(5500, 'file:///a.ts'), false, 'a completion where the user types');
    assert.deepEqual(ring.chunks('file:///a.ts'), []);
    assert.equal(ring.update(6000), true);
    assert.deepEqual(
      ring.chunks('file:///a.ts').map((c) => [c.uri, c.source]),
      [
        ['file:///b.ts', 'opened'],
        ['file:///c.ts', 'edited'],
      ],
    );
    assert.equal(ring.update(9000), false, 'nothing queued: the ring (and the prompt start) stays');
    assert.deepEqual(
      ring.chunks('file:///b.ts').map((c) => c.uri),
      ['file:///c.ts'],
      "a file's own chunks are left out",
    );
    ring.touch(9000, 'file:///a.ts');
    ring.pick('file:///d.ts', code('d', 10), ChunkSource.Selected);
    assert.equal(ring.update(9001, 'file:///b.ts'), true, 'a completion in another file than the one typed in');
    assert.deepEqual(
      ring.chunks('file:///b.ts').map((c) => c.uri),
      ['file:///c.ts', 'file:///d.ts'],
    );
  });

  it('evicts the oldest chunks first, by count and by characters', () => {
    const ring = new ContextRing({ idleMs: 0, maxChunks: 3, maxChars: 10_000 });
    for (const f of ['a', 'b', 'c', 'd']) ring.pick(`file:///${f}.ts`, code(f, 5), ChunkSource.Opened);
    ring.update(1);
    assert.deepEqual(
      ring.chunks('file:///x.ts').map((c) => c.uri),
      ['file:///b.ts', 'file:///c.ts', 'file:///d.ts'],
    );

    const small = new ContextRing({ idleMs: 0, maxChars: 2 * code('a', 5).length + 1 });
    for (const f of ['a', 'b', 'c']) small.pick(`file:///${f}.ts`, code(f, 5), ChunkSource.Opened);
    small.update(1);
    assert.deepEqual(
      small.chunks('file:///x.ts').map((c) => c.uri),
      ['file:///b.ts', 'file:///c.ts'],
    );
  });

  it('keeps one chunk of a region: an identical pick is skipped, a similar one replaces the old', () => {
    const ring = new ContextRing({ idleMs: 0 });
    const before = code('b', 20);
    ring.pick('file:///b.ts', before, ChunkSource.Opened);
    ring.update(1);
    ring.pick('file:///b.ts', before, ChunkSource.Edited);
    assert.equal(ring.queued().length, 0, 'already held');
    // Typing in b.ts re-picks the region at every key: the queue keeps the newest take only.
    const edited1 = before.replace('const b3 = 3;', 'const b3 = 30;');
    const edited2 = before.replace('const b3 = 3;', 'const b3 = 300;');
    assert.ok(chunkSimilarity(before, edited2) > 0.9);
    ring.pick('file:///b.ts', edited1, ChunkSource.Edited);
    ring.pick('file:///b.ts', edited2, ChunkSource.Edited);
    assert.deepEqual(
      ring.queued().map((c) => c.text),
      [edited2],
    );
    ring.update(2);
    assert.deepEqual(
      ring.chunks('file:///a.ts').map((c) => c.text),
      [edited2],
      'the stale take left the ring',
    );
    assert.equal(chunkSimilarity(code('a', 10), code('b', 10)), 0);
  });

  it('bounds a chunk to whole lines and skips blank ones', () => {
    const ring = new ContextRing({ idleMs: 0, chunkLines: 4, maxChunkChars: 40 });
    ring.pick('file:///b.ts', code('b', 10), ChunkSource.Opened);
    ring.pick('file:///c.ts', '\n\n  \n', ChunkSource.Opened);
    ring.update(1);
    const [only, ...rest] = ring.chunks('file:///a.ts');
    assert.deepEqual(rest, []);
    assert.equal(only!.text, 'const b0 = 0;\nconst b1 = 1;');
  });

  it('puts the chunks before the file prefix, oldest first, with file headers; the newest win the budget', () => {
    const ring = new ContextRing({ idleMs: 0 });
    ring.pick('file:///src/b.ts', code('b', 3), ChunkSource.Opened);
    ring.pick('file:///src/c.ts', code('c', 3), ChunkSource.Selected);
    ring.update(1);
    const text = 'const a = 1;\nconst x = ';
    const p = buildCompletionPrompt(text, text.length, 'file:///src/a.ts', ring.chunks('file:///src/a.ts'));
    assert.equal(
      p.prefix,
      `<|file_sep|>b.ts\n${code('b', 3)}\n<|file_sep|>c.ts\n${code('c', 3)}\n<|file_sep|>a.ts\n${text}`,
    );
    assert.equal(p.filePrefix, text);
    const tight = buildCompletionPrompt(text, text.length, 'file:///src/a.ts', ring.chunks('file:///src/a.ts'), {
      maxPrefixChars: 6000,
      maxSuffixChars: 640,
      maxContextChars: code('c', 3).length + 20,
    });
    assert.deepEqual(
      tight.context.map((c) => c.uri),
      ['file:///src/c.ts'],
    );
  });

  it('gives a cloud model no chunk of a private path, a .env file or one with a secret; a local one all', () => {
    const ring = new ContextRing({ idleMs: 0 });
    ring.pick('file:///w/secret/keys.ts', code('k', 3), ChunkSource.Opened);
    ring.pick('file:///w/.env', 'DATABASE_URL=postgres://app:hunter2hunter2@db/app', ChunkSource.Opened);
    ring.pick('file:///w/api.ts', 'const key = "sk-proj-Zx9Qm3Lp7Rt2Vb8Nc4Hd6Jf1Kg5Ws0Ye";', ChunkSource.Selected);
    ring.pick('file:///w/util.ts', code('u', 3), ChunkSource.Edited);
    ring.update(1);
    const text = 'const a = ';
    const p = buildCompletionPrompt(text, text.length, 'file:///w/a.ts', ring.chunks('file:///w/a.ts'));
    assert.equal(p.context.length, 4, 'a local model gets every chunk');
    const scope = {
      settings: WorkspaceSettings.parse({ privatePaths: ['secret/**'] }),
      workspaceRoots: ['file:///w'],
    };
    const parts = { uri: 'file:///w/a.ts', filePrefix: p.filePrefix, suffix: p.suffix, context: p.context };
    const cloud = completionPrivacy(parts, scope, new SecretScanCache());
    assert.deepEqual(cloud.withheld, { privatePath: 1, secret: 2 });
    assert.equal(cloud.cloud.prefix, `<|file_sep|>util.ts\n${code('u', 3)}\n<|file_sep|>a.ts\n${text}`);
  });

  it('once the user is idle, moves picked chunks in and warms the last edit with them', async () => {
    const docs = new DocumentStore(undefined, new ContextRing({ idleMs: 20 }));
    const { calls, prefill, nextCall: next } = prefillRig(docs);
    const prefixes = () => calls.map((c) => c.req.prefix);
    docs.open('file:///b.ts', 'typescript', 1, `${code('b', 5)}\n`);
    docs.open('file:///a.ts', 'typescript', 1, 'const a = 1\n');
    prefill.completedWith('file:///a.ts', 'local/coder');
    const changes = [{ range: { start: { line: 0, character: 11 }, end: { line: 0, character: 11 } }, text: ';' }];
    let warmed = next();
    docs.change('file:///a.ts', 2, changes);
    prefill.afterEdit('file:///a.ts', changes);
    await warmed;
    assert.ok(!prefixes()[0]!.includes('b.ts'), 'typing: the ring has not changed yet');
    warmed = next();
    await warmed;
    assert.ok(prefixes()[1]!.startsWith(`<|file_sep|>b.ts\n${code('b', 5)}`), prefixes()[1]);
    prefill.dispose();
  });
  it('cuts the chunk of a region the editor picks: a short one centred, a long one from its start', () => {
    const docs = new DocumentStore(undefined, new ContextRing({ chunkLines: 4 }));
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    docs.open('file:///p.ts', 'typescript', 1, `${lines.join('\n')}\n`);
    const at = (from: number, to: number) => ({ start: { line: from, character: 0 }, end: { line: to, character: 3 } });
    assert.ok(docs.pickRegion('file:///p.ts', at(10, 10), ChunkSource.Viewed));
    assert.ok(docs.pickRegion('file:///p.ts', at(2, 15), ChunkSource.Selected));
    assert.equal(docs.pickRegion('file:///never-opened.ts', at(0, 0), ChunkSource.Viewed), false);
    const picked = docs.contextRing.queued().filter((c) => c.source !== ChunkSource.Opened);
    assert.deepEqual(
      picked.map((c) => [c.source, c.text]),
      [
        [ChunkSource.Viewed, 'line 9\nline 10\nline 11\nline 12'],
        [ChunkSource.Selected, 'line 2\nline 3\nline 4\nline 5'],
      ],
    );
  });
});
