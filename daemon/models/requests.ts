// The gearbox/models/* requests of one connection, handed to the model manager. Params and results
// are validated by the session's `handle` against shared/protocol.ts.
import type { CancellationToken } from 'vscode-languageserver';
import type { ParamsOf, RequestMethod, ResultOf } from '../../shared/protocol';
import type { ModelManager } from './manager';

export type Handle = <M extends RequestMethod>(
  method: M,
  fn: (params: ParamsOf<M>, token: CancellationToken) => Promise<ResultOf<M>>,
) => void;

/** Cancelling the request (or its connection closing) stops waiting; the download itself goes on. */
function signalOf(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

export function registerModelRequests(
  handle: Handle,
  models: ModelManager,
  /** Every model id the catalog knows (local and closed), for per-task defaults. */
  catalogIds: () => Promise<ReadonlySet<string>>,
): void {
  handle('gearbox/models/list', () => models.list());
  handle('gearbox/models/recommend', async (p) => {
    const rec = await models.recommend();
    return p?.role ? { ...rec, presets: rec.presets.filter((f) => f.preset.role === p.role) } : rec;
  });
  handle('gearbox/models/add', (p) => models.add(p));
  handle('gearbox/models/remove', (p) => models.remove(p.id, p.deleteFile ?? false));
  handle('gearbox/models/download', async (p, token) => ({
    model: await models.download(p.id, p.wait ?? false, signalOf(token)),
  }));
  handle('gearbox/models/cancelDownload', (p) => models.cancelDownload(p.id));
  handle('gearbox/models/load', async (p, token) => ({ model: await models.load(p.id, signalOf(token)) }));
  handle('gearbox/models/unload', async (p) => ({ model: await models.unload(p.id) }));
  handle('gearbox/models/setDefaults', async (p) => ({
    defaults: await models.setDefaults(p.defaults, await catalogIds()),
  }));
}
