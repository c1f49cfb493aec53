// Runs the extension's connection logic (find or start the daemon, open the socket) once, as a
// script, so that a test can run it as another user: prints {ok, pid} or {ok: false, error}.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectOrStartDaemon } from '../../extension/core/daemon-locator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runtimeDir = process.argv[2];
if (!runtimeDir) throw new Error('usage: extension-connect-probe.ts RUNTIME_DIR');
try {
  const { discovery, socket } = await connectOrStartDaemon({
    runtimeDir,
    execPath: process.execPath,
    daemonScript: path.join(root, 'dist', 'daemon', 'gearbox.mjs'),
    env: process.env,
    log: () => {},
  });
  socket.close();
  console.log(JSON.stringify({ ok: true, pid: discovery.pid }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: (err as Error).message }));
}
