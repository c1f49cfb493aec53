// Gearbox's VS Code entry: a thin adapter over the daemon connection. Activation only wires
// things up; the daemon connection starts in the background and models load on first use.
//
// Activation stays light: this bundle (dist/extension/extension.cjs) holds only the status bar and
// the command stubs. Everything else — the daemon connection with vscode-languageclient, ws and the
// zod protocol schemas, inline completion, chat, refactors — is dist/extension/features.cjs
// (extension/features.ts), required right after activate() returns, or earlier by the first
// Gearbox command or API use. It then replaces the stubs with the real commands.
// First import: starts the activation clock before any other module of the bundle runs.
import { bundleLoadStartedAt, msSince } from './activation-clock';
import * as vscode from 'vscode';
import type { DaemonConnection } from './daemon-connection';
import type { Features } from './features';
import { registerLanguageModelProvider } from './lm/lm-provider';
import { StatusBar } from './status-bar';

let features: Features | undefined;

export function activate(context: vscode.ExtensionContext) {
  const activateStartedAt = performance.now();
  const log = vscode.window.createOutputChannel('Gearbox', { log: true });
  const statusBar = new StatusBar();
  // The connection starts on the next tick: say "starting", not "daemon down", until it does.
  statusBar.setState('starting');
  context.subscriptions.push(log, statusBar);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('gearbox') && statusBar.refresh()),
  );

  // Commands that need nothing else.
  const own = new Map<string, (...args: never[]) => unknown>([
    ['gearbox.showLogs', () => log.show()],
    [
      'gearbox.toggleInlineCompletion',
      async () => {
        const cfg = vscode.workspace.getConfiguration('gearbox.inlineCompletion');
        await cfg.update('enabled', !cfg.get<boolean>('enabled', true), vscode.ConfigurationTarget.Global);
      },
    ],
  ]);
  for (const [id, run] of own) context.subscriptions.push(vscode.commands.registerCommand(id, run));

  // Every other contributed command is registered now (so that it exists once activate() returns)
  // as a stub that loads the features, which register the real one, and runs that.
  const stubs: vscode.Disposable[] = [];
  const load = (): Features => {
    if (features) return features;
    for (const s of stubs.splice(0)) s.dispose();
    const started = performance.now();
    // Not bundled into this file: a sibling bundle, loaded on first use (see the header).
    const mod = require('./features.cjs') as typeof import('./features');
    features = mod.activateFeatures({ context, log, statusBar });
    log.info(`features loaded in ${msSince(started)} ms`);
    return features;
  };
  const contributed =
    (context.extension?.packageJSON as { contributes?: { commands?: { command: string }[] } } | undefined)?.contributes
      ?.commands ?? [];
  for (const { command: id } of contributed) {
    if (own.has(id)) continue;
    stubs.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => {
        load();
        return vscode.commands.executeCommand(id, ...args);
      }),
    );
  }
  context.subscriptions.push({ dispose: () => stubs.splice(0).forEach((s) => s.dispose()) });

  // VS Code's chat model picker and vscode.lm (1.104+, feature-detected): registered now so the host
  // knows the vendor; the daemon connection loads with the first request.
  registerLanguageModelProvider(context, () => load().connection, log);

  // The connection starts right after activate() returns and is not awaited. Failures show in the
  // status bar and the log. Anything that needs the connection earlier loads it itself.
  const startTimer = setTimeout(() => {
    try {
      void load()
        .connection.start()
        .catch(() => undefined);
    } catch (err) {
      log.error(`could not load the Gearbox features: ${(err as Error).stack ?? err}`);
      statusBar.setState('startFailed', (err as Error).message);
    }
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(startTimer) });

  log.info(
    `activated in ${msSince(bundleLoadStartedAt)} ms ` +
      `(load ${msSince(bundleLoadStartedAt, activateStartedAt)} ms, activate ${msSince(activateStartedAt)} ms)`,
  );
  return {
    get connection(): DaemonConnection {
      return load().connection;
    },
  };
}

export async function deactivate(): Promise<void> {
  await features?.connection.dispose();
  features = undefined;
}
