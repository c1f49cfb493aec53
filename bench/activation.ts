// Extension activation time, two ways:
//  (a) plain Node: the bundle dist/extension/extension.cjs loaded with a fake `vscode` module
//      (bench/lib/vscode-stub.cjs), require() and activate() timed separately, each run in a fresh
//      Node process (bench/lib/activation-child.cjs) so that no module cache is warm;
//  (b) real VS Code (code-server, the e2e harness): the extension's own `activated in X ms` line in
//      its log (from the bundle's first line to the end of activate()), and what VS Code measured
//      itself (Developer: Show Running Extensions), for the first window (which starts the daemon)
//      and after reloads (a fresh extension host that finds the daemon running).
// The extension is two bundles: extension.cjs (what activation loads: status bar, command stubs)
// and features.cjs (daemon connection, vscode-languageclient, zod, chat, …), required right after
// activate() returns; (a) also times that load and `require → daemon spawn`, all the startup work
// up to asking for the daemon, which compares fairly with a build that does it inside activate().
// Prints tables and writes bench/results/activation.json. A benchmark, not a test: the target
// (activation ≤ 50 ms) is recorded, never asserted.
//
//   node --import tsx bench/activation.ts                  # both parts (b needs the e2e setup and dist/)
//   node --import tsx bench/activation.ts --runs 40        # more plain-Node samples (default 25)
//   node --import tsx bench/activation.ts --no-vscode      # (a) only
//   node --import tsx bench/activation.ts --reloads 5      # (b): window reloads after the first (default 4)
//   node --import tsx bench/activation.ts --bundle /tmp/old/dist/extension/extension.cjs --name activation-old
//   node --import tsx bench/activation.ts --node .cache/e2e/node24/node_modules/node/bin/node
//   # (b) with a packaged build:
//   node --import tsx bench/activation.ts --vsix gearbox-linux-x64-0.1.0.vsix --name activation-vsix
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gearboxLogFiles } from './lib/code-server';
import { printTable, repoRoot, summarize, writeResult, type Summary } from './lib/report';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
};
const flag = (name: string) => argv.includes(`--${name}`);

const TARGET_MS = 50;
const runs = Number(opt('runs', '25'));
const reloads = Number(opt('reloads', '4'));
const bundle = path.resolve(opt('bundle', path.join(repoRoot, 'dist', 'extension', 'extension.cjs')));
const nodeBin = path.resolve(opt('node', process.execPath));
const resultName = opt('name', 'activation');
/** (b) with this .vsix installed instead of the repo linked (e.g. an older build, for before/after). */
const vsix = opt('vsix', '') || undefined;
const CHILD = path.join(repoRoot, 'bench', 'lib', 'activation-child.cjs');

interface ChildSample {
  requireMs: number;
  activateMs: number;
  totalMs: number;
  activateToSpawnMs: number | null;
  selfReported: string | null;
  featuresLoad: string | null;
  errors: string[];
  commands: number;
  providers: number;
  subscriptions: number;
  activateError?: string;
  bundleBytes: number;
  siblingBytes: number;
}

// ---------- (a) plain Node ----------

function nodeActivation(): { samples: ChildSample[]; summary: Record<string, Summary>; selfReportedMs: Summary } {
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gbact-'));
  const samples: ChildSample[] = [];
  try {
    // One unmeasured run first: the OS file cache, not Node's module cache, is what it warms.
    for (let i = 0; i <= runs; i++) {
      const r = spawnSync(nodeBin, [CHILD, bundle, runtimeDir], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      if (r.status !== 0) throw new Error(`activation child failed (${r.status}): ${r.stderr || r.stdout}`);
      const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildSample;
      if (s.activateError) throw new Error(`activate() threw with the fake vscode module: ${s.activateError}`);
      if (s.errors.length)
        throw new Error(`the extension logged errors with the fake vscode module:\n${s.errors.join('\n')}`);
      if (i > 0) samples.push(s);
    }
  } finally {
    fs.rmSync(runtimeDir, { recursive: true, force: true });
  }
  const pick = (f: (s: ChildSample) => number | null) =>
    summarize(samples.map(f).filter((v): v is number => typeof v === 'number'));
  return {
    samples,
    summary: {
      require: pick((s) => s.requireMs),
      activate: pick((s) => s.activateMs),
      'require + activate': pick((s) => s.totalMs),
      'features load (after activate)': pick((s) => featuresMs(s.featuresLoad)),
      'activate → daemon spawn': pick((s) => s.activateToSpawnMs),
      // All the startup work up to asking for the daemon, wherever it happens: compare this one
      // between builds that do the work inside and after activate().
      'require → daemon spawn': pick((s) => (s.activateToSpawnMs === null ? null : s.requireMs + s.activateToSpawnMs)),
    },
    selfReportedMs: pick((s) => parseActivated(s.selfReported ?? '')?.totalMs ?? null),
  };
}

/** `features loaded in 80.1 ms` → 80.1 (the second bundle, required right after activate()). */
function featuresMs(line: string | null): number | null {
  const m = /features loaded in ([\d.]+) ms/.exec(line ?? '');
  return m ? Number(m[1]) : null;
}

/** `activated in 12.3 ms (load 8.1 ms, activate 4.2 ms)` → numbers. */
function parseActivated(line: string): { totalMs: number; loadMs?: number; activateMs?: number } | undefined {
  const m = /activated in ([\d.]+) ms(?: \(load ([\d.]+) ms, activate ([\d.]+) ms\))?/.exec(line);
  if (!m) return undefined;
  return {
    totalMs: Number(m[1]),
    loadMs: m[2] ? Number(m[2]) : undefined,
    activateMs: m[3] ? Number(m[3]) : undefined,
  };
}

// ---------- (b) real VS Code ----------

interface VscodeSample {
  window: 'first' | 'reload';
  /** From the extension's own log line. */
  selfTotalMs?: number;
  selfLoadMs?: number;
  selfActivateMs?: number;
  /** What "Developer: Show Running Extensions" shows for Gearbox (VS Code's own measurement). */
  vscodeShown?: string;
  vscodeMs?: number;
}

async function vscodeActivation(): Promise<{ samples: VscodeSample[]; notes: string[] }> {
  const { CodeServerE2E } = await import('../test/system/e2e/launch');
  const { StatusBarActions } = await import('../test/system/e2e/actions');
  const e2e = await CodeServerE2E.launch({
    name: `bench-${resultName}`,
    vsix,
    files: { 'demo.py': 'def add(a, b):\n    return a + b\n' },
  });
  const samples: VscodeSample[] = [];
  const seen = new Set<string>();
  try {
    await e2e.openWorkbench();
    for (let i = 0; i <= reloads; i++) {
      if (i > 0) await e2e.reload();
      await StatusBarActions.waitFor(e2e, /Gearbox: (?!daemon down)/, 90_000);
      const sample: VscodeSample = { window: i === 0 ? 'first' : 'reload' };
      // The extension's own line: in the newest exthost log dir's Gearbox.log that has one not read yet.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && sample.selfTotalMs === undefined) {
        for (const file of gearboxLogFiles(e2e.dirs.userData)) {
          const lines = fs
            .readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => /activated in/.test(l));
          for (const l of lines) {
            const key = `${file}\n${l}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const p = parseActivated(l);
            if (p)
              Object.assign(sample, { selfTotalMs: p.totalMs, selfLoadMs: p.loadMs, selfActivateMs: p.activateMs });
          }
        }
        if (sample.selfTotalMs === undefined) await new Promise((r) => setTimeout(r, 200));
      }
      const shown = await runningExtensionsTime(e2e).catch((err: Error) => {
        e2e.notes.push(`running extensions: ${err.message.split('\n')[0]}`);
        return undefined;
      });
      if (shown) Object.assign(sample, shown);
      samples.push(sample);
      console.log(
        `  window ${i} (${sample.window}): self ${sample.selfTotalMs ?? '?'} ms, ` +
          `VS Code shows ${JSON.stringify(sample.vscodeShown ?? '?')}`,
      );
    }
  } finally {
    await e2e.close();
  }
  return { samples, notes: e2e.notes };
}

/** Opens "Developer: Show Running Extensions" and reads Gearbox's activation time from it. */
async function runningExtensionsTime(
  e2e: import('../test/system/e2e/launch').CodeServerE2E,
): Promise<{ vscodeShown: string; vscodeMs?: number } | undefined> {
  const { WorkbenchActions } = await import('../test/system/e2e/actions');
  await WorkbenchActions.runCommand(e2e, 'Developer: Show Running Extensions');
  const list = e2e.page.locator('.runtime-extensions-editor').first();
  await list.locator('.monaco-list-row').first().waitFor({ state: 'visible', timeout: 15_000 });
  // A virtual list (rows of 70 px, most active first): scroll until Gearbox's row is rendered.
  const row = list.locator('.monaco-list-row').filter({ hasText: 'Gearbox' }).first();
  const box = await list.boundingBox();
  for (let i = 0; i < 40 && (await row.count()) === 0; i++) {
    if (box) await e2e.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await e2e.page.mouse.wheel(0, 300);
    await new Promise((r) => setTimeout(r, 100));
  }
  await row.waitFor({ state: 'visible', timeout: 5_000 });
  const time = row.locator('.activation-time').first();
  const shown = ((await time.count()) ? await time.innerText() : await row.innerText()).replace(/\s+/g, ' ').trim();
  const m = /([\d.]+)\s*ms/.exec(shown);
  await e2e.page.keyboard.press('Control+W');
  return { vscodeShown: shown, vscodeMs: m ? Number(m[1]) : undefined };
}

// ---------- main ----------

const bundleBytes = fs.statSync(bundle).size;
const siblingBytes = fs
  .readdirSync(path.dirname(bundle))
  .filter((f) => f.endsWith('.cjs') && f !== path.basename(bundle))
  .reduce((n, f) => n + fs.statSync(path.join(path.dirname(bundle), f)).size, 0);
console.log(
  `bundle ${path.relative(repoRoot, bundle) || bundle}: ${(bundleBytes / 1024).toFixed(0)} KiB ` +
    `(+ ${(siblingBytes / 1024).toFixed(0)} KiB loaded after activation); ` +
    `node ${nodeBin === process.execPath ? process.version : nodeBin}; ${runs} cold runs`,
);
const node = nodeActivation();
printTable(`(a) plain Node, fake vscode, fresh process per run (ms; target require + activate ≤ ${TARGET_MS} ms)`, [
  ['', 'n', 'p50', 'p90', 'min', 'max'],
  ...Object.entries(node.summary)
    .filter(([, s]) => s.n > 0)
    .map(([k, s]) => [k, s.n, s.p50, s.p90, s.min, s.max]),
  ...(node.selfReportedMs.n
    ? [
        [
          'self-reported (log line)',
          node.selfReportedMs.n,
          node.selfReportedMs.p50,
          node.selfReportedMs.p90,
          node.selfReportedMs.min,
          node.selfReportedMs.max,
        ],
      ]
    : []),
]);
const first = node.samples[0]!;
console.log(
  `  activate() registered ${first.commands} commands, ${first.providers} providers, ` +
    `${first.subscriptions} subscriptions`,
);

let vscode: Awaited<ReturnType<typeof vscodeActivation>> | undefined;
if (!flag('no-vscode')) {
  console.log('\n(b) real VS Code (code-server): launching…');
  vscode = await vscodeActivation();
  printTable('(b) real VS Code (code-server) activation (ms)', [
    ['window', 'self: total', 'self: load', 'self: activate', 'VS Code shows'],
    ...vscode.samples.map((s, i) => [
      `${i} ${s.window}`,
      s.selfTotalMs ?? '-',
      s.selfLoadMs ?? '-',
      s.selfActivateMs ?? '-',
      s.vscodeShown ?? '-',
    ]),
  ]);
}

const reloadSelf = summarize(
  (vscode?.samples ?? [])
    .filter((s) => s.window === 'reload' && s.selfTotalMs !== undefined)
    .map((s) => s.selfTotalMs!),
);
const vscodeMeasured = summarize(
  (vscode?.samples ?? []).filter((s) => s.vscodeMs !== undefined).map((s) => s.vscodeMs!),
);
if (vscode) {
  console.log(
    `  VS Code's own measurement (code loading + activate() call), all windows: ` +
      `p50 ${vscodeMeasured.p50} ms, max ${vscodeMeasured.max} ms (n=${vscodeMeasured.n})`,
  );
  console.log(
    `  self-reported, reloads: p50 ${reloadSelf.p50} ms (n=${reloadSelf.n}); ` +
      '"load" there includes VS Code building the vscode API object and the ExtensionContext',
  );
}
writeResult(resultName, {
  targets: { activationMs: TARGET_MS },
  bundle: path.relative(repoRoot, bundle) || bundle,
  bundleBytes,
  afterActivationBytes: siblingBytes,
  node: {
    runtime: nodeBin === process.execPath ? process.version : nodeBin,
    runs,
    ...node.summary,
    selfReported: node.selfReportedMs,
    registered: { commands: first.commands, providers: first.providers, subscriptions: first.subscriptions },
  },
  vscode: vscode
    ? {
        extension: vsix ? path.relative(repoRoot, path.resolve(vsix)) : 'repo (linked)',
        samples: vscode.samples,
        vscodeMeasured,
        reloadSelfReported: reloadSelf,
        notes: vscode.notes,
      }
    : 'skipped (--no-vscode)',
  withinTarget: { nodeRequirePlusActivateP50: node.summary['require + activate']!.p50 <= TARGET_MS },
});
