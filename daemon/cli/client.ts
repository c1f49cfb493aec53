// A JSON-RPC client of the daemon over the same authenticated WebSocket the extension uses.
// Results are validated against the shared schemas, exactly like the daemon validates params.
import 'vscode-jsonrpc/node';
import { createMessageConnection, type MessageConnection, CancellationTokenSource } from 'vscode-jsonrpc';
import {
  Protocol,
  type NotificationMethod,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
  type WorkspaceSettings,
} from '../../shared/protocol';
import { WebSocketMessageReader, WebSocketMessageWriter } from '../../shared/ws-transport';
import { openDaemonSocket } from '../../shared/daemon-socket';
import { readDiscovery, readToken, runtimePaths, type Discovery } from '../../shared/discovery';

class DaemonNotRunningError extends Error {
  constructor(dir: string) {
    super(`No Gearbox daemon is running (looked in ${dir}). Start one with: gearbox start --detach`);
  }
}

export interface DaemonClient {
  discovery: Discovery;
  connection: MessageConnection;
  request<M extends RequestMethod>(
    method: M,
    params: ParamsOf<M>,
    token?: CancellationTokenSource,
  ): Promise<ResultOf<M>>;
  onNotification<M extends NotificationMethod>(method: M, fn: (params: ParamsOf<M>) => void): void;
  close(): Promise<void>;
}

export async function connectToDaemon(opts: {
  runtimeDir: string;
  clientName?: string;
  settings?: Partial<WorkspaceSettings>;
  timeoutMs?: number;
  /** LSP client capabilities to announce (the CLI announces none). */
  capabilities?: Record<string, unknown>;
  /** The workspace folder to announce (a file: URI); none by default. */
  rootUri?: string;
  /**
   * Several workspace folders (file: URIs, or with the name an editor shows: a multi-root
   * workspace); the first is the rootUri. Names default to the folder's last path part.
   */
  workspaceFolders?: (string | { uri: string; name: string })[];
  /** Register server-to-client handlers before `initialize` is sent. */
  onConnection?: (connection: MessageConnection) => void;
}): Promise<DaemonClient> {
  const paths = runtimePaths(opts.runtimeDir);
  const discovery = readDiscovery(paths);
  if (!discovery) throw new DaemonNotRunningError(paths.dir);
  const socket = await openDaemonSocket(discovery, readToken(paths), { handshakeTimeoutMs: opts.timeoutMs });
  const connection = createMessageConnection(new WebSocketMessageReader(socket), new WebSocketMessageWriter(socket));
  opts.onConnection?.(connection);
  connection.listen();
  const folders = (opts.workspaceFolders ?? (opts.rootUri ? [opts.rootUri] : [])).map((f) =>
    typeof f === 'string' ? { uri: f, name: folderName(f) } : f,
  );
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: folders[0]?.uri ?? null,
    workspaceFolders: folders.length ? folders : null,
    capabilities: opts.capabilities ?? {},
    clientInfo: { name: opts.clientName ?? 'gearbox-cli' },
    initializationOptions: { clientName: opts.clientName ?? 'gearbox-cli', settings: opts.settings },
  });
  await connection.sendNotification('initialized', {});

  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    discovery,
    connection,
    async request(method, params, cts) {
      const entry = Protocol[method] as unknown as {
        params: { parse(v: unknown): unknown };
        result: { parse(v: unknown): unknown };
      };
      entry.params.parse(params);
      const raw = cts
        ? await connection.sendRequest(method, params, cts.token)
        : await connection.sendRequest(method, params);
      return entry.result.parse(raw) as ResultOf<typeof method>;
    },
    onNotification(method, fn) {
      const entry = Protocol[method] as unknown as {
        params: { safeParse(v: unknown): { success: boolean; data?: unknown } };
      };
      connection.onNotification(method, (raw: unknown) => {
        const parsed = entry.params.safeParse(raw);
        if (parsed.success) fn(parsed.data as ParamsOf<typeof method>);
      });
    },
    async close() {
      try {
        await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 1000))]);
        await connection.sendNotification('exit');
      } catch {
        /* daemon already gone */
      }
      connection.dispose();
      socket.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    },
  };
}

/** A folder's name as editors show it: the last part of its path. */
function folderName(uri: string): string {
  return decodeURIComponent(uri.replace(/\/+$/, '').split('/').pop() ?? '') || 'workspace';
}

export { CancellationTokenSource };
