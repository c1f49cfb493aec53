// Runs the built daemon (dist/daemon/gearbox.mjs) as its own process, the way users run it, on a
// temporary runtime dir and config; and small process helpers for the bench scripts (CPU time from
// /proc, flags, building dist/ when it is older than the sources).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from './report';

export const daemonEntry = path.join(repoRoot, 'dist', 'daemon', 'gearbox.mjs');

export function tempDir(prefix = 'gearbox-bench-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------- flags ----------

export function flag(name: string, argv = process.argv.slice(2)): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  return v === undefined || v.startsWith('--') ? '' : v;
}

export function hasFlag(name: string, argv = process.argv.slice(2)): boolean {
  return argv.includes(`--${name}`);
}

export function numFlag(name: string, fallback: number): number {
  const v = flag(name);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, not ${v}`);
  return n;
}

export function listFlag(name: string, fallback: number[]): number[] {
  const v = flag(name);
  if (!v) return fallback;
  return v.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`--${name} takes positive integers separated by commas, not ${v}`);
    return n;
  });
}

// ---------- build ----------

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm run build` when forced, or when dist/daemon is missing or older than daemon/ or shared/. */
export function ensureBuilt(force = false): { built: boolean; ms: number } {
  let stale = force || !fs.existsSync(daemonEntry);
  if (!stale) {
    const built = fs.statSync(daemonEntry).mtimeMs;
    stale = Math.max(newestMtime(path.join(repoRoot, 'daemon')), newestMtime(path.join(repoRoot, 'shared'))) > built;
  }
  if (!stale) return { built: false, ms: 0 };
  const t0 = performance.now();
  console.log('building dist/ (npm run build)...');
  execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  return { built: true, ms: performance.now() - t0 };
}

// ---------- /proc ----------

const CLK_TCK = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)); the same on every mainstream kernel

/** User + system CPU time of a process in ms (Linux /proc), or undefined. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return ((utime + stime) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** This process's own CPU time in ms (µs resolution). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---------- the daemon process ----------

export interface DaemonProcess {
  pid: number;
  port: number;
  runtimeDir: string;
  configPath: string;
  logPath: string;
  /** Milliseconds from spawn to the "listening" line on stdout (discovery file written). */
  readyMs: number;
  child: ChildProcess;
  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`); removes the temp dir unless kept. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnDaemonOptions {
  /** The config file's content (DaemonConfig JSON). */
  config: Record<string, unknown>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra node flags for the daemon (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** The CLI bundle to run (default dist/daemon/gearbox.mjs), e.g. a saved build to compare against. */
  entry?: string;
  /** Where to put the runtime dir, config, ledger and log (default: a fresh temp dir). */
  dir?: string;
  /** Keep the temp dir after stop (to read the log or a profile). */
  keep?: boolean;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The environment the bench daemons get: no API keys, state and cache inside `dir`. */
export function benchEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/_API_KEY$/.test(k) || k.startsWith('GEARBOX_')) continue;
    env[k] = v;
  }
  return {
    ...env,
    GEARBOX_RUNTIME_DIR: path.join(dir, 'run'),
    GEARBOX_CONFIG: path.join(dir, 'config.json'),
    XDG_STATE_HOME: path.join(dir, 'state'),
    ...extra,
  };
}

/**
 * `node dist/daemon/gearbox.mjs start --config <dir>/config.json` in the foreground, with
 * GEARBOX_RUNTIME_DIR=<dir>/run; stdout is read for the "listening" line, stderr (the JSON log)
 * goes to <dir>/daemon.log.
 */
export async function spawnDaemon(opts: SpawnDaemonOptions): Promise<DaemonProcess> {
  const dir = opts.dir ?? tempDir();
  const configPath = path.join(dir, 'config.json');
  const runtimeDir = path.join(dir, 'run');
  const logPath = path.join(dir, 'daemon.log');
  fs.writeFileSync(
    configPath,
    JSON.stringify({ ledgerPath: path.join(dir, 'state', 'ledger.jsonl'), ...opts.config }, null, 2),
  );
  const logFd = fs.openSync(logPath, 'a', 0o600);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      opts.entry ?? daemonEntry,
      'start',
      '--config',
      configPath,
      '--log-level',
      opts.logLevel ?? 'info',
    ],
    { cwd: dir, env: benchEnv(dir, opts.env), stdio: ['ignore', 'pipe', logFd] },
  );
  fs.closeSync(logFd);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))),
  );
  const ready = await new Promise<{ port: number; pid: number; ms: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon not ready within ${opts.readyTimeoutMs ?? 30_000} ms; see ${logPath}`)),
      opts.readyTimeoutMs ?? 30_000,
    );
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const m = /listening on [^:]+:(\d+) \(pid (\d+)\)/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), pid: Number(m[2]), ms: performance.now() - started });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited during start (code ${code}); log:\n${safeRead(logPath).slice(-2000)}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  // Keep draining stdout so a chatty daemon never blocks on a full pipe.
  child.stdout!.resume();
  let stopping: Promise<void> | undefined;
  return {
    pid: ready.pid,
    port: ready.port,
    runtimeDir,
    configPath,
    logPath,
    readyMs: ready.ms,
    child,
    stop: (graceMs = 10_000) =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        if (!opts.keep && !opts.dir) fs.rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Waits until `pid` is gone (polling), up to `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** VmRSS split into anonymous memory and file-backed pages (mmapped model weights), bytes (Linux /proc). */
export function rssBreakdown(pid: number): { rss: number; anon: number; file: number; shmem: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
  } catch {
    return undefined;
  }
}
