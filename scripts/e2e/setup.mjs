#!/usr/bin/env node
// Installs what the e2e and extension-host tests need into .cache/e2e/ (gitignored), once:
//   .cache/e2e/node24/       Node 24 from npm's `node` package (code-server 4.139 needs Node 24)
//   .cache/e2e/code-server/  code-server@4.139.1, installed with that Node first on PATH
// Reruns are instant (a stamp file per part). Prints the paths as JSON on the last stdout line.
// System packages (chromium, libkrb5-dev, a C++ toolchain) come from scripts/e2e/apt-deps.sh.
//
//   node scripts/e2e/setup.mjs            install if needed, print paths
//   node scripts/e2e/setup.mjs --check    print paths, exit 1 if something is missing
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheDir = process.env.GEARBOX_E2E_CACHE
  ? path.resolve(process.env.GEARBOX_E2E_CACHE)
  : path.join(root, '.cache', 'e2e');

export function e2ePaths() {
  const nodeDir = path.join(cacheDir, 'node24');
  const csDir = path.join(cacheDir, 'code-server');
  return {
    cacheDir,
    node: path.join(nodeDir, 'node_modules', 'node', 'bin', 'node'),
    nodeBinDir: path.join(nodeDir, 'node_modules', '.bin'),
    codeServer: path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    codeServerBin: path.join(csDir, 'node_modules', '.bin', 'code-server'),
    chromium:
      process.env.GEARBOX_E2E_CHROMIUM ??
      firstExisting(['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']),
    nodeStamp: path.join(nodeDir, `.installed-${NODE_VERSION}`),
    codeServerStamp: path.join(csDir, `.installed-${CODE_SERVER_VERSION}-node${NODE_VERSION}`),
    nodeDir,
    csDir,
  };
}

function firstExisting(list) {
  return list.find((p) => fs.existsSync(p)) ?? list[0];
}

function npmInstall(prefix, spec, env) {
  fs.mkdirSync(prefix, { recursive: true });
  // A package.json of its own so npm does not walk up into the repo's.
  const pkg = path.join(prefix, 'package.json');
  if (!fs.existsSync(pkg))
    fs.writeFileSync(pkg, JSON.stringify({ name: `gearbox-e2e-${path.basename(prefix)}`, private: true }, null, 2));
  const args = ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--prefix', prefix, spec];
  const started = Date.now();
  process.stderr.write(`setup: npm ${args.join(' ')}\n`);
  // Under `npm run`, the outer npm's npm_* variables (npm_config_user_agent names Node 20) would
  // be taken as config by this npm, and code-server's postinstall reads its Node version there.
  const clean = Object.fromEntries(
    Object.entries(env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'),
  );
  const r = spawnSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'], env: clean, cwd: prefix });
  if (r.status !== 0) throw new Error(`npm install ${spec} failed (exit ${r.status})`);
  process.stderr.write(`setup: ${spec} installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export function setup({ check = false } = {}) {
  const p = e2ePaths();
  const missing = [];
  if (!(fs.existsSync(p.nodeStamp) && fs.existsSync(p.node))) {
    if (check) missing.push('node24');
    else {
      fs.rmSync(p.nodeDir, { recursive: true, force: true });
      npmInstall(p.nodeDir, `node@${NODE_VERSION}`, process.env);
      const v = execFileSync(p.node, ['--version'], { encoding: 'utf8' }).trim();
      if (v !== `v${NODE_VERSION}`) throw new Error(`expected node v${NODE_VERSION}, got ${v}`);
      fs.writeFileSync(p.nodeStamp, v);
    }
  }
  if (!(fs.existsSync(p.codeServerStamp) && fs.existsSync(p.codeServer))) {
    if (check) missing.push('code-server');
    else {
      fs.rmSync(p.csDir, { recursive: true, force: true });
      // code-server's postinstall builds native modules for the running Node: Node 24 first on PATH.
      const env = {
        ...process.env,
        PATH: `${path.dirname(p.node)}${path.delimiter}${process.env.PATH ?? ''}`,
        npm_config_update_notifier: 'false',
      };
      npmInstall(p.csDir, `code-server@${CODE_SERVER_VERSION}`, env);
      // --config: without it code-server writes ~/.config/code-server/config.yaml.
      fs.writeFileSync(path.join(cacheDir, 'code-server.yaml'), 'auth: none\n');
      const v = execFileSync(p.node, [p.codeServer, '--config', path.join(cacheDir, 'code-server.yaml'), '--version'], {
        encoding: 'utf8',
        env,
      }).trim();
      if (!new RegExp(`^${CODE_SERVER_VERSION.replace(/\./g, '\\.')} `, 'm').test(v))
        throw new Error(`code-server --version printed ${v}`);
      fs.writeFileSync(p.codeServerStamp, v);
    }
  }
  if (!fs.existsSync(p.chromium))
    missing.push(`chromium (${p.chromium}; run scripts/e2e/apt-deps.sh or set GEARBOX_E2E_CHROMIUM)`);
  return { paths: p, missing };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const started = Date.now();
  const { paths, missing } = setup({ check: process.argv.includes('--check') });
  if (missing.length) {
    process.stderr.write(`setup: missing: ${missing.join(', ')}\n`);
    process.exitCode = 1;
  }
  process.stderr.write(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  console.log(
    JSON.stringify({
      node: paths.node,
      codeServer: paths.codeServer,
      chromium: paths.chromium,
      cacheDir: paths.cacheDir,
    }),
  );
}
