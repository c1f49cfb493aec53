// One cold activation of the bundled extension in plain Node with the fake `vscode` module: times
// require() of the bundle and activate() separately, then prints one JSON line and exits. Run by
// bench/activation.ts, a fresh process per sample so that no module cache is warm.
//   node bench/lib/activation-child.cjs <bundle.cjs> <runtimeDir>
'use strict';
const started = performance.now(); // since this process began (performance.timeOrigin)
const childProcess = require('node:child_process');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const { install, makeContext, logLines, commandsRegistry, registeredProviders } = require('./vscode-stub.cjs');

const [bundle, runtimeDir] = process.argv.slice(2);
if (!bundle || !runtimeDir) throw new Error('usage: activation-child.cjs <bundle.cjs> <runtimeDir>');

// The extension starts the daemon connection in the background; no daemon may really start here.
// Record when it would have spawned one: that is when the background start work has got that far.
let spawnAt;
childProcess.spawn = function fakeSpawn() {
  spawnAt ??= performance.now();
  const child = new EventEmitter();
  child.pid = 0;
  child.unref = () => undefined;
  child.kill = () => true;
  return child;
};

install();
const extensionPath = path.resolve(path.dirname(bundle), '..', '..');
const context = makeContext({
  extensionPath,
  storageDir: runtimeDir,
  config: { 'gearbox.daemon.runtimeDir': runtimeDir, 'gearbox.daemon.configPath': path.join(runtimeDir, 'none.json') },
});

const t0 = performance.now();
const ext = require(path.resolve(bundle));
const t1 = performance.now();
let activateError;
try {
  ext.activate(context);
} catch (err) {
  activateError = String(err?.stack || err);
}
const t2 = performance.now();

// Then let the background start run until it asks for the daemon (or 2 s pass).
const deadline = t2 + 2000;
(function settle() {
  if (spawnAt === undefined && performance.now() < deadline) return setTimeout(settle, 1);
  const activatedLine = logLines.find((l) => /activated in/.test(l));
  const featuresLine = logLines.find((l) => /features loaded in/.test(l));
  process.stdout.write(
    `${JSON.stringify({
      processStartToScriptMs: started,
      requireMs: t1 - t0,
      activateMs: t2 - t1,
      totalMs: t2 - t0,
      activateToSpawnMs: spawnAt === undefined ? null : spawnAt - t1,
      selfReported: activatedLine ?? null,
      featuresLoad: featuresLine ?? null,
      errors: logLines.filter((l) => l.startsWith('[error]')),
      commands: commandsRegistry.size,
      providers: registeredProviders.length,
      subscriptions: context.subscriptions.length,
      activateError,
      bundleBytes: fs.statSync(bundle).size,
      siblingBytes: fs
        .readdirSync(path.dirname(bundle))
        .filter((f) => f.endsWith('.cjs') && f !== path.basename(bundle))
        .reduce((n, f) => n + fs.statSync(path.join(path.dirname(bundle), f)).size, 0),
    })}\n`,
  );
  process.exit(0);
})();
