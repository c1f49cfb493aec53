// The bridge's connection to the per-user daemon: found through its discovery file or started
// (`gearbox start --detach`, the same daemon every editor and VS Code window shares, so a local
// model is loaded once), connected over the authenticated WebSocket, and connected again after the
// daemon went away, with the editor's open documents sent again.
import { spawn } from 'node:child_process';
import type { MessageConnection } from 'vscode-jsonrpc';
import { readDiscovery, runtimePaths } from '../../shared/discovery';
import { connectToDaemon, type DaemonClient } from '../cli/client';

export interface DaemonLinkOptions {
  runtimeDir: string;
  /** `gearbox start` arguments for a daemon this bridge starts (e.g. --config). */
  startArgs: string[];
  /** The editor's workspace folder (a file: URI), announced to the daemon for its ledger and privacy globs. */
  rootUri?: string;
  settings?: unknown;
  /** Announce workspace/configuration support (the bridge forwards the daemon's requests to the editor). */
  configuration: boolean;
  /** Registers the bridge's handlers of daemon-to-client messages before `initialize`. */
  onConnection(connection: MessageConnection): void;
  /** After each (re)connect: the documents the editor has open, to send again. */
  onConnected(client: DaemonClient): Promise<void>;
  log(message: string): void;
  /** How long to wait for a started daemon's discovery file. */
  startTimeoutMs?: number;
}

export class DaemonLink {
  private client: Promise<DaemonClient> | undefined;
  private closed = false;

  constructor(private readonly opts: DaemonLinkOptions) {}

  /** The connected client, connecting (and starting the daemon) first when needed. */
  get(): Promise<DaemonClient> {
    if (this.closed) return Promise.reject(new Error('the bridge is shutting down'));
    this.client ??= this.connect().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = await this.client?.catch(() => undefined);
    await c?.close();
  }

  private async connect(): Promise<DaemonClient> {
    const paths = runtimePaths(this.opts.runtimeDir);
    if (!readDiscovery(paths)) await this.startDaemon();
    const client = await connectToDaemon({
      runtimeDir: this.opts.runtimeDir,
      clientName: 'gearbox-lsp',
      rootUri: this.opts.rootUri,
      settings: this.opts.settings as never,
      capabilities: this.opts.configuration ? { workspace: { configuration: true } } : {},
      onConnection: (c) => this.opts.onConnection(c),
    });
    const mine = client;
    client.connection.onClose(() => {
      // Connect again on the next request (a restarted daemon, or a new one started by us).
      if (this.client && !this.closed) {
        this.opts.log('daemon connection closed; reconnecting on the next request');
        void this.client.then((c) => c === mine && (this.client = undefined)).catch(() => {});
      }
    });
    this.opts.log(`connected to the Gearbox daemon on port ${client.discovery.port}`);
    await this.opts.onConnected(client);
    return client;
  }

  /** `gearbox start --detach` with this process's runtime (Node, or Electron as Node) and arguments. */
  private async startDaemon(): Promise<void> {
    this.opts.log('no Gearbox daemon is running; starting one');
    const script = process.argv[1];
    if (!script) throw new Error('cannot start the daemon: unknown gearbox script');
    const child = spawn(process.execPath, [...process.execArgv, script, 'start', '--detach', ...this.opts.startArgs], {
      // Our stdout is the LSP stream: the starter's messages must not reach it.
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) throw new Error(`gearbox start failed (exit ${code}): ${stderr.trim()}`);
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 30_000);
    while (!readDiscovery(runtimePaths(this.opts.runtimeDir))) {
      if (Date.now() > deadline) throw new Error('the Gearbox daemon did not become ready');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
