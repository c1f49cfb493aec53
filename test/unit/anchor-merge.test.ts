// Apply to File: a chat code block merged into the whole file by its anchors (first and last lines,
// and the parts around "... existing code ..." markers), or no merge when they do not match.
import { strict as assert } from 'node:assert';
import { isElisionMarker, mergeByAnchors } from '../../extension/core/anchor-merge';

const FILE = [
  'import math',
  '',
  '',
  'def area(r):',
  '    return math.pi * r * r',
  '',
  '',
  'def circumference(r):',
  '    return 2 * math.pi * r',
  '',
  '',
  'print(area(2))',
  '',
].join('\n');

const TS = [
  'export class Cart {',
  '  private items: number[] = [];',
  '',
  '  add(price: number): void {',
  '    if (price < 0) {',
  "      throw new Error('negative');",
  '    }',
  '    this.items.push(price);',
  '  }',
  '',
  '  total(): number {',
  '    return this.items.reduce((a, b) => a + b, 0);',
  '  }',
  '}',
  '',
].join('\n');

describe('anchor merge (Apply to File)', () => {
  it("replaces the lines between the block's first and last lines", () => {
    const block = 'def circumference(r):\n    """Around the circle."""\n    return 2 * math.pi * r\n';
    const merged = mergeByAnchors(FILE, block)!;
    assert.equal(
      merged,
      FILE.replace('def circumference(r):\n', 'def circumference(r):\n    """Around the circle."""\n'),
    );
  });

  it('a rewritten function whose last line changed replaces the block its first line opens', () => {
    const merged = mergeByAnchors(FILE, 'def area(r):\n    return math.pi * r ** 2');
    assert.equal(merged, FILE.replace('math.pi * r * r', 'math.pi * r ** 2'));
  });

  it('a method with braces ends at its own closing brace, not the first inner one', () => {
    const block = [
      'add(price: number): void {',
      '  if (price <= 0) {',
      "    throw new Error('not positive');",
      '  }',
      '  this.items.push(price);',
      '}',
    ].join('\n');
    const merged = mergeByAnchors(TS, block)!;
    assert.ok(merged.includes("      throw new Error('not positive');"), merged);
    assert.ok(merged.includes('    if (price <= 0) {'), "the dedented block takes the anchor's indentation");
    assert.ok(merged.includes('  total(): number {'), 'the next method stays');
    assert.equal(merged.split('\n').length, TS.split('\n').length);
  });

  it('keeps the file between parts separated by "... existing code ..." markers', () => {
    const block = [
      'export class Cart {',
      '  private items: number[] = [];',
      '  private discount = 0;',
      '  // ... existing code ...',
      '  total(): number {',
      '    return this.items.reduce((a, b) => a + b, 0) - this.discount;',
      '  }',
      '}',
    ].join('\n');
    const merged = mergeByAnchors(TS, block)!;
    assert.ok(merged.includes('  private discount = 0;'), merged);
    assert.ok(merged.includes('    this.items.push(price);'), 'the elided method stays');
    assert.ok(merged.includes('- this.discount;'), merged);
    assert.ok(!merged.includes('... existing code'), 'no marker lands in the file');
  });

  it('does not merge when an anchor is missing or the first one is ambiguous', () => {
    assert.equal(mergeByAnchors(FILE, 'def volume(r):\n    return 4 / 3 * math.pi * r ** 3'), undefined);
    assert.equal(mergeByAnchors(FILE, '\n\n'), undefined);
    // "" and "return" lines occur more than once: not an anchor to trust.
    assert.equal(mergeByAnchors('x = 1\nx = 1\n', 'x = 1\ny = 2'), undefined);
  });

  it('recognises elision markers in several comment styles, and not code', () => {
    for (const m of ['// ...', '  # ... existing code ...', '/* ... */', '<!-- … -->', '-- ... rest']) {
      assert.ok(isElisionMarker(m), m);
    }
    for (const c of ['...args', 'x = [...a]', '// TODO: more', 'print("...")']) assert.ok(!isElisionMarker(c), c);
  });
});
