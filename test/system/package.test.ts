// Packaging: builds the platform .vsix once (scripts/package.mjs, ~10-15 s) and inspects it as a zip.
// GEARBOX_VSIX=<file> inspects an existing .vsix instead of building one.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// A variable specifier: the script is plain JS without type declarations.
const scriptUrl = new URL('../../scripts/package.mjs', import.meta.url).href;

interface ZipEntry {
  name: string;
  size: number;
  compressedSize: number;
}
interface PackageModule {
  BINARY_PACKAGES: Record<string, string[]>;
  currentTarget(platform?: string, arch?: string): string;
  binaryPackagesFor(target: string): string[];
  listZip(file: string): ZipEntry[];
  readZipEntry(file: string, name: string): Buffer | undefined;
  checkVsix(entries: { name: string }[], target: string, main?: string): string[];
}

describe('packaging (npm run package → platform .vsix)', function () {
  this.timeout(240_000);
  let mod: PackageModule;
  let vsix: string;
  let target: string;
  let names: Set<string>;
  let tmp: string | undefined;

  before(async function () {
    mod = (await import(scriptUrl)) as PackageModule;
    target = process.env.GEARBOX_VSIX_TARGET ?? mod.currentTarget();
    if (process.env.GEARBOX_VSIX) {
      vsix = path.resolve(process.env.GEARBOX_VSIX);
    } else {
      if (!(target in mod.BINARY_PACKAGES)) this.skip(); // e.g. alpine: no prebuilt node-llama-cpp binaries
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-package-test-'));
      const started = Date.now();
      const r = spawnSync(process.execPath, ['scripts/package.mjs', '--out', tmp + path.sep], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `packaging failed:\n${r.stdout}\n${r.stderr}`);
      const files = fs.readdirSync(tmp).filter((f) => f.endsWith('.vsix'));
      assert.equal(files.length, 1, `one .vsix expected in ${tmp}: ${files.join(', ')}`);
      vsix = path.join(tmp, files[0]!);
      assert.ok(Date.now() - started < 120_000, 'packaging takes under 2 minutes');
    }
    names = new Set(mod.listZip(vsix).map((e) => e.name));
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is named for its target and has the vsix manifest', () => {
    if (!process.env.GEARBOX_VSIX) assert.match(path.basename(vsix), new RegExp(`-${target}-`));
    assert.ok(names.has('extension.vsixmanifest'));
    const manifest = mod.readZipEntry(vsix, 'extension.vsixmanifest')!.toString('utf8');
    assert.match(manifest, new RegExp(`TargetPlatform="${target}"`));
  });

  it('contains the bundles, README, LICENSE and media', () => {
    for (const f of [
      'dist/extension/extension.cjs',
      'dist/daemon/gearbox.mjs',
      'dist/daemon/model-host.mjs',
      'dist/daemon/index-worker.mjs',
      'dist/webview/main.js',
      'package.json',
      'media/gearbox.svg',
    ]) {
      assert.ok(names.has(`extension/${f}`), `missing ${f}`);
    }
    assert.ok(
      [...names].some((n) => /^extension\/readme\.md$/i.test(n)),
      'README',
    );
    assert.ok(
      [...names].some((n) => /^extension\/license(\.txt|\.md)?$/i.test(n)),
      'LICENSE',
    );
  });

  it('package.json main points at an included file; depends only on the two run-time loaded packages', () => {
    const pkg = JSON.parse(mod.readZipEntry(vsix, 'extension/package.json')!.toString('utf8')) as {
      main: string;
      dependencies: Record<string, string>;
      devDependencies?: unknown;
    };
    assert.ok(names.has(`extension/${path.posix.normalize(pkg.main)}`), `main ${pkg.main} not in the .vsix`);
    // Everything else is bundled: node-llama-cpp (native, loaded by the model host) and the tree-sitter
    // runtime whose .wasm files code search loads from disk are the only packages the .vsix ships.
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@vscode/tree-sitter-wasm', 'node-llama-cpp']);
    assert.equal(pkg.devDependencies, undefined);
  });

  it("ships node-llama-cpp with its production dependencies and this platform's CPU binaries", () => {
    assert.ok(names.has('extension/node_modules/node-llama-cpp/package.json'));
    assert.ok(names.has('extension/node_modules/node-llama-cpp/dist/index.js'));
    // A few of node-llama-cpp's production dependencies.
    for (const dep of ['lifecycle-utils', '@huggingface/jinja', 'chalk'])
      assert.ok(names.has(`extension/node_modules/${dep}/package.json`), dep);
    const [cpu] = mod.binaryPackagesFor(target);
    assert.ok(names.has(`extension/node_modules/${cpu}/package.json`), `${cpu}`);
    assert.ok(
      [...names].some((n) => n.startsWith(`extension/node_modules/${cpu}/bins/`) && n.endsWith('llama-addon.node')),
      `${cpu} native addon`,
    );
  });

  it('contains no CUDA binaries and no other platform', () => {
    const cuda = [...names].filter((n) => /cuda/i.test(n));
    assert.deepEqual(cuda, []);
    const allowed = new Set(mod.binaryPackagesFor(target));
    const others = new Set(
      [...names]
        .flatMap((n) => /^extension\/node_modules\/(@node-llama-cpp\/[^/]+)\//.exec(n)?.[1] ?? [])
        .filter((p) => !allowed.has(p)),
    );
    assert.deepEqual([...others], []);
  });

  it('ships none of the bundled dependencies, no sources, no tests, no sourcemaps', () => {
    for (const dep of [
      'openai',
      '@anthropic-ai/sdk',
      '@google/genai',
      'zod',
      'ws',
      'vscode-languageclient',
      'vscode-languageserver',
      'marked',
      'dompurify',
      'esbuild',
      'typescript',
    ]) {
      assert.ok(![...names].some((n) => n.startsWith(`extension/node_modules/${dep}/`)), `${dep} must not be shipped`);
    }
    for (const n of names) {
      assert.ok(!/^extension\/(daemon|extension|shared|webview|test|scripts)\//.test(n), `source shipped: ${n}`);
      assert.ok(!n.endsWith('.map'), `sourcemap shipped: ${n}`);
    }
    assert.ok(
      !names.has('extension/node_modules/node-llama-cpp/llama/gitRelease.bundle'),
      'the llama.cpp source bundle is not needed (build: never)',
    );
    assert.deepEqual(
      mod.checkVsix(
        [...names].map((name) => ({ name })),
        target,
      ),
      [],
    );
  });

  it('checkVsix catches CUDA, other platforms and missing files', () => {
    const ok = [...names].map((name) => ({ name }));
    const bad = [
      ...ok,
      { name: 'extension/node_modules/@node-llama-cpp/linux-x64-cuda/package.json' },
      { name: 'extension/node_modules/@node-llama-cpp/win-x64/package.json' },
    ].filter((e) => e.name !== 'extension/dist/webview/main.js');
    const problems = mod.checkVsix(bad, target === 'win32-x64' ? 'linux-x64' : target);
    assert.ok(problems.some((p) => /CUDA/.test(p)));
    assert.ok(problems.some((p) => /other platform/.test(p)));
    assert.ok(problems.some((p) => /missing extension\/dist\/webview\/main\.js/.test(p)));
  });

  it('maps platforms to vsce targets and binary packages', () => {
    assert.equal(mod.currentTarget('darwin', 'arm64'), 'darwin-arm64');
    assert.equal(mod.currentTarget('win32', 'x64'), 'win32-x64');
    assert.deepEqual(mod.binaryPackagesFor('linux-x64'), [
      '@node-llama-cpp/linux-x64',
      '@node-llama-cpp/linux-x64-vulkan',
    ]);
    assert.deepEqual(mod.binaryPackagesFor('darwin-arm64'), ['@node-llama-cpp/mac-arm64-metal']);
    assert.deepEqual(mod.binaryPackagesFor('win32-x64'), ['@node-llama-cpp/win-x64', '@node-llama-cpp/win-x64-vulkan']);
    assert.throws(() => mod.binaryPackagesFor('web'));
    for (const list of Object.values(mod.BINARY_PACKAGES)) assert.ok(!list.some((p) => /cuda/.test(p)));
  });
});
