import { strict as assert } from 'node:assert';
import { extractFeatures, FEATURE_INDEX } from '../../daemon/routing/difficulty';
import { scanRequest } from '../../daemon/routing/request-scan';

const stub = (sig: string) => `Return the answer.\n\`\`\`python\nclass Solution:\n    ${sig}\n\`\`\``;

describe('scanRequest: what a signature declares', () => {
  it('counts parameters, leaving out receivers and commas inside type brackets', () => {
    assert.equal(scanRequest(stub('def f(self, nums: List[int], k: int) -> int:')).params, 2);
    assert.equal(scanRequest(stub('def f(self, d: Dict[str, int]) -> int:')).params, 1);
    assert.equal(scanRequest('```go\nfunc (r *Ring) Push(a, b int, c string) {\n```').params, 3);
    assert.equal(scanRequest('```ts\nexport function merge<T>(a: Map<K, V>, b: T[]): T[] {\n```').params, 2);
    assert.equal(scanRequest('```rust\npub fn len(&self) -> usize {\n```').params, 0);
    assert.equal(scanRequest('```java\npublic static int[] pick(int[][] grid, int k) {\n```').params, 2);
  });

  it('keeps the most parameters of any signature, and skips __init__-style plumbing', () => {
    const design = stub('def __init__(self, a: int, b: int, c: int, d: int):\n    def get(self, key: int) -> int:');
    assert.equal(scanRequest(design).params, 1);
    const two = '```python\ndef a(x, y, z):\n    pass\ndef b(x):\n    pass\n```';
    assert.equal(scanRequest(two).params, 3);
  });

  it('reads prose lines for signatures as prose, not code', () => {
    const scan = scanRequest('Please write def f(a, b, c) for me');
    assert.equal(scan.params, 0);
    assert.equal(scan.codeChars, 0);
  });

  it('finds nested collection types on code lines only', () => {
    assert.equal(scanRequest(stub('def f(self, grid: List[List[int]]) -> int:')).nested, true);
    assert.equal(scanRequest('```cpp\nint f(vector<vector<int>>& g) {\n```').nested, true);
    assert.equal(scanRequest('```ts\nfunction f(m: number[][]): number {\n```').nested, true);
    assert.equal(scanRequest(stub('def f(self, nums: List[int]) -> int:')).nested, false);
    assert.equal(scanRequest('a list of lists, List[List[int]] in prose').nested, false);
  });

  it("splits a function's name into words and looks them up in the vocabulary, not in the asks", () => {
    const terms = new Map([
      ['palindrome', 0],
      ['min', 1],
      ['cost', 2],
    ]);
    const words = new Set<string>();
    const scan = scanRequest(stub('def minCost_palindrome(self, s: str) -> int:'), terms, words);
    assert.deepEqual([...scan.terms].sort(), [0, 1, 2]);
    for (const w of ['min', 'cost', 'palindrome']) assert.ok(words.has(w), w);
    // A helper named for debugging asks for no debugging.
    const debug = scanRequest('```python\ndef debugLog(msg):\n```');
    assert.ok(!debug.hits.some(Boolean));
  });

  it('counts distinct prose words, not repeats or code', () => {
    assert.equal(scanRequest('sort the list, then sort the list again').distinctWords, 5);
    assert.equal(scanRequest('sort it\n```python\ndef other_words(here, there):\n```').distinctWords, 2);
  });
});

describe('extractFeatures: signature features', () => {
  const x = (prompt: string) => extractFeatures({ task: 'chat', prompt }).x;
  it('sets the params, nested and distinct-words features from the scan, capped', () => {
    const f = x(stub('def f(self, grid: List[List[int]], a, b, c, d, e, g, h) -> int:'));
    assert.equal(f[FEATURE_INDEX['signature:params']!], 6);
    assert.equal(f[FEATURE_INDEX['signature:nested']!], 1);
    assert.ok(f[FEATURE_INDEX['distinct-words']!]! > 0);
    const plain = x('rename x to y');
    assert.equal(plain[FEATURE_INDEX['signature:params']!], 0);
    assert.equal(plain[FEATURE_INDEX['signature:nested']!], 0);
  });

  it('never lowers a signature feature when text is appended', () => {
    const base = stub('def f(self, grid: List[List[int]], k: int) -> int:');
    const more = `${base}\n\`\`\`python\ndef g(a):\n    pass\n\`\`\`\nAlso handle empty grids.`;
    for (const name of ['signature:params', 'signature:nested', 'distinct-words'])
      assert.ok(x(more)[FEATURE_INDEX[name]!]! >= x(base)[FEATURE_INDEX[name]!]!, name);
  });
});
