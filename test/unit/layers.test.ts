// The layers README describes, checked on every import: shared/ holds only what both sides use
// (protocol, transport, discovery) and imports neither side; the extension and the webview never
// import the daemon; the daemon never imports the extension or the webview.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAYERS = ['shared', 'daemon', 'extension', 'webview'] as const;
type Layer = (typeof LAYERS)[number];

/** Which layers each layer may import from (besides itself and node_modules). */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  shared: [],
  daemon: ['shared'],
  extension: ['shared'],
  webview: ['shared'],
};

const SOURCE = /\.(ts|mts|cts|mjs|cjs)$/;
// Static imports, re-exports, dynamic import() and require() with a literal relative specifier.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (SOURCE.test(e.name)) out.push(p);
  }
  return out;
}

function layerOf(file: string): Layer | undefined {
  const top = path.relative(root, file).split(path.sep)[0];
  return (LAYERS as readonly string[]).includes(top ?? '') ? (top as Layer) : undefined;
}

function layerViolations(): string[] {
  const bad: string[] = [];
  for (const layer of LAYERS) {
    for (const file of filesUnder(path.join(root, layer))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(SPECIFIER)) {
        const target = layerOf(path.resolve(path.dirname(file), m[2]!));
        if (!target || target === layer) continue;
        if (!ALLOWED[layer].includes(target))
          bad.push(`${path.relative(root, file)} imports ${m[2]} (${layer} → ${target})`);
      }
    }
  }
  return bad;
}

describe('layers', () => {
  it('no import from shared/ into daemon/ or extension/, none from extension/ or webview/ into daemon/', () => {
    assert.deepEqual(layerViolations(), []);
  });

  it('finds the imports it is meant to catch', () => {
    // The pattern itself, on the shapes of import the tree uses.
    const sample = [
      "import { x } from '../daemon/engine';",
      "export { y } from '../../daemon/config';",
      "const m = await import('../daemon/model-host/main');",
      "const c = require('../daemon/cli/client');",
      "import type { Z } from '../shared/protocol';",
    ].join('\n');
    const found = [...sample.matchAll(SPECIFIER)].map((m) => m[2]);
    assert.deepEqual(found, [
      '../daemon/engine',
      '../../daemon/config',
      '../daemon/model-host/main',
      '../daemon/cli/client',
      '../shared/protocol',
    ]);
  });
});
