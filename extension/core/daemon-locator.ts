// Reaching the daemon from the extension, without vscode: find it through the discovery file or
// start it on the editor's own runtime, then open the authenticated socket. Kept free of vscode so
// that the trust checks on the runtime dir can be tested in plain Node, as another user would see them.
import { spawn } from 'node:child_process';
import type WebSocket from 'ws';
import { daemonUrl, openDaemonSocket } from '../../shared/daemon-socket';
import { type Discovery, ensureRuntimeDir, readDiscovery, readToken, runtimePaths } from '../../shared/discovery';

export interface DaemonLocation {
  /** Where the runtime dir is (lock, token, discovery file, log). */
  runtimeDir: string;
  /** The daemon's config file, when not the default. */
  configPath?: string;
  /** The runtime that runs the daemon (VS Code's Electron as Node) and the bundled daemon entry. */
  execPath: string;
  daemonScript: string;
  /** The environment the daemon inherits. */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface DaemonSocket {
  discovery: Discovery;
  socket: WebSocket;
}

/** Finds the running daemon or starts one, then opens an authenticated WebSocket to it. */
export async function connectOrStartDaemon(loc: DaemonLocation): Promise<DaemonSocket> {
  const paths = runtimePaths(loc.runtimeDir);
  const discovery = readDiscovery(paths) ?? (await startDetachedDaemon(loc));
  const socket = await openDaemonSocket(discovery, readToken(paths));
  loc.log(`connected to the Gearbox daemon (pid ${discovery.pid}, ${daemonUrl(discovery)})`);
  return { discovery, socket };
}

/** Runs the daemon detached, so that every window shares it, and waits for its discovery file. */
export async function startDetachedDaemon(loc: DaemonLocation): Promise<Discovery> {
  ensureRuntimeDir(loc.runtimeDir);
  const paths = runtimePaths(loc.runtimeDir);
  const env: NodeJS.ProcessEnv = { ...loc.env, ELECTRON_RUN_AS_NODE: '1', GEARBOX_RUNTIME_DIR: loc.runtimeDir };
  if (loc.configPath) env.GEARBOX_CONFIG = loc.configPath;
  // The daemon writes (and rotates) its log itself: its stdio points nowhere.
  const args = [loc.daemonScript, 'start', '--log-file', paths.log];
  loc.log(`starting the Gearbox daemon: ${loc.execPath} ${args.join(' ')}`);
  const child = spawn(loc.execPath, args, { detached: true, stdio: 'ignore', env, windowsHide: true });
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? 1));
  child.unref();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const d = readDiscovery(paths);
    if (d) return d;
    if (exitCode !== null) {
      // Lost a start race with another window: that window's daemon is the one to use.
      const other = readDiscovery(paths);
      if (other) return other;
      throw new Error(`the daemon exited during start (code ${exitCode}); see ${paths.log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the daemon did not become ready within 20 s; see ${paths.log}`);
}
