#!/usr/bin/env node
// `npm run package`: builds, then makes a platform-specific .vsix for the current platform (or
// --target). The bundles carry every dependency except node-llama-cpp (native, loaded at run time
// by the model host), so the .vsix ships only node-llama-cpp's production dependency tree plus
// that platform's CPU (and Vulkan, where one exists) binaries, never the CUDA ones. CUDA is meant
// to be fetched on demand later (a `gearbox doctor`-style step into the models dir), not shipped.
//
//   node scripts/package.mjs [--target linux-x64] [--out <file.vsix|dir>] [--skip-build] [--keep-staging]
//
// How: a staging directory gets package.json (dependencies: node-llama-cpp, and the tree-sitter
// runtime and grammars code search loads next to their .wasm files), README, LICENSE,
// media/, dist/ without sourcemaps, and node_modules copied from this repo's install (binaries of
// another platform are fetched with `npm pack` from the registry); `vsce package --target` runs there.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** vsce target → @node-llama-cpp/* packages to ship (CPU first, then Vulkan). No CUDA, ever. */
export const BINARY_PACKAGES = {
  'linux-x64': ['linux-x64', 'linux-x64-vulkan'],
  'linux-arm64': ['linux-arm64'],
  'linux-armhf': ['linux-armv7l'],
  'darwin-arm64': ['mac-arm64-metal'],
  'darwin-x64': ['mac-x64'],
  'win32-x64': ['win-x64', 'win-x64-vulkan'],
  'win32-arm64': ['win-arm64'],
};

/** Files of the extension itself that the .vsix must hold. */
export const REQUIRED_FILES = [
  'dist/extension/extension.cjs',
  'dist/extension/features.cjs',
  'dist/daemon/gearbox.mjs',
  'dist/daemon/model-host.mjs',
  'dist/daemon/index-worker.mjs',
  'dist/webview/main.js',
  'dist/schemas/daemon-config.schema.json',
];

/**
 * web-tree-sitter for code search (daemon/codebase/tree-sitter.ts loads it at run time, next to its
 * .wasm files): its runtime and the grammars daemon/codebase/languages.ts names (GRAMMARS), no others.
 */
export const TREE_SITTER_PACKAGE = '@vscode/tree-sitter-wasm';
export const TREE_SITTER_GRAMMARS = ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust', 'java', 'cpp'];
export const TREE_SITTER_FILES = [
  'package.json',
  'LICENSE',
  'wasm/tree-sitter.js',
  'wasm/tree-sitter.wasm',
  ...TREE_SITTER_GRAMMARS.map((g) => `wasm/tree-sitter-${g}.wasm`),
];

/**
 * Left out of node-llama-cpp: the llama.cpp source bundle (only for building from source; the
 * model host uses build: 'never') and the "moved to @node-llama-cpp/*-cuda" placeholder notes.
 */
const NLC_EXCLUDE = (rel) =>
  rel === path.join('llama', 'gitRelease.bundle') || (rel.startsWith(`bins${path.sep}`) && /cuda/i.test(rel));

export function currentTarget(platform = process.platform, arch = process.arch) {
  const a = arch === 'arm' ? 'armhf' : arch;
  if (platform === 'linux') {
    const glibc = process.report?.getReport?.()?.header?.glibcVersionRuntime;
    if (!glibc && platform === process.platform) return `alpine-${a}`;
  }
  return `${platform}-${a}`;
}

export function binaryPackagesFor(target) {
  const list = BINARY_PACKAGES[target];
  if (!list) {
    throw new Error(
      `No node-llama-cpp prebuilt binaries for target "${target}". ` +
        `Supported: ${Object.keys(BINARY_PACKAGES).join(', ')}`,
    );
  }
  return list.map((p) => `@node-llama-cpp/${p}`);
}

function parseArgs(argv) {
  const o = { target: undefined, out: undefined, build: true, keepStaging: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--target' || a.startsWith('--target=')) o.target = val();
    else if (a === '--out' || a.startsWith('--out=')) o.out = val();
    else if (a === '--skip-build') o.build = false;
    else if (a === '--keep-staging') o.keepStaging = true;
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node scripts/package.mjs [--target <vsce target>] [--out <file.vsix|dir>] ' +
          '[--skip-build] [--keep-staging]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));

/** Node's resolution: <from>/node_modules/<name>, then each parent, up to the repo root. */
function resolvePackageDir(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const cand = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(cand, 'package.json'))) return cand;
    if (path.resolve(dir) === ROOT) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The production dependency tree of `name` (dependencies only, no optional/peer/dev), as package dirs. */
export function productionTree(name) {
  const seen = new Map(); // dir → package name
  const walk = (pkg, fromDir) => {
    const dir = resolvePackageDir(pkg, fromDir);
    if (!dir)
      throw new Error(
        `${pkg} (needed by ${path.relative(ROOT, fromDir) || 'the extension'}) is not installed; run npm ci first`,
      );
    if (seen.has(dir)) return;
    seen.set(dir, pkg);
    for (const dep of Object.keys(readJson(path.join(dir, 'package.json')).dependencies ?? {})) walk(dep, dir);
  };
  walk(name, ROOT);
  return [...seen.keys()];
}

function copyPackage(srcDir, destDir, exclude = () => false) {
  fs.cpSync(srcDir, destDir, {
    recursive: true,
    dereference: true,
    filter: (src) => {
      const rel = path.relative(srcDir, src);
      if (exclude(rel)) return false;
      const first = rel.split(path.sep)[0];
      if (first === 'node_modules') return false; // nested deps are copied on their own
      return !/\.(map|d\.ts|d\.mts|d\.cts|tsbuildinfo)$/.test(src);
    },
  });
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${r.status}`);
}

/** Fetches a package of another platform from the registry (npm pack → tarball → extract). */
function fetchPackage(spec, destDir, tmp) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', spec, '--pack-destination', tmp, '--silent'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  const tgz = path.join(tmp, out.trim().split('\n').pop());
  fs.mkdirSync(destDir, { recursive: true });
  run('tar', ['-xzf', tgz, '-C', destDir, '--strip-components=1']);
}

/** The repository's own files the staging dir gets as they are: no copies of them live in this script. */
const REPO_FILES = ['README.md', 'LICENSE', '.vscodeignore'];

/** Builds the .vsix; returns { file, target, bytes, entries }. */
export async function packageVsix(options = {}) {
  const target = options.target ?? currentTarget();
  const binaries = binaryPackagesFor(target);
  const log = options.log ?? ((m) => console.log(m));
  const started = Date.now();

  if (options.build !== false) {
    log('building bundles…');
    run(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  }
  const missing = REQUIRED_FILES.filter((f) => !fs.existsSync(path.join(ROOT, f)));
  if (missing.length)
    throw new Error(
      `missing build output: ${missing.join(', ')} ` +
        '(do extension/extension.ts and webview/main.ts exist? npm run build)',
    );
  const missingRepoFiles = REPO_FILES.filter((f) => !fs.existsSync(path.join(ROOT, f)));
  if (missingRepoFiles.length) throw new Error(`missing from the repository: ${missingRepoFiles.join(', ')}`);

  const pkg = readJson(path.join(ROOT, 'package.json'));
  const nlcVersion = readJson(path.join(ROOT, 'node_modules/node-llama-cpp/package.json')).version;
  const optional = readJson(path.join(ROOT, 'node_modules/node-llama-cpp/package.json')).optionalDependencies ?? {};
  for (const b of binaries)
    if (!(b in optional)) throw new Error(`${b} is not a binary package of node-llama-cpp ${nlcVersion}`);

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), `gearbox-vsix-${target}-`));
  try {
    // --- the extension's own files
    const tsVersion = readJson(path.join(ROOT, 'node_modules', TREE_SITTER_PACKAGE, 'package.json')).version;
    const manifest = { ...pkg, dependencies: { 'node-llama-cpp': nlcVersion, [TREE_SITTER_PACKAGE]: tsVersion } };
    delete manifest.devDependencies;
    delete manifest.scripts; // vsce would run vscode:prepublish; we already built
    delete manifest.optionalDependencies;
    fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // .vscodeignore is the whitelist of what reaches the .vsix; vsce applies it in the staging dir.
    for (const f of REPO_FILES) fs.copyFileSync(path.join(ROOT, f), path.join(staging, f));
    if (fs.existsSync(path.join(ROOT, 'media')))
      fs.cpSync(path.join(ROOT, 'media'), path.join(staging, 'media'), { recursive: true });
    // The README's screenshots, so its relative image links work inside the extension's page.
    if (fs.existsSync(path.join(ROOT, 'docs/screenshots')))
      fs.cpSync(path.join(ROOT, 'docs/screenshots'), path.join(staging, 'docs/screenshots'), { recursive: true });
    for (const d of ['dist/extension', 'dist/daemon', 'dist/webview', 'dist/schemas']) {
      fs.cpSync(path.join(ROOT, d), path.join(staging, d), { recursive: true, filter: (src) => !src.endsWith('.map') });
    }

    // --- node_modules: node-llama-cpp's production tree + this platform's binaries
    const tree = productionTree('node-llama-cpp');
    for (const dir of tree) {
      const rel = path.relative(ROOT, dir);
      copyPackage(
        dir,
        path.join(staging, rel),
        rel === path.join('node_modules', 'node-llama-cpp') ? NLC_EXCLUDE : undefined,
      );
    }
    for (const f of TREE_SITTER_FILES) {
      const dest = path.join(staging, 'node_modules', TREE_SITTER_PACKAGE, f);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'node_modules', TREE_SITTER_PACKAGE, f), dest);
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-npm-pack-'));
    try {
      for (const b of binaries) {
        const local = path.join(ROOT, 'node_modules', b);
        const dest = path.join(staging, 'node_modules', b);
        if (
          fs.existsSync(path.join(local, 'package.json')) &&
          readJson(path.join(local, 'package.json')).version === optional[b]
        )
          copyPackage(local, dest);
        else {
          log(`fetching ${b}@${optional[b]} from the npm registry…`);
          fetchPackage(`${b}@${optional[b]}`, dest, tmp);
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    log(`staged ${tree.length} packages from node-llama-cpp's production tree + ${binaries.join(', ')}`);

    // --- vsce
    let out = path.resolve(options.out ?? path.join(ROOT, `${pkg.name}-${target}-${pkg.version}.vsix`));
    if (/[\\/]$/.test(options.out ?? '') || (fs.existsSync(out) && fs.statSync(out).isDirectory()))
      out = path.join(out, `${pkg.name}-${target}-${pkg.version}.vsix`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const vsceArgs = [
      path.join(ROOT, 'node_modules/@vscode/vsce/vsce'),
      'package',
      '--target',
      target,
      '--out',
      out,
      '--skip-license',
    ];
    // No repository URL to rewrite README links against: keep them relative (docs/ ships in the .vsix).
    if (!pkg.repository) vsceArgs.push('--allow-missing-repository', '--no-rewrite-relative-links');
    log(`vsce package --target ${target}…`);
    run(process.execPath, vsceArgs, {
      cwd: staging,
      stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    });

    const entries = listZip(out);
    const problems = checkVsix(entries, target, manifest.main);
    if (problems.length) throw new Error(`the .vsix is wrong:\n  ${problems.join('\n  ')}`);
    const bytes = fs.statSync(out).size;
    log(
      `${path.relative(process.cwd(), out) || out}: ${(bytes / 1048576).toFixed(1)} MiB, ` +
        `${entries.length} files, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return { file: out, target, bytes, entries };
  } finally {
    if (options.keepStaging) log(`staging kept at ${staging}`);
    else fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** The entries of a zip file (central directory): [{ name, size, compressedSize }]. */
export function listZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    out.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), size, compressedSize, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Reads one entry's content (stored or deflated). */
export function readZipEntry(file, name) {
  const e = listZip(file).find((x) => x.name === name);
  if (!e) return undefined;
  const buf = fs.readFileSync(file);
  const p = e.localOffset;
  const method = buf.readUInt16LE(p + 8);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  return method === 0 ? Buffer.from(data) : zlib.inflateRawSync(data);
}

/** What must and must not be in the .vsix for `target`; [] when right. `entries` from listZip. */
export function checkVsix(entries, target, main) {
  const names = new Set(entries.map((e) => e.name));
  const problems = [];
  const must = [
    ...REQUIRED_FILES,
    'package.json',
    'node_modules/node-llama-cpp/package.json',
    ...binaryPackagesFor(target).map((b) => `node_modules/${b}/package.json`),
    ...TREE_SITTER_FILES.map((f) => `node_modules/${TREE_SITTER_PACKAGE}/${f}`),
  ];
  if (main) must.push(path.posix.normalize(main.replace(/^\.\//, '')));
  for (const f of must) if (!names.has(`extension/${f}`)) problems.push(`missing extension/${f}`);
  const allowed = new Set(binaryPackagesFor(target));
  for (const n of names) {
    if (/cuda/i.test(n)) problems.push(`CUDA file: ${n}`);
    const m = /^extension\/node_modules\/(@node-llama-cpp\/[^/]+)\//.exec(n);
    if (m && !allowed.has(m[1])) problems.push(`other platform's binaries: ${n}`);
    if (n.endsWith('.map')) problems.push(`sourcemap: ${n}`);
  }
  return [...new Set(problems)].slice(0, 50);
}

/** Bytes per top-level folder (node_modules per package), for the summary. */
export function summarize(entries) {
  const groups = new Map();
  for (const e of entries) {
    const parts = e.name.split('/');
    let key = parts.slice(0, 2).join('/');
    if (parts[1] === 'node_modules') key = parts.slice(0, parts[2]?.startsWith('@') ? 4 : 3).join('/');
    else if (parts[1] === 'dist') key = parts.slice(0, 3).join('/');
    const g = groups.get(key) ?? { files: 0, size: 0, compressed: 0 };
    g.files++;
    g.size += e.size;
    g.compressed += e.compressedSize;
    groups.set(key, g);
  }
  return [...groups.entries()].sort((a, b) => b[1].compressed - a[1].compressed);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const r = await packageVsix(opts);
    const top = summarize(r.entries);
    const nm = top.filter(([k]) => k.startsWith('extension/node_modules/'));
    const fmt = (n) => `${(n / 1048576).toFixed(1)} MiB`.padStart(10);
    console.log('\nlargest parts (compressed / uncompressed):');
    for (const [k, g] of top.slice(0, 12)) console.log(`${fmt(g.compressed)} ${fmt(g.size)}  ${k} (${g.files} files)`);
    console.log(`node_modules: ${nm.length} packages`);
  } catch (err) {
    console.error(`package: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
