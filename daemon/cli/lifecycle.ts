// The daemon's lifecycle from the command line: serve in this process until a signal, or start a
// detached child that outlives the command; and stop a running daemon.
import { spawn } from 'node:child_process';
import { ensureRuntimeDir, readDiscovery, runtimePaths } from '../../shared/discovery';
import { AlreadyRunningError, startDaemon } from '../daemon';
import { redact, type LogLevel } from '../log';
import { RotatingLog } from '../rotating-log';
import { VERSION } from '../version';
import { connectToDaemon } from './client';

export interface StartOptions {
  runtimeDir: string;
  configPath: string;
  port?: number;
  logLevel?: LogLevel;
  /** Write (and rotate) the log in this file instead of stderr: a detached daemon's own log. */
  logFile?: string;
  /** Serve in a detached child, started with these `start` arguments, instead of in this process. */
  detachArgs?: string[];
}

/** `gearbox start`: a second start finds the running daemon and says so. */
export async function start(opts: StartOptions): Promise<number> {
  const existing = readDiscovery(runtimePaths(opts.runtimeDir));
  if (existing) {
    console.log(`Gearbox daemon already running: pid ${existing.pid}, port ${existing.port}`);
    return 0;
  }
  if (opts.detachArgs) return detach(opts.detachArgs, opts.runtimeDir);

  const logFile = opts.logFile ? new RotatingLog(opts.logFile) : undefined;
  // With a log file nobody reads this process's stderr: a fatal error must land in the log.
  const logFatal = (msg: string, err: unknown) =>
    logFile?.write(
      redact(JSON.stringify({ t: new Date().toISOString(), level: 'error', msg, pid: process.pid, error: `${err}` })),
    );
  if (logFile)
    process.once('uncaughtException', (err) => {
      logFatal('daemon crashed', err.stack ?? err);
      process.exit(1);
    });
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon({
      runtimeDir: opts.runtimeDir,
      configPath: opts.configPath,
      port: opts.port,
      logLevel: opts.logLevel,
      logWrite: logFile && ((l) => logFile.write(l)),
    });
  } catch (err) {
    if (err instanceof AlreadyRunningError) {
      console.log(`Gearbox daemon already running${err.pid ? `: pid ${err.pid}` : ''}`);
      return 0;
    }
    logFatal('daemon failed to start', (err as Error).message ?? err);
    throw err;
  }
  console.log(`Gearbox daemon ${VERSION} listening on 127.0.0.1:${daemon.port} (pid ${process.pid})`);
  const onSignal = (sig: string) => void daemon.stop(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await daemon.stopped;
  return 0;
}

/** Re-runs `start` in a detached child (same runtime: Node or Electron-as-Node) that logs to its own file. */
async function detach(args: string[], runtimeDir: string): Promise<number> {
  ensureRuntimeDir(runtimeDir);
  const paths = runtimePaths(runtimeDir);
  const script = process.argv[1]!;
  const child = spawn(process.execPath, [...process.execArgv, script, 'start', ...args, '--log-file', paths.log], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const d = readDiscovery(paths);
    if (d) {
      child.unref();
      console.log(`Gearbox daemon ${VERSION} started: pid ${d.pid}, port ${d.port} (log: ${paths.log})`);
      return 0;
    }
    if (exited !== null) {
      console.error(`gearbox: the daemon exited during start (code ${exited}); see ${paths.log}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.unref();
  console.error(`gearbox: the daemon did not become ready within 20 s; see ${paths.log}`);
  return 1;
}

/** `gearbox stop`: asks the daemon to exit and waits until its process is gone. */
export async function stop(runtimeDir: string): Promise<number> {
  const paths = runtimePaths(runtimeDir);
  const d = readDiscovery(paths);
  if (!d) {
    console.log('No Gearbox daemon is running.');
    return 0;
  }
  const client = await connectToDaemon({ runtimeDir });
  await client.request('gearbox/shutdown', {}).catch(() => undefined);
  await client.close();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!isAlive(d.pid)) {
      console.log(`Gearbox daemon stopped (pid ${d.pid}).`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  console.error(`gearbox: daemon pid ${d.pid} did not exit within 10 s`);
  return 1;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
