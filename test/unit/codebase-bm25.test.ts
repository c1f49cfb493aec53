// The compact BM25 index: compaction (merging the delta, dropping removed chunks) never changes an
// answer, only the chunk numbers; the arrays survive a round trip through the index file; and
// damaged arrays are refused instead of read.
import assert from 'node:assert/strict';
import { Bm25Index, type ChunkTerms } from '../../daemon/codebase/bm25';
import { decodeSections, encodeSections } from '../../daemon/codebase/index-file';
import { terms } from '../../daemon/codebase/terms';

const CHUNKS: ChunkTerms[] = [
  ['export function parseConfig(text) { return JSON.parse(text) }', 'parseConfig', 'src/config.ts'],
  ['function hashPassword(password, salt) { return scrypt(password, salt) }', 'hashPassword', 'src/auth.ts'],
  ['class LruCache { evict() { this.map.delete(this.oldest()) } }', 'LruCache evict', 'src/cache.ts'],
  ['// read the config file and parse it\nconst config = readConfig()', '', 'src/main.ts'],
  ['def retry_with_backoff(request): pass  # retry a failed request', 'retry_with_backoff', 'lib/retry.py'],
].map(([text, symbols, path]) => ({ text: terms(text!), symbols: terms(symbols!), path: terms(path!) }));
const QUERIES = ['parse the config', 'hash a password', 'evict from the cache', 'retry a request', 'config'];

function build(chunks: ChunkTerms[], compactEvery = 0): Bm25Index {
  const index = Bm25Index.create();
  chunks.forEach((c, i) => {
    index.add(c);
    if (compactEvery && (i + 1) % compactEvery === 0) index.compact();
  });
  return index;
}

const answers = (index: Bm25Index, rename: (doc: number) => number = (d) => d) =>
  QUERIES.map((q) => index.query(terms(q), 10).map((h) => [rename(h.doc), Number(h.score.toFixed(9))]));

describe('code search: compact BM25 index', () => {
  it('answers the same whether chunks sit in the delta or in the compacted arrays', () => {
    const delta = build(CHUNKS);
    const sealed = build(CHUNKS, 1);
    const mixed = build(CHUNKS, 2);
    assert.deepEqual(answers(sealed), answers(delta));
    assert.deepEqual(answers(mixed), answers(delta));
    assert.equal(answers(delta)[0]![0]![0], 0, 'parse the config: src/config.ts first');
  });

  it('a removed chunk stops matching at once; compaction drops it and renumbers the rest in order', () => {
    const index = build(CHUNKS, 3);
    index.remove(1);
    assert.ok(index.query(terms('hash a password'), 10).every((h) => h.doc !== 1));
    assert.equal(index.size, CHUNKS.length - 1);
    const before = answers(index);
    const remap = index.compact();
    assert.deepEqual([...remap], [0, -1, 1, 2, 3]);
    const back = [0, 2, 3, 4];
    assert.deepEqual(
      answers(index, (d) => back[d]!),
      before,
    );
    // The same as an index that never held the removed chunk.
    assert.deepEqual(answers(index), answers(build(CHUNKS.filter((_, i) => i !== 1))));
  });

  it('round-trips through the index file and refuses damaged arrays', () => {
    const index = build(CHUNKS);
    index.compact();
    const a = index.arrays();
    const sections = decodeSections(
      Buffer.concat(
        encodeSections({
          terms: a.terms,
          termOffsets: a.termOffsets,
          'text.start': a.fields[0].start,
          'text.docs': a.fields[0].docs,
          'text.tfs': a.fields[0].tfs,
        }),
      ),
    );
    assert.deepEqual([...(sections.get('text.docs') as Uint32Array)], [...a.fields[0].docs]);
    assert.deepEqual(answers(Bm25Index.fromArrays(a)), answers(index));

    const outOfRange = {
      ...a,
      fields: [{ ...a.fields[0], docs: a.fields[0].docs.map(() => 99) }, ...a.fields.slice(1)],
    };
    assert.throws(() => Bm25Index.fromArrays(outOfRange as typeof a), /out of order or out of range/);
    const none = () => ({ start: new Uint32Array(3), docs: new Uint32Array(0), tfs: new Uint8Array(0) });
    const unsorted = {
      terms: Buffer.from('ba'),
      termOffsets: Uint32Array.from([0, 1, 2]),
      fields: [none(), none(), none()] as typeof a.fields,
      lengths: [new Uint16Array(0), new Uint16Array(0), new Uint16Array(0)] as typeof a.lengths,
    };
    assert.throws(() => Bm25Index.fromArrays(unsorted), /ascending order/);
    assert.throws(() => decodeSections(Buffer.from('not an index file')), /not an index file/);
  });
});
