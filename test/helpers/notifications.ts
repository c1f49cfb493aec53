// Records a client's gearbox/* notifications so a test can wait for one (events, never sleeps).
import { EventEmitter } from 'node:events';
import type { DaemonClient } from '../../daemon/cli/client';
import type { NotificationMethod, ParamsOf } from '../../shared/protocol';

export interface Recorder {
  all<M extends NotificationMethod>(method: M): ParamsOf<M>[];
  /** The first notification (already received or still to come) that matches. */
  waitFor<M extends NotificationMethod>(method: M, match?: (p: ParamsOf<M>) => boolean): Promise<ParamsOf<M>>;
}

/** Listens to `methods` on `client` (one handler per method: register each method once per client). */
export function recordNotifications(client: DaemonClient, methods: NotificationMethod[]): Recorder {
  const seen = new Map<string, unknown[]>();
  const emitter = new EventEmitter();
  for (const method of methods) {
    seen.set(method, []);
    client.onNotification(method, (params) => {
      seen.get(method)!.push(params);
      emitter.emit(method, params);
    });
  }
  return {
    all: <M extends NotificationMethod>(method: M) => [...(seen.get(method) ?? [])] as ParamsOf<M>[],
    waitFor: <M extends NotificationMethod>(method: M, match: (p: ParamsOf<M>) => boolean = () => true) =>
      new Promise<ParamsOf<M>>((resolve) => {
        const earlier = (seen.get(method) ?? []).find((p) => match(p as ParamsOf<M>));
        if (earlier) return resolve(earlier as ParamsOf<M>);
        const on = (p: ParamsOf<M>) => {
          if (!match(p)) return;
          emitter.off(method, on);
          resolve(p);
        };
        emitter.on(method, on);
      }),
  };
}
