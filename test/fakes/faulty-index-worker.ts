// The real code-index worker (daemon/codebase/index-worker.ts) with faults a test can set off, the
// way real bugs show up: a search for CRASH_QUERY throws an uncaught error in the worker, one for
// GARBAGE_QUERY makes it send the daemon a message no schema accepts, one for HANG_QUERY makes it
// say so in a log line and then never return (as an endless loop would), and a CRASH_ON_LOAD file
// in the index folder crashes it while it loads (as a saved index that crashes the reader would).
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

export const CRASH_QUERY = 'crash the index worker now';
export const GARBAGE_QUERY = 'index worker speaks garbage now';
export const HANG_QUERY = 'index worker hangs now';
export const HANGING_LOG = 'injected hang: the index worker stops answering';
export const CRASH_ON_LOAD = 'crash-on-load';

const port = parentPort;
if (port) {
  const dir = (workerData as { dir: string }).dir;
  if (fs.existsSync(path.join(dir, CRASH_ON_LOAD)) && !(workerData as { discardSaved: boolean }).discardSaved)
    throw new Error('injected crash while loading the saved index');
  // Added after the real worker's listener (one added earlier would start the port, and messages
  // would reach no one while the real worker still loads). It runs in the same dispatch, before
  // the real worker's answer (which awaits), so a crash or a bad message comes first.
  void import('../../daemon/codebase/index-worker').then(() =>
    port.on('message', (m: { type?: string; query?: string; id?: number }) => {
      if (m.type !== 'search') return;
      if (m.query === CRASH_QUERY) throw new Error('injected crash in the index worker');
      if (m.query === GARBAGE_QUERY) port.postMessage({ type: 'search', id: m.id, hits: 'not a list' });
      if (m.query === HANG_QUERY) {
        port.postMessage({ type: 'log', level: 'warn', msg: HANGING_LOG });
        for (;;);
      }
    }),
  );
}
