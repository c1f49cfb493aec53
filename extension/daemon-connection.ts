// The connection to the Gearbox daemon: find it (discovery file) or start it with VS Code's own
// runtime, connect vscode-languageclient over the authenticated WebSocket, reconnect and restart
// after crashes, and give up with a message after too many in a short time.
import path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type Middleware,
  type MessageTransports,
} from 'vscode-languageclient/node';
import {
  Protocol,
  type NotificationMethod,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
} from '../shared/protocol';
import { WebSocketMessageReader, WebSocketMessageWriter } from '../shared/ws-transport';
import { defaultRuntimeDir, type Discovery } from '../shared/discovery';
import type { ConnectionState, GearboxClient } from './client-api';
import { CrashPolicy } from './core/crash-policy';
import { isExpectedFailure } from './core/request-failures';
import { connectOrStartDaemon } from './core/daemon-locator';

export interface DaemonConnectionOptions {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  middleware?: Middleware;
  /** Called each time a connection to a daemon is up (keys must be re-sent: the daemon holds them in memory). */
  onConnected?: () => Promise<void> | void;
}

export class DaemonConnection implements GearboxClient, vscode.Disposable {
  private client: LanguageClient | undefined;
  private _state: ConnectionState = 'stopped';
  private readonly stateEmitter = new vscode.EventEmitter<ConnectionState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly crashes = new CrashPolicy(5, 3 * 60_000);
  private starting: Promise<void> | undefined;
  private stoppingOnPurpose = false;
  private readonly notificationHandlers = new Map<string, Set<(p: unknown) => void>>();
  private discovery: Discovery | undefined;
  lastError: string | undefined;

  constructor(private readonly opts: DaemonConnectionOptions) {}

  get log(): vscode.LogOutputChannel {
    return this.opts.log;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get port(): number | undefined {
    return this.discovery?.port;
  }

  private setState(s: ConnectionState): void {
    if (s === this._state) return;
    this._state = s;
    this.opts.log.info(`daemon connection: ${s}`);
    this.stateEmitter.fire(s);
  }

  private settings() {
    const cfg = vscode.workspace.getConfiguration('gearbox.daemon');
    const runtimeDir = cfg.get<string>('runtimeDir') || defaultRuntimeDir();
    const configPath = cfg.get<string>('configPath') || undefined;
    return { runtimeDir, configPath };
  }

  /** Starts (or joins) the connection; resolves once running, rejects if it cannot start. */
  start(): Promise<void> {
    if (this._state === 'running') return Promise.resolve();
    this.starting ??= this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    this.stoppingOnPurpose = false;
    try {
      if (!this.client) this.client = this.createClient();
      await this.client.start();
      this.setState('running');
    } catch (err) {
      this.lastError = (err as Error).message;
      this.opts.log.error(`could not start the Gearbox daemon connection: ${this.lastError}`);
      this.setState('startFailed');
      throw err;
    }
  }

  private createClient(): LanguageClient {
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      synchronize: { configurationSection: 'gearbox' },
      outputChannel: this.opts.log,
      middleware: this.opts.middleware,
      initializationOptions: { clientName: `vscode ${vscode.version}` },
      connectionOptions: { maxRestartCount: 0 },
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => this.onConnectionClosed(),
      },
    };
    const client = new GearboxLanguageClient('gearbox', 'Gearbox', () => this.transports(), clientOptions);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        this.lastError = undefined;
        this.setState('running');
        void Promise.resolve(this.opts.onConnected?.()).catch((err) =>
          this.opts.log.warn(`after-connect step failed: ${(err as Error).message}`),
        );
      } else if (e.newState === State.Starting) {
        this.setState('starting');
      } else if (e.newState === State.Stopped && this.stoppingOnPurpose) {
        this.setState('stopped');
      }
    });
    for (const method of this.notificationHandlers.keys())
      client.onNotification(method, (raw: unknown) => this.dispatch(method, raw));
    return client;
  }

  private async onConnectionClosed() {
    if (this.stoppingOnPurpose) return { action: CloseAction.DoNotRestart, handled: true };
    if (this.crashes.recordCrash()) {
      const n = this.crashes.recentCrashes;
      const backoffMs = Math.min(5000, 500 * 2 ** (n - 1));
      this.lastError = 'connection lost, restarting';
      this.setState('stopped');
      this.opts.log.warn(`lost the daemon connection; restarting in ${backoffMs} ms (${n} in the last 3 minutes)`);
      // Back off so that a daemon that dies at once does not spin, and the user sees the outage.
      await new Promise((r) => setTimeout(r, backoffMs));
      return { action: CloseAction.Restart, handled: true };
    }
    this.lastError = `the daemon connection was lost ${this.crashes.recentCrashes} times in 3 minutes`;
    this.setState('startFailed');
    void vscode.window
      .showErrorMessage(`Gearbox: ${this.lastError}; giving up. See the logs for why.`, 'Restart Daemon', 'Show Logs')
      .then((pick) => {
        if (pick === 'Restart Daemon') void vscode.commands.executeCommand('gearbox.restartDaemon');
        if (pick === 'Show Logs') this.opts.log.show();
      });
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  /** Finds the running daemon or starts one, then opens an authenticated WebSocket to it. */
  private async transports(): Promise<MessageTransports> {
    const { runtimeDir, configPath } = this.settings();
    const { discovery, socket } = await connectOrStartDaemon({
      runtimeDir,
      configPath,
      execPath: process.execPath,
      daemonScript: path.join(this.opts.extensionPath, 'dist', 'daemon', 'gearbox.mjs'),
      env: process.env,
      log: (line) => this.opts.log.info(line),
    });
    this.discovery = discovery;
    return {
      reader: new WebSocketMessageReader(socket, (why) => this.opts.log.warn(`bad frame from daemon: ${why}`)),
      writer: new WebSocketMessageWriter(socket),
    };
  }

  async request<M extends RequestMethod>(
    method: M,
    params: ParamsOf<M>,
    token?: vscode.CancellationToken,
  ): Promise<ResultOf<M>> {
    const entry = Protocol[method] as unknown as {
      params: { parse(v: unknown): unknown };
      result: { parse(v: unknown): unknown };
    };
    entry.params.parse(params);
    await this.start();
    const client = this.client!;
    const raw = token ? await client.sendRequest(method, params, token) : await client.sendRequest(method, params);
    return entry.result.parse(raw) as ResultOf<M>;
  }

  notify<M extends NotificationMethod>(method: M, params: ParamsOf<M>): void {
    (Protocol[method] as unknown as { params: { parse(v: unknown): unknown } }).params.parse(params);
    if (this.state !== 'running' || !this.client) return;
    this.client
      .sendNotification(method, params)
      .catch((err: Error) => this.opts.log.debug(`${method}: ${err.message}`));
  }

  onNotification<M extends NotificationMethod>(method: M, handler: (params: ParamsOf<M>) => void): vscode.Disposable {
    // vscode-jsonrpc keeps one handler per method: fan out here so several features can listen.
    let set = this.notificationHandlers.get(method);
    if (!set) {
      set = new Set();
      this.notificationHandlers.set(method, set);
      this.client?.onNotification(method, (raw: unknown) => this.dispatch(method, raw));
    }
    const h = handler as (p: unknown) => void;
    set.add(h);
    return new vscode.Disposable(() => set.delete(h));
  }

  private dispatch(method: string, raw: unknown): void {
    const entry = Protocol[method as NotificationMethod] as unknown as {
      params: { safeParse(v: unknown): { success: boolean; data?: unknown } };
    };
    const parsed = entry.params.safeParse(raw);
    if (!parsed.success) {
      this.opts.log.warn(`dropped an invalid ${method} notification from the daemon`);
      return;
    }
    for (const h of this.notificationHandlers.get(method) ?? []) {
      try {
        h(parsed.data);
      } catch (err) {
        this.opts.log.error(`${method} handler failed: ${(err as Error).message}`);
      }
    }
  }

  /** Stops the daemon process itself (all windows reconnect to a fresh one) and reconnects. */
  async restartDaemon(): Promise<void> {
    this.setState('stopping');
    this.stoppingOnPurpose = true;
    const pid = this.discovery?.pid;
    try {
      if (this.client?.isRunning()) await this.client.sendRequest('gearbox/shutdown', {}).catch(() => undefined);
      await this.client?.stop(2000).catch(() => undefined);
    } finally {
      await this.client?.dispose().catch(() => undefined);
      this.client = undefined;
    }
    if (pid) await waitForExit(pid, 10_000);
    this.crashes.reset();
    this.setState('stopped');
    await this.start();
  }

  async dispose(): Promise<void> {
    this.stoppingOnPurpose = true;
    this.setState('stopping');
    // The daemon is shared by every window and outlives this one: only our connection ends.
    await this.client?.stop(2000).catch(() => undefined);
    this.setState('stopped');
    this.stateEmitter.dispose();
  }
}

/**
 * vscode-languageclient shows every failed LSP request (an inline completion with no model, say) as a
 * raw error popup. The daemon's own failures are expected, and the features explain them once with
 * the fix; only those are kept out of the popup (still logged); anything else is a bug and shows.
 */
class GearboxLanguageClient extends LanguageClient {
  override handleFailedRequest<T>(
    type: Parameters<LanguageClient['handleFailedRequest']>[0],
    token: Parameters<LanguageClient['handleFailedRequest']>[1],
    error: unknown,
    defaultValue: T,
    showNotification = true,
    throwOnCancel = false,
  ): T {
    const show = showNotification && !isExpectedFailure(error);
    return super.handleFailedRequest(type, token, error, defaultValue, show, throwOnCancel);
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
