// End-to-end harness: a real VS Code (code-server) with the Gearbox extension installed, driven by
// Playwright through Debian's Chromium. Each launch gets a fresh temp root holding the user-data
// dir, the extensions dir, a workspace folder, the daemon's runtime dir and config (the generated
// tiny GGUF model `local/tiny` plus a fake OpenAI-compatible provider `fake`), so nothing touches
// the user's real daemon, settings or keys. Every process it starts is ended by `close()`:
// Chromium, code-server (its process group), and the daemon the extension spawned (found by its
// runtime dir's daemon.json, and by a marker in the environment of everything started below us).
//
// Needs: `node scripts/e2e/setup.mjs` (Node 24 + code-server in .cache/e2e/), Chromium
// (/usr/bin/chromium or $GEARBOX_E2E_CHROMIUM), and a built dist/ (`npm run build`).
// Env: GEARBOX_E2E_KEEP=1 keeps the temp root; GEARBOX_E2E_HEADED=1 shows the browser (needs a display);
// GEARBOX_E2E_VSIX=path installs that .vsix instead of linking the repo.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { setup } from '../../../scripts/e2e/setup.mjs';
import { startFakeOpenAI } from '../../fakes/fake-openai';
import type { FakeServer, FakeServerOptions } from '../../fakes/fake-server';
import { makeTestModel } from '../../fixtures/make-test-model';
import { pidAlive } from '../../../shared/discovery';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const artifactsRoot = path.join(repoRoot, 'test', 'system', 'e2e', 'artifacts');
export const EXTENSION_ID = 'gearbox.gearbox';
const EXTENSION_FOLDER = 'gearbox.gearbox-0.1.0';
const RUNNER_FOLDER = 'gearbox.gearbox-test-runner-0.0.1';
const RUNNER_SOURCE = path.join(repoRoot, 'test', 'extension-host', 'runner');

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

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

export function normalizeText(s: string): string {
  return s.replace(/\u00a0/g, ' ').replace(/\u200b|\u200c|\u200d|\ufeff/g, '');
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
        `e2e prerequisites missing: ${missing.join(', ')}. Run: node scripts/e2e/setup.mjs (and scripts/e2e/apt-deps.sh as root)`,
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
      if (opts.testRunner) fs.symlinkSync(RUNNER_SOURCE, path.join(dirs.extensions, RUNNER_FOLDER), 'dir');
      e2e.mark('install-extension', ti);
      await e2e.startCodeServer(paths.node, paths.codeServer);
    } catch (err) {
      await e2e.close();
      throw err;
    }
    return e2e;
  }

  private mark(name: string, since: number): void {
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
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await this.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    // The explorer shows the folder once the remote file system answered.
    await this.page
      .locator('.explorer-folders-view .monaco-list-row')
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });
    this.mark('workbench-open', t);
    return this.page;
  }

  /** Reloads the page (a new window session; the extension host restarts) and waits for the workbench. */
  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await this.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  }

  // ---------- Gearbox state ----------

  /** The Gearbox status bar item. */
  statusBarItem(): Locator {
    return this.page.locator('.part.statusbar .statusbar-item').filter({ hasText: /Gearbox/ });
  }

  async statusBarText(): Promise<string> {
    return normalizeText((await this.statusBarItem().first().innerText()).trim());
  }

  /** Waits until the status bar item's text matches (default: running, "Gearbox: <model>"). */
  async waitForStatus(re: RegExp = /Gearbox: (?!daemon down)/, timeoutMs = 60_000): Promise<string> {
    const t = Date.now();
    const item = this.statusBarItem().filter({ hasText: re });
    await item.first().waitFor({ state: 'visible', timeout: timeoutMs });
    this.mark('wait-status', t);
    return this.statusBarText();
  }

  /**
   * Starts recording every text the Gearbox status bar item shows (a MutationObserver in the page),
   * so that a short phase ("daemon down" for half a second) is not missed between polls.
   */
  async recordStatusBar(): Promise<void> {
    // A string, not a function: tsx's __name helper does not exist in the page.
    await this.page.evaluate(`(() => {
      window.__gbStatus = [];
      const bar = document.querySelector('.part.statusbar');
      const record = () => {
        for (const el of bar.querySelectorAll('.statusbar-item')) {
          const t = (el.textContent || '').trim();
          if (/Gearbox/.test(t) && window.__gbStatus[window.__gbStatus.length - 1] !== t) window.__gbStatus.push(t);
        }
      };
      record();
      new MutationObserver(record).observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
  }

  async statusBarHistory(): Promise<string[]> {
    return (await this.page.evaluate('window.__gbStatus || []')) as string[];
  }

  async waitForStatusSeen(re: RegExp, timeoutMs = 30_000): Promise<string[]> {
    return waitFor(
      `the status bar to show ${re}`,
      async () => {
        const seen = await this.statusBarHistory();
        return seen.some((s) => re.test(s)) ? seen : undefined;
      },
      timeoutMs,
      50,
    );
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

  daemonLog(): string {
    try {
      return fs.readFileSync(path.join(this.dirs.runtime, 'daemon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  // ---------- workbench helpers ----------

  private quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private async openQuickInput(key: string): Promise<Locator> {
    const input = this.quickInput().locator('input.input, .quick-input-box input').first();
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.keyboard.press(key);
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        return input;
      } catch {
        await this.page.keyboard.press('Escape');
      }
    }
    throw new Error(`the quick input did not open with ${key}`);
  }

  /** Quick-input rows (command palette, Quick Pick), optionally filtered by text. */
  quickPickRows(text?: string | RegExp): Locator {
    const rows = this.quickInput().locator('.quick-input-list .monaco-list-row');
    return text === undefined ? rows : rows.filter({ hasText: text });
  }

  /** Runs a command by its palette title ("Gearbox: Show Status"), clicking the matching row. */
  async runCommand(title: string): Promise<void> {
    const input = await this.openQuickInput('F1');
    await input.fill(`>${title}`);
    const row = this.quickPickRows(title.replace(/…$/, '')).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
  }

  /** Opens a workspace file through Quick Open and waits until its editor has focus. */
  async openFile(rel: string): Promise<void> {
    const base = path.basename(rel);
    const input = await this.openQuickInput('Control+P');
    await input.fill(rel);
    const row = this.quickPickRows(base).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tabs-container .tab.active`).filter({ hasText: base }).waitFor({ timeout: 15_000 });
    await this.editor().locator('.view-lines').waitFor({ state: 'visible' });
    await this.page.locator('.editor-instance .monaco-editor.focused').waitFor({ timeout: 10_000 });
  }

  /** The active text editor. */
  editor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  async focusEditor(): Promise<void> {
    if (await this.page.locator('.editor-group-container.active .monaco-editor.focused').count()) return;
    await this.editor()
      .locator('.view-lines')
      .click({ position: { x: 5, y: 5 } });
  }

  /** Moves the cursor to the end of the document. */
  async gotoEnd(): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+End');
  }

  /** Moves to a 1-based line and column with Go to Line (Ctrl+G "line:col"). */
  async gotoLine(line: number, col = 1): Promise<void> {
    const input = await this.openQuickInput('Control+G');
    await input.fill(`:${line}:${col}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.editor-group-container.active .monaco-editor.focused').waitFor({ timeout: 5_000 });
  }

  async type(text: string, delayMs = 20): Promise<void> {
    await this.page.keyboard.type(text, { delay: delayMs });
  }

  /** Ghost text (inline completion) currently shown in the active editor, or "" when none. */
  async ghostText(): Promise<string> {
    const parts = await this.editor()
      .locator('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text')
      .allTextContents();
    return normalizeText(parts.join(''));
  }

  /**
   * Waits for ghost text after typing. If none shows within `retriggerAfterMs`, asks once
   * explicitly (Alt+\\, "Trigger Inline Suggestion") and says so on stderr: a lost automatic
   * trigger is worth knowing about, but is not what these flows test.
   */
  /** The keys waitForGhostText typed beyond the caller's text (see moreKeys). */
  extraKeysTyped = '';

  async waitForGhostText(timeoutMs = 30_000, retriggerAfterMs = 15_000, moreKeys = ''): Promise<string> {
    this.extraKeysTyped = '';
    const shown = this.editor().locator('.ghost-text-decoration, .ghost-text').first();
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    try {
      await shown.waitFor({ state: 'visible', timeout: Math.min(retriggerAfterMs, timeoutMs) });
    } catch {
      process.stderr.write(
        `      [${this.opts.name}] no ghost text ${retriggerAfterMs} ms after typing; triggering inline suggestions explicitly\n`,
      );
      this.notes.push(`ghost text needed an explicit trigger (none ${retriggerAfterMs} ms after typing)`);
      await this.screenshot('no-ghost-text-yet');
      await this.page.keyboard.press('Alt+Backslash');
      // A random-weight test model may have nothing to say at this exact spot (an empty line, on
      // some CPUs' arithmetic): keep typing, as a user would, one key at a time.
      const keys = [...moreKeys];
      for (;;) {
        const wait = keys.length ? Math.min(retriggerAfterMs, left()) : left();
        try {
          await shown.waitFor({ state: 'visible', timeout: wait });
          break;
        } catch (err) {
          const key = keys.shift();
          if (key === undefined || Date.now() >= deadline)
            throw new Error(
              `${(err as Error).message}\nrecent completions in the daemon log:\n${this.completionLogTail()}`,
            );
          this.notes.push(`no ghost text yet: typed ${JSON.stringify(key)} more`);
          await this.page.keyboard.type(key, { delay: 30 });
          this.extraKeysTyped += key;
        }
      }
    }
    return waitFor('non-empty ghost text', async () => (await this.ghostText()).trim() || undefined, left());
  }

  /** The daemon's last completion log lines (model, latency, characters), to explain a missing ghost text. */
  completionLogTail(n = 8): string {
    return this.daemonLog()
      .split('\n')
      .filter((l) => /"msg":"(completion|inline completion|model|request)/.test(l) || /"level":"(warn|error)"/.test(l))
      .slice(-n)
      .join('\n');
  }

  /** The visible text of the active editor (rendered lines, top to bottom). Long files: use saveAndRead. */
  async visibleEditorText(): Promise<string> {
    const lines = await this.editor()
      .locator('.view-lines .view-line')
      .evaluateAll((els) =>
        els
          .map((el) => ({ top: parseFloat((el as HTMLElement).style.top || '0'), text: el.textContent ?? '' }))
          .sort((a, b) => a.top - b.top)
          .map((l) => l.text),
      );
    return normalizeText(lines.join('\n'));
  }

  /** Saves the active editor (Ctrl+S) and returns the file's content from disk once it changed. */
  async saveAndRead(rel: string, previous?: string): Promise<string> {
    const before = previous ?? this.readWorkspaceFile(rel);
    await this.page.keyboard.press('Control+S');
    // A dirty editor's tab has class "dirty"; wait for it to go (or for the file to change).
    await waitFor(
      `${rel} to be saved`,
      async () => {
        const dirty = await this.page.locator('.tabs-container .tab.active.dirty').count();
        const now = this.readWorkspaceFile(rel);
        return dirty === 0 && now !== before ? now : undefined;
      },
      10_000,
    ).catch(() => undefined);
    return this.readWorkspaceFile(rel);
  }

  /** Selects lines [from, to] (1-based, inclusive) of the active editor with the keyboard. */
  async selectLines(from: number, to: number): Promise<void> {
    await this.gotoLine(from, 1);
    for (let i = from; i <= to; i++) await this.page.keyboard.press('Shift+ArrowDown');
  }

  /** A notification toast whose message matches. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });
  }

  /** The "Gearbox" view container's entry in the activity bar. */
  activityBarItem(): Locator {
    return this.page
      .locator(
        '.part.activitybar .action-item[aria-label^="Gearbox"], .part.activitybar .action-item:has(> .action-label[aria-label^="Gearbox"])',
      )
      .first();
  }

  /**
   * Shows the Gearbox chat and returns the webview's content frame once its composer is visible.
   * Clicks the activity bar entry when the container is not showing (clicking it while it shows
   * would hide the sidebar), else runs gearbox.chat.focus from the palette.
   */
  async openChat(): Promise<FrameLocator> {
    const t = Date.now();
    const frame = this.chatFrame();
    const input = frame.locator('textarea[aria-label="Message"]');
    const item = this.activityBarItem();
    const present = (await item.count()) > 0;
    const checked = present && /\bchecked\b/.test((await item.getAttribute('class')) ?? '');
    // The container is showing (e.g. restored after a reload): its webview may still be loading.
    if (
      !checked ||
      !(await input.waitFor({ state: 'visible', timeout: 10_000 }).then(
        () => true,
        () => false,
      ))
    ) {
      if (present && !checked) await item.click();
      // VS Code names the view's generated focus command "Focus on Chat View" (id gearbox.chat.focus).
      else await this.runCommand('Gearbox: Focus on Chat View');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
    }
    this.mark('open-chat', t);
    return frame;
  }

  /** The chat webview's document: VS Code nests it as iframe.webview > iframe#active-frame. */
  chatFrame(): FrameLocator {
    return this.page
      .frameLocator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"], .part.sidebar iframe.webview`)
      .first()
      .frameLocator('iframe#active-frame');
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
