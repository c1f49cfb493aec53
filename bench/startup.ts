// Startup: (a) the size of every file in dist/ (raw and gzip), after `npm run build`; (b) daemon
// start-to-ready: spawn `node dist/daemon/gearbox.mjs start` in the foreground on a temp runtime
// dir, until a client is connected and `gearbox/status` has answered; (c) `gearbox status`, the
// CLI end to end against a running daemon (with `gearbox version` and `node -e 0` for scale).
// Timings are recorded, never asserted.
//
//   node --import tsx bench/startup.ts [--runs 10] [--no-build]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { connectToDaemon } from '../daemon/cli/client';
import { bundleComposition } from './lib/bundle-composition';
import {
  benchEnv,
  daemonEntry,
  ensureBuilt,
  hasFlag,
  numFlag,
  spawnDaemon,
  waitGone,
  type DaemonProcess,
} from './lib/daemon-process';
import { MiB, printTable, repoRoot, rssOf, summarize, writeResult, type Summary } from './lib/report';

const RUNS = Math.max(1, numFlag('runs', 10));
const distDir = path.join(repoRoot, 'dist');

interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
  sourceMap: boolean;
}

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
}

function bundleSizes(): FileSize[] {
  return walk(distDir)
    .sort()
    .map((f) => {
      const buf = fs.readFileSync(f);
      return {
        file: path.relative(repoRoot, f),
        bytes: buf.length,
        gzipBytes: zlib.gzipSync(buf).length,
        sourceMap: f.endsWith('.map'),
      };
    });
}

/** Runs a command to completion; resolves with its wall time in ms (rejects on a non-zero exit). */
function timeCommand(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-500)}`));
    });
  });
}

interface StartRun {
  /** spawn → "listening" printed (lock, config, token, server bound, discovery file written). */
  listeningMs: number;
  /** spawn → WebSocket connected and LSP initialize answered. */
  connectedMs: number;
  /** spawn → gearbox/status answered: the daemon is usable. */
  readyMs: number;
  /** SIGTERM → process gone. */
  stopMs: number;
  rssBytes?: number;
}

async function startRun(): Promise<StartRun> {
  const t0 = performance.now();
  const d = await spawnDaemon({ config: {} });
  try {
    const c = await connectToDaemon({ runtimeDir: d.runtimeDir, clientName: 'bench-startup' });
    const connectedMs = performance.now() - t0;
    await c.request('gearbox/status', {});
    const readyMs = performance.now() - t0;
    await c.close();
    const rssBytes = rssOf(d.pid);
    const s0 = performance.now();
    await d.stop();
    return { listeningMs: d.readyMs, connectedMs, readyMs, stopMs: performance.now() - s0, rssBytes };
  } finally {
    await d.stop().catch(() => {});
  }
}

async function main(): Promise<void> {
  // (a) bundle sizes, from a fresh build
  let buildMs: number | undefined;
  if (!hasFlag('no-build')) buildMs = ensureBuilt(true).ms;
  if (!fs.existsSync(daemonEntry))
    throw new Error(`${path.relative(repoRoot, daemonEntry)} is missing: run npm run build`);
  const sizes = bundleSizes();
  const shipped = sizes.filter((s) => !s.sourceMap);
  const total = (list: FileSize[]) => ({
    bytes: list.reduce((n, s) => n + s.bytes, 0),
    gzipBytes: list.reduce((n, s) => n + s.gzipBytes, 0),
  });
  const kib = (b: number) => Math.round((b / 1024) * 10) / 10;
  printTable(
    'dist/ files (KiB; gzip = zlib default level)' +
      (buildMs !== undefined ? `, built in ${(buildMs / 1000).toFixed(1)} s` : ''),
    [
      ['file', 'KiB', 'gzip KiB'],
      ...sizes.map((s) => [s.file, kib(s.bytes), kib(s.gzipBytes)]),
      ['total without source maps', kib(total(shipped).bytes), kib(total(shipped).gzipBytes)],
      ['total', kib(total(sizes).bytes), kib(total(sizes).gzipBytes)],
    ],
  );

  // What the daemon's two bundles are made of (bytes per npm package, through their source maps).
  const composition: Record<string, { group: string; bytes: number }[]> = {};
  for (const rel of ['dist/daemon/gearbox.mjs', 'dist/daemon/model-host.mjs']) {
    const file = path.join(repoRoot, rel);
    if (!fs.existsSync(file) || !fs.existsSync(`${file}.map`)) continue;
    const groups = bundleComposition(file);
    composition[rel] = groups;
    const top = groups.slice(0, 12);
    const rest = groups.slice(12).reduce((n, g) => n + g.bytes, 0);
    printTable(`${rel}: bytes by package (through its source map)`, [
      ['package', 'KiB', '%'],
      ...top.map((g) => [g.group, kib(g.bytes), Math.round((g.bytes / fs.statSync(file).size) * 1000) / 10]),
      ...(rest
        ? [[`${groups.length - 12} more`, kib(rest), Math.round((rest / fs.statSync(file).size) * 1000) / 10]]
        : []),
    ]);
  }

  // (b) daemon start-to-ready, RUNS times, each on a fresh runtime dir
  const runs: StartRun[] = [];
  await startRun(); // untimed: warms the OS file cache for node and the bundle
  for (let i = 0; i < RUNS; i++) runs.push(await startRun());
  const ms = (pick: (r: StartRun) => number) => summarize(runs.map(pick));
  const start = {
    listening: ms((r) => r.listeningMs),
    connected: ms((r) => r.connectedMs),
    statusAnswered: ms((r) => r.readyMs),
    stop: ms((r) => r.stopMs),
  };
  const row = (label: string, s: Summary) => [label, s.p50, s.min, s.max];
  printTable(`Daemon start (node dist/daemon/gearbox.mjs start), ${RUNS} runs, ms from spawn`, [
    ['until', 'p50', 'min', 'max'],
    row('"listening" printed (discovery file written)', start.listening),
    row('client connected (LSP initialize answered)', start.connected),
    row('gearbox/status answered (ready)', start.statusAnswered),
    row('stop: SIGTERM until the process is gone', start.stop),
  ]);
  const idleRss = summarize(runs.map((r) => r.rssBytes ?? NaN).filter(Number.isFinite)).p50;

  // (c) the CLI end to end against one running daemon
  let daemon: DaemonProcess | undefined;
  const cli: Record<string, Summary> = {};
  try {
    daemon = await spawnDaemon({ config: {} });
    const dir = path.dirname(daemon.runtimeDir);
    const env = benchEnv(dir);
    const commands: [string, string[]][] = [
      ['node -e 0 (bare node, for scale)', ['-e', '0']],
      ['gearbox version (loads the bundle only)', [daemonEntry, 'version']],
      ['gearbox status', [daemonEntry, 'status']],
      ['gearbox status --json', [daemonEntry, 'status', '--json']],
    ];
    for (const [, args] of commands) await timeCommand(args, env); // untimed warm-up each
    const times = new Map<string, number[]>(commands.map(([label]) => [label, []]));
    // Interleaved, so that background load affects each command alike.
    for (let i = 0; i < RUNS; i++) {
      for (const [label, args] of commands) {
        const r = await timeCommand(args, env);
        if (args.includes('status') && !r.stdout.includes(String(daemon.pid)))
          throw new Error(`gearbox status did not report the daemon (pid ${daemon.pid}): ${r.stdout}`);
        times.get(label)!.push(r.ms);
      }
    }
    for (const [label] of commands) cli[label] = summarize(times.get(label)!);
    printTable(`CLI end to end (spawn until exit), ${RUNS} runs, ms`, [
      ['command', 'p50', 'min', 'max'],
      ...commands.map(([label]) => row(label, cli[label]!)),
    ]);
  } finally {
    const pid = daemon?.pid;
    await daemon?.stop();
    if (pid) await waitGone(pid);
  }

  console.log(`\nidle daemon RSS after one status request: ${(idleRss / MiB).toFixed(1)} MiB`);
  writeResult('startup', {
    bundles: {
      files: sizes,
      totalWithoutSourceMaps: total(shipped),
      composition,
      total: total(sizes),
      gzip: 'zlib.gzipSync, default level (6)',
      ...(buildMs !== undefined
        ? { buildMs: Math.round(buildMs) }
        : { build: 'skipped (--no-build): sizes of the existing dist/' }),
    },
    daemonStart: {
      runs: RUNS,
      command:
        'node dist/daemon/gearbox.mjs start --config <temp>/config.json (empty config), ' +
        'GEARBOX_RUNTIME_DIR=<temp>/run; one untimed warm-up run',
      ms: start,
      idleRssBytes: idleRss,
      perRun: runs.map((r) => ({
        ...r,
        listeningMs: round(r.listeningMs),
        connectedMs: round(r.connectedMs),
        readyMs: round(r.readyMs),
        stopMs: round(r.stopMs),
      })),
    },
    cli: { runs: RUNS, ms: cli },
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`startup bench failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
