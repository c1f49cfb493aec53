// Launch for the end-to-end tests: a real VS Code (code-server) with the Gearbox extension installed,
// driven by Playwright through Debian's Chromium. What a user does is in actions.ts, where things are
// in the page in selectors.ts; this file holds the lifecycle and the fixture. Each launch gets a fresh
// temp root holding the user-data dir, the extensions dir, a workspace folder, the daemon's runtime
// dir and config (the generated tiny GGUF model `local/tiny` plus a fake OpenAI-compatible provider
// `fake`), so nothing touches the user's real daemon, settings or keys. Every process it starts is
// ended by `close()`: Chromium, code-server (its process group), and the daemon the extension
// spawned (found by its runtime dir's daemon.json, and by a marker in the environment of everything
// started below us).
//
// Needs: `node scripts/e2e/setup.mjs` (Node 24 + code-server in .cache/e2e/), Chromium
// (/usr/bin/chromium or $GEARBOX_E2E_CHROMIUM), and a built dist/ (`npm run build`).
// Env: GEARBOX_E2E_KEEP=1 keeps the temp root; GEARBOX_E2E_HEADED=1 shows the browser (needs a
// display); GEARBOX_E2E_VSIX=path installs that .vsix instead of linking the repo.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { setup } from '../../../scripts/e2e/setup.mjs';
import { startFakeOpenAI } from '../../fakes/fake-openai';
import type { FakeServer, FakeServerOptions } from '../../fakes/fake-server';
import { makeTestModel } from '../../fixtures/make-test-model';
import { pidAlive } from '../../../shared/discovery';
import { WorkbenchSelectors } from './selectors';
import { waitFor } from './wait';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const artifactsRoot = path.join(repoRoot, 'test', 'system', 'e2e', 'artifacts');
const EXTENSION_FOLDER = 'gearbox.gearbox-0.1.0';
const RUNNER_FOLDER = 'gearbox.gearbox-test-runner-0.0.1';
const RUNNER_SOURCE = path.join(repoRoot, 'test', 'system', 'extension-host', 'runner');

/** Model ids the daemon config below defines. */
export const MODELS = { local: 'local/tiny', fakeLarge: 'fake/fake-large', fakeSmall: 'fake/fake-small' } as const;

/**
 * The daemon config every e2e run uses: the generated tiny GGUF as `local/tiny` (completion, chat,
 * refactor) and the fake OpenAI-compatible server as provider `fake` (fake-large tier 3,
 * fake-small tier 1, no key needed).
 */
export function daemonFixtureConfig(modelPath: string, fakeUrl: string): Record<string, any> {
  return {
    localModels: [
      { id: MODELS.local, source: modelPath, contextSize: 4096, tasks: ['completion', 'chat', 'refactor'] },
    ],
    modelDirs: [path.dirname(modelPath)],
    providers: [
      {
        id: 'fake',
        kind: 'openai-compatible',
        baseUrl: fakeUrl,
        noKey: true,
        models: [
          { name: 'fake-large', tier: 3, contextWindow: 128000, inputPricePerMTok: 3, outputPricePerMTok: 15 },
          { name: 'fake-small', tier: 1, contextWindow: 32000, inputPricePerMTok: 0.1, outputPricePerMTok: 0.4 },
        ],
      },
    ],
    threads: 1,
    gpu: false,
    logLevel: 'debug',
    idleExitMinutes: 0,
  };
}

/** Ends the daemon of a runtime dir (and its model host: the daemon leads its process group). */
export async function stopDaemonIn(runtimeDir: string): Promise<void> {
  let pid: number | undefined;
  try {
    pid = (JSON.parse(fs.readFileSync(path.join(runtimeDir, 'daemon.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return;
  }
  if (!pid || !pidAlive(pid)) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  kill('SIGTERM');
  await waitFor('the daemon to exit', () => (pidAlive(pid) ? undefined : true), 5_000).catch(() => kill('SIGKILL'));
}

export interface LaunchOptions {
  /** Artifacts go to test/system/e2e/artifacts/<name>/. */
  name: string;
  /** Workspace files, relative path → content. */
  files?: Record<string, string>;
  /** Written to <workspace>/.vscode/settings.json. */
  workspaceSettings?: Record<string, unknown>;
  /** Merged over the default user settings. */
  userSettings?: Record<string, unknown>;
  /** Extra environment for code-server (and so its extension host and the daemon it spawns). */
  env?: Record<string, string>;
  /** Install the extension-host test runner extension too. */
  testRunner?: boolean;
  /** Install this .vsix instead of linking the repo ($GEARBOX_E2E_VSIX also works). */
  vsix?: string;
  /** Options of the in-process fake OpenAI-compatible server. */
  fake?: FakeServerOptions;
  /** Changes the daemon config before it is written. */
  daemonConfig?: (config: Record<string, any>) => Record<string, any>;
}

export interface Dirs {
  root: string;
  home: string;
  userData: string;
  extensions: string;
  workspace: string;
  runtime: string;
  daemonConfig: string;
  artifacts: string;
}

type Timings = Record<string, number>;

/** Pids of processes whose environment holds `KEY=value` (Linux /proc); [] elsewhere. */
function pidsWithEnv(key: string, value: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`${key}=${value}\0`);
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`).includes(needle)) out.push(pid);
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

/** Processes started below this run (the marker is in their environment), with their command lines. */
function processesWithEnv(key: string, value: string): { pid: number; cmd: string }[] {
  return pidsWithEnv(key, value).map((pid) => {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      /* gone */
    }
    return { pid, cmd };
  });
}

export class CodeServerE2E {
  readonly timings: Timings = {};
  /** Oddities worth reporting that did not fail the flow. */
  readonly notes: string[] = [];
  page!: Page;
  browser: Browser | undefined;
  url = '';
  private proc: ChildProcess | undefined;
  private csLog = '';
  private step = 0;
  private readonly seenDaemonPids = new Set<number>();
  private closed = false;
  private readonly marker: string;

  private constructor(
    readonly opts: LaunchOptions,
    readonly dirs: Dirs,
    readonly fake: FakeServer,
    readonly modelPath: string,
  ) {
    this.marker = dirs.root;
  }

  /** Creates the dirs, config and fake provider, installs the extension(s), starts code-server. */
  static async launch(opts: LaunchOptions): Promise<CodeServerE2E> {
    const t0 = Date.now();
    const { paths, missing } = setup({ check: true });
    if (missing.length)
      throw new Error(
        `e2e prerequisites missing: ${missing.join(', ')}. ` +
          'Run: node scripts/e2e/setup.mjs (and scripts/e2e/apt-deps.sh as root)',
      );
    const vsix = opts.vsix ?? process.env.GEARBOX_E2E_VSIX;
    if (!vsix && !fs.existsSync(path.join(repoRoot, 'dist', 'extension', 'extension.cjs')))
      throw new Error('dist/extension/extension.cjs is missing: run npm run build');

    // A short path: code-server puts a Unix socket in the user-data dir (socket paths max out near 108 bytes).
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gbe2e-'));
    const dirs: Dirs = {
      root,
      home: path.join(root, 'home'),
      userData: path.join(root, 'ud'),
      extensions: path.join(root, 'ext'),
      workspace: path.join(root, 'ws'),
      runtime: path.join(root, 'run'),
      daemonConfig: path.join(root, 'daemon-config.json'),
      artifacts: path.join(artifactsRoot, opts.name),
    };
    for (const d of [dirs.home, dirs.userData, dirs.extensions, dirs.workspace]) fs.mkdirSync(d, { recursive: true });
    fs.mkdirSync(dirs.runtime, { recursive: true, mode: 0o700 });
    fs.rmSync(dirs.artifacts, { recursive: true, force: true });
    fs.mkdirSync(dirs.artifacts, { recursive: true });

    const fake = await startFakeOpenAI(opts.fake ?? {});
    const modelPath = makeTestModel({ shape: 'tiny' });
    let config = daemonFixtureConfig(modelPath, fake.url);
    if (opts.daemonConfig) config = opts.daemonConfig(config);
    fs.writeFileSync(dirs.daemonConfig, JSON.stringify(config, null, 2));

    const e2e = new CodeServerE2E(opts, dirs, fake, modelPath);
    try {
      e2e.writeSettings();
      for (const [rel, content] of Object.entries(opts.files ?? {})) e2e.writeWorkspaceFile(rel, content);
      e2e.mark('prepare', t0);
      const ti = Date.now();
      if (vsix) e2e.installVsix(paths.node, paths.codeServer, vsix);
      else fs.symlinkSync(repoRoot, path.join(dirs.extensions, EXTENSION_FOLDER), 'dir');
      if (opts.testRunner) {
        fs.symlinkSync(RUNNER_SOURCE, path.join(dirs.extensions, RUNNER_FOLDER), 'dir');
        // An install writes extensions.json, and from then on VS Code loads only the extensions it lists.
        if (vsix) e2e.registerExtension(RUNNER_FOLDER);
      }
      e2e.mark('install-extension', ti);
      await e2e.startCodeServer(paths.node, paths.codeServer);
    } catch (err) {
      await e2e.close();
      throw err;
    }
    return e2e;
  }

  /** Adds the time since `since` to the named phase of this run's timings. */
  mark(name: string, since: number): void {
    this.timings[name] = (this.timings[name] ?? 0) + (Date.now() - since);
  }

  private settingsBase(): Record<string, unknown> {
    return {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'extensions.ignoreRecommendations': true,
      'chat.disableAIFeatures': true,
      'chat.commandCenter.enabled': false,
      'git.enabled': false,
      'files.autoSave': 'off',
      'files.hotExit': 'off',
      // Predictable typing: no brackets closed for us, no suggest widget competing with ghost text for Tab.
      'editor.autoClosingBrackets': 'never',
      'editor.autoClosingQuotes': 'never',
      'editor.autoIndent': 'none',
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
      'editor.suggestOnTriggerCharacters': false,
      'editor.wordBasedSuggestions': 'off',
      'editor.parameterHints.enabled': false,
      'editor.inlineSuggest.enabled': true,
      'editor.minimap.enabled': false,
      'editor.hover.enabled': false,
      'gearbox.daemon.runtimeDir': this.dirs.runtime,
      'gearbox.daemon.configPath': this.dirs.daemonConfig,
    };
  }

  private writeSettings(): void {
    const user = { ...this.settingsBase(), ...this.opts.userSettings };
    for (const scope of ['User', 'Machine']) {
      const dir = path.join(this.dirs.userData, scope);
      fs.mkdirSync(dir, { recursive: true });
      // Machine-scoped settings (gearbox.daemon.*) are only read from user (or, in code-server, Machine) settings.
      const content =
        scope === 'User'
          ? user
          : { 'gearbox.daemon.runtimeDir': this.dirs.runtime, 'gearbox.daemon.configPath': this.dirs.daemonConfig };
      fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(content, null, 2));
    }
    this.writeWorkspaceFile('.vscode/settings.json', `${JSON.stringify(this.opts.workspaceSettings ?? {}, null, 2)}\n`);
  }

  writeWorkspaceFile(rel: string, content: string): string {
    const file = path.join(this.dirs.workspace, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  readWorkspaceFile(rel: string): string {
    return fs.readFileSync(path.join(this.dirs.workspace, rel), 'utf8');
  }

  readWorkspaceSettings(): Record<string, unknown> {
    const raw = this.readWorkspaceFile('.vscode/settings.json');
    // VS Code writes plain JSON, but a hand-written file may hold comments.
    return JSON.parse(raw.replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;
  }

  private env(nodeBinary: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      // Nothing of the outer session leaks in: no real daemon dir, no keys, no XDG dirs, no VS Code IPC.
      if (/^(GEARBOX_|XDG_|VSCODE_|ELECTRON_|OPENAI_|ANTHROPIC_|GEMINI_|NODE_OPTIONS$|npm_)/.test(k)) continue;
      env[k] = v;
    }
    return {
      ...env,
      HOME: this.dirs.home,
      PATH: `${path.dirname(nodeBinary)}${path.delimiter}${process.env.PATH ?? ''}`,
      GEARBOX_E2E_MARKER: this.marker,
      GEARBOX_RUNTIME_DIR: this.dirs.runtime,
      GEARBOX_CONFIG: this.dirs.daemonConfig,
      ...this.opts.env,
    };
  }

  private csArgs(): string[] {
    const yaml = path.join(this.dirs.root, 'code-server.yaml');
    if (!fs.existsSync(yaml)) fs.writeFileSync(yaml, 'auth: none\n');
    return ['--config', yaml, '--user-data-dir', this.dirs.userData, '--extensions-dir', this.dirs.extensions];
  }

  /** Lists a folder of the extensions dir in its extensions.json, as an install would. */
  private registerExtension(folder: string): void {
    const file = path.join(this.dirs.extensions, 'extensions.json');
    const listed = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[]) : [];
    const manifest = JSON.parse(fs.readFileSync(path.join(this.dirs.extensions, folder, 'package.json'), 'utf8'));
    const at = path.join(this.dirs.extensions, folder);
    listed.push({
      identifier: { id: `${manifest.publisher}.${manifest.name}` },
      version: manifest.version,
      location: { $mid: 1, fsPath: at, external: `file://${at}`, path: at, scheme: 'file' },
      relativeLocation: folder,
      metadata: { installedTimestamp: Date.now(), source: 'vsix' },
    });
    fs.writeFileSync(file, JSON.stringify(listed));
  }

  private installVsix(node: string, entry: string, vsix: string): void {
    const r = spawnSync(node, [entry, ...this.csArgs(), '--install-extension', path.resolve(vsix)], {
      env: this.env(node),
      encoding: 'utf8',
      timeout: 120_000,
    });
    fs.writeFileSync(path.join(this.dirs.artifacts, 'install-extension.log'), `${r.stdout}\n${r.stderr}`);
    if (r.status !== 0)
      throw new Error(`code-server --install-extension ${vsix} failed (${r.status}): ${r.stderr || r.stdout}`);
  }

  private async startCodeServer(node: string, entry: string): Promise<void> {
    const t = Date.now();
    const args = [
      entry,
      ...this.csArgs(),
      '--auth',
      'none',
      '--bind-addr',
      '127.0.0.1:0',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      this.dirs.workspace,
    ];
    const logFile = path.join(this.dirs.artifacts, 'code-server.log');
    const proc = spawn(node, args, {
      cwd: this.dirs.root,
      env: this.env(node),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const onData = (b: Buffer) => {
      this.csLog += b.toString();
      fs.appendFileSync(logFile, b);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    let exited: number | null | undefined;
    proc.once('exit', (code) => (exited = code));
    const url = await waitFor(
      'code-server to listen',
      () => {
        if (exited !== undefined) throw new Error(`code-server exited (${exited}) during start:\n${this.csLog}`);
        return /HTTP server listening on (http:\/\/\S+?)\/?\s/.exec(this.csLog)?.[1];
      },
      60_000,
      50,
    );
    this.url = url;
    this.mark('code-server-start', t);
  }

  /** Launches Chromium and opens the workbench on the workspace folder; resolves when it is usable. */
  async openWorkbench(): Promise<Page> {
    const t = Date.now();
    const { paths } = setup({ check: true });
    this.browser = await chromium.launch({
      executablePath: paths.chromium,
      headless: process.env.GEARBOX_E2E_HEADED !== '1',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Clipboard for "Copy" in the chat (harmless elsewhere).
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: this.url }).catch(() => undefined);
    this.page = await context.newPage();
    this.page.on('pageerror', (err) =>
      fs.appendFileSync(path.join(this.dirs.artifacts, 'browser-console.log'), `pageerror: ${err.message}\n`),
    );
    this.page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning')
        fs.appendFileSync(path.join(this.dirs.artifacts, 'browser-console.log'), `${msg.type()}: ${msg.text()}\n`);
    });
    await this.page.goto(`${this.url}/?folder=${encodeURIComponent(this.dirs.workspace)}`);
    await this.workbenchShown();
    // The explorer shows the folder once the remote file system answered.
    await WorkbenchSelectors.explorerRows(this.page).first().waitFor({ state: 'visible', timeout: 60_000 });
    this.mark('workbench-open', t);
    return this.page;
  }

  /** Reloads the page (a new window session; the extension host restarts) and waits for the workbench. */
  async reload(): Promise<void> {
    await this.page.reload();
    await this.workbenchShown();
  }

  private async workbenchShown(): Promise<void> {
    await WorkbenchSelectors.workbench(this.page).waitFor({ state: 'visible', timeout: 60_000 });
    await WorkbenchSelectors.statusBar(this.page).waitFor({ state: 'visible', timeout: 60_000 });
  }

  /** The running daemon's discovery info from the runtime dir, if its pid is alive. */
  daemonInfo(): { pid: number; port: number } | undefined {
    try {
      const d = JSON.parse(fs.readFileSync(path.join(this.dirs.runtime, 'daemon.json'), 'utf8')) as {
        pid: number;
        port: number;
      };
      if (!pidAlive(d.pid)) return undefined;
      this.seenDaemonPids.add(d.pid);
      return d;
    } catch {
      return undefined;
    }
  }

  async waitForDaemon(timeoutMs = 30_000, notPid?: number): Promise<{ pid: number; port: number }> {
    return waitFor(
      'the daemon (runtime dir daemon.json)',
      () => {
        const d = this.daemonInfo();
        return d && d.pid !== notPid ? d : undefined;
      },
      timeoutMs,
    );
  }

  /** Every process started below this run: code-server, its extension host, the daemon, the model host (Linux). */
  ourProcesses(): { pid: number; cmd: string }[] {
    return processesWithEnv('GEARBOX_E2E_MARKER', this.marker);
  }

  /** All lines of the extension's log files (the Gearbox LogOutputChannel, every window so far). */
  extensionLogLines(): string[] {
    return gearboxLogFiles(this.dirs.userData).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
  }

  daemonLog(): string {
    try {
      return fs.readFileSync(path.join(this.dirs.runtime, 'daemon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The daemon's last completion log lines (model, latency, characters), to explain a missing ghost text. */
  completionLogTail(n = 8): string {
    return this.daemonLog()
      .split('\n')
      .filter((l) => /"msg":"(completion|inline completion|model|request)/.test(l) || /"level":"(warn|error)"/.test(l))
      .slice(-n)
      .join('\n');
  }

  // ---------- artifacts ----------

  /** Screenshot of the whole window to test/system/e2e/artifacts/<name>/NN-<label>.png. */
  async screenshot(label: string): Promise<string> {
    const file = path.join(
      this.dirs.artifacts,
      `${String(++this.step).padStart(2, '0')}-${label.replace(/[^a-z0-9-]+/gi, '-')}.png`,
    );
    await this.page?.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  private copyLogs(): void {
    try {
      fs.writeFileSync(path.join(this.dirs.artifacts, 'daemon.log'), this.daemonLog());
      const logs = path.join(this.dirs.userData, 'logs');
      if (fs.existsSync(logs)) fs.cpSync(logs, path.join(this.dirs.artifacts, 'vscode-logs'), { recursive: true });
      fs.writeFileSync(
        path.join(this.dirs.artifacts, 'timings.json'),
        JSON.stringify({ timings: this.timings, notes: this.notes }, null, 2),
      );
    } catch {
      /* best effort */
    }
  }

  /** Ends Chromium, code-server and the daemon (and anything else started below us), closes the fake. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const t = Date.now();
    await this.browser?.close().catch(() => undefined);
    this.daemonInfo();
    const daemonPids = [...this.seenDaemonPids];
    try {
      const lock = Number(fs.readFileSync(path.join(this.dirs.runtime, 'daemon.lock'), 'utf8').trim());
      if (lock > 0) daemonPids.push(lock);
    } catch {
      /* no lock */
    }
    // code-server and its extension host: one process group (spawned detached).
    const csPid = this.proc?.pid;
    const groups = [...(csPid ? [csPid] : []), ...daemonPids];
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGTERM');
      } catch {
        try {
          process.kill(g, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    const leftovers = () => [
      ...new Set([...groups.filter(pidAlive), ...pidsWithEnv('GEARBOX_E2E_MARKER', this.marker)]),
    ];
    await waitFor('our processes to exit', () => (leftovers().length === 0 ? true : undefined), 5_000).catch(
      () => undefined,
    );
    for (const pid of leftovers()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await this.fake.close().catch(() => undefined);
    this.mark('close', t);
    this.copyLogs();
    if (process.env.GEARBOX_E2E_KEEP !== '1') fs.rmSync(this.dirs.root, { recursive: true, force: true });
    else process.stderr.write(`e2e: kept ${this.dirs.root}\n`);
  }
}

/** Every Gearbox.log (the extension's LogOutputChannel) under a code-server user-data dir's logs, oldest first. */
export function gearboxLogFiles(userData: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Gearbox.log' && p.includes(`${path.sep}gearbox.gearbox${path.sep}`)) out.push(p);
    }
  };
  const logs = path.join(userData, 'logs');
  if (fs.existsSync(logs)) walk(logs);
  return out.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
}

/** Mocha helper: one code-server per describe block; screenshots on failure; always closed. */
export function useCodeServer(opts: LaunchOptions | (() => LaunchOptions)): { get: () => CodeServerE2E } {
  let e2e: CodeServerE2E | undefined;
  before(async function () {
    this.timeout(240_000);
    e2e = await CodeServerE2E.launch(typeof opts === 'function' ? opts() : opts);
    await e2e.openWorkbench();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && e2e?.page) await e2e.screenshot(`FAILED-${this.currentTest.title}`);
  });
  after(async function () {
    this.timeout(60_000);
    if (!e2e) return;
    await e2e.close();
    const t = Object.entries(e2e.timings)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ');
    process.stdout.write(`      [timings ${e2e.opts.name}] ${t}\n`);
  });
  return {
    get: () => {
      if (!e2e) throw new Error('code-server did not start (see the before hook)');
      return e2e;
    },
  };
}
