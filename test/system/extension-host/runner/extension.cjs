// Test-only VS Code extension: runs a bundled mocha suite inside the extension host. Used where
// @vscode/test-electron cannot run (code-server in CI): the harness installs this next to Gearbox
// and sets
//   GEARBOX_EXT_TESTS         the bundled suite (CJS, `vscode` external; mocha's bdd globals)
//   GEARBOX_EXT_TEST_RESULTS  where to write the results JSON (atomically, once the run ends)
//   GEARBOX_EXT_TEST_MOCHA    optional: mocha's package dir (default: resolved from the suite's dir)
//   GEARBOX_EXT_TEST_GREP     optional: only tests whose full title matches
// Without GEARBOX_EXT_TESTS it does nothing. runSuite() is also what the desktop runner's
// index (test/system/extension-host/index.ts, for @vscode/test-electron) calls.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

/** Mocha's class; mocha 12 is ESM, so load it with import() (works from CJS on every Node). */
async function loadMocha(suitePath, mochaDir) {
  const entry = mochaDir ? require.resolve(mochaDir) : require.resolve('mocha', { paths: [path.dirname(suitePath)] });
  const mod = await import(pathToFileURL(entry).href);
  return mod.default || mod.Mocha || mod;
}

function errorInfo(err) {
  if (!err) return { message: 'unknown error' };
  const out = { message: String(err.message || err), stack: err.stack ? String(err.stack) : undefined };
  if (err.actual !== undefined || err.expected !== undefined) {
    try {
      out.actual = JSON.stringify(err.actual);
      out.expected = JSON.stringify(err.expected);
    } catch {
      /* circular */
    }
  }
  return out;
}

function writeResults(file, results) {
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, file);
}

/**
 * Runs the suite; resolves with { passes, failures, pending, ... } and writes it to resultsPath.
 * Never rejects: a suite that does not load is reported as one failure.
 */
async function runSuite(suitePath, opts = {}) {
  const started = Date.now();
  const results = {
    suite: suitePath,
    startedAt: new Date(started).toISOString(),
    vscodeVersion: undefined,
    passes: [],
    failures: [],
    pending: [],
    durationMs: 0,
  };
  try {
    results.vscodeVersion = require('vscode').version;
  } catch {
    /* not in an extension host */
  }
  try {
    const Mocha = await loadMocha(suitePath, opts.mochaDir);
    class Collect {
      constructor(runner) {
        runner.on('pass', (t) =>
          results.passes.push({ title: t.title, fullTitle: t.fullTitle(), durationMs: t.duration }),
        );
        runner.on('pending', (t) => results.pending.push({ title: t.title, fullTitle: t.fullTitle() }));
        runner.on('fail', (t, err) =>
          results.failures.push({ title: t.title, fullTitle: t.fullTitle(), error: errorInfo(err) }),
        );
      }
    }
    const mocha = new Mocha({ ui: 'bdd', timeout: opts.timeout || 60000, color: false, reporter: Collect });
    if (opts.grep) mocha.grep(opts.grep);
    mocha.addFile(suitePath);
    await new Promise((resolve) => mocha.run(() => resolve()));
  } catch (err) {
    results.failures.push({ title: 'load the suite', fullTitle: `load ${suitePath}`, error: errorInfo(err) });
  }
  results.durationMs = Date.now() - started;
  writeResults(opts.resultsPath, results);
  return results;
}

function activate() {
  const suite = process.env.GEARBOX_EXT_TESTS;
  if (!suite) return;
  // Not awaited: activation must finish so the rest of the window starts.
  void runSuite(suite, {
    resultsPath: process.env.GEARBOX_EXT_TEST_RESULTS,
    mochaDir: process.env.GEARBOX_EXT_TEST_MOCHA,
    grep: process.env.GEARBOX_EXT_TEST_GREP,
  }).catch((err) => {
    writeResults(process.env.GEARBOX_EXT_TEST_RESULTS, {
      suite,
      passes: [],
      failures: [{ title: 'runner', fullTitle: 'runner', error: errorInfo(err) }],
      pending: [],
    });
  });
}

function deactivate() {}

module.exports = { activate, deactivate, runSuite };
