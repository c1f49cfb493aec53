// What the extension's features (chat view, refactors, model picker, keys) need from the daemon
// connection. Implemented by DaemonConnection; features depend on this interface only.
import type * as vscode from 'vscode';
import type { NotificationMethod, ParamsOf, RequestMethod, ResultOf } from '../shared/protocol';

export type ConnectionState = 'starting' | 'running' | 'stopping' | 'stopped' | 'startFailed';

export interface GearboxClient {
  readonly state: ConnectionState;
  readonly onDidChangeState: vscode.Event<ConnectionState>;
  /**
   * A custom gearbox/* request. Params and result are validated with the shared zod schemas.
   * Waits for the connection (starting the daemon if needed); rejects with the daemon's
   * JSON-RPC error (`code`, `message`, `data`) on failure. Cancelling `token` sends $/cancelRequest.
   */
  request<M extends RequestMethod>(
    method: M,
    params: ParamsOf<M>,
    token?: vscode.CancellationToken,
  ): Promise<ResultOf<M>>;
  /**
   * Sends a gearbox/* notification (params validated) when the connection runs; while it does not, the
   * notification is dropped: what it says is only worth something now.
   */
  notify<M extends NotificationMethod>(method: M, params: ParamsOf<M>): void;
  /** A validated gearbox/* notification handler; disposed with the extension. */
  onNotification<M extends NotificationMethod>(method: M, handler: (params: ParamsOf<M>) => void): vscode.Disposable;
  /** The extension's log (a LogOutputChannel). Never log keys. */
  readonly log: vscode.LogOutputChannel;
}
