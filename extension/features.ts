// Everything the extension does beyond its status bar: the daemon connection (vscode-languageclient,
// ws, the zod protocol schemas), inline completion, chat, inline edits and refactors, keys, the model picker, the
// Models view and Add Local Model, the walkthrough, the budget in the status bar and the usage view.
// Bundled on its own (dist/extension/features.cjs) and required by extension.ts right after
// activate() returns, or earlier by the first Gearbox command or API use: activation itself stays
// light. Registers its commands and views directly with VS Code.
import * as vscode from 'vscode';
import { registerBudgetStatus } from './budget';
import { registerChatView } from './chat/chat-view';
import { registerContextPicks } from './completion-context-picks';
import { DaemonConnection } from './daemon-connection';
import { NoticeGate } from './core/no-model-notice';
import { sendFeedback } from './feedback';
import { InlineEdits } from './edit/inline-edit';
import { registerDaemonConfigCommand } from './daemon-config';
import { inlineCompletionMiddleware } from './inline-completion';
import { registerKeyCommands } from './keys';
import { registerModelPicker } from './model-picker';
import { registerAddLocalModel } from './models/add-model';
import { DownloadWatcher } from './models/downloads';
import { registerModelsView } from './models/models-view';
import { registerRefactorCommands } from './refactor';
import type { StatusBar } from './status-bar';
import { registerRoutingReset } from './usage/routing-reset';
import { registerUsageView } from './usage/usage-view';
import { openWalkthroughOnce, registerWalkthroughCommands } from './walkthrough';

export interface Features {
  readonly connection: DaemonConnection;
}

export interface FeatureHost {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  statusBar: StatusBar;
}

/** Wires every feature up and returns the (not yet started) daemon connection. */
export function activateFeatures({ context, log, statusBar }: FeatureHost): Features {
  let syncKeys: (() => Promise<void>) | undefined;
  // One "no model" notification per window, however many completions fail (the first run has the walkthrough).
  const noModelGate = new NoticeGate();
  const conn = new DaemonConnection({
    extensionPath: context.extensionPath,
    log,
    middleware: inlineCompletionMiddleware({
      log,
      noModelGate,
      onLatency: (ms) => statusBar.setLatency(ms),
      ignored: (requestId) => void sendFeedback(conn, requestId, 'completion-ignored'),
    }),
    onConnected: async () => {
      await syncKeys?.();
      await openWalkthroughOnce(context, conn);
    },
  });
  context.subscriptions.push({ dispose: () => void conn.dispose() });
  context.subscriptions.push(conn.onDidChangeState((s) => statusBar.setState(s, conn.lastError)));

  syncKeys = registerKeyCommands(context, conn).syncKeys;
  const inlineEdits = new InlineEdits(conn);
  context.subscriptions.push(inlineEdits, registerContextPicks(conn));
  registerRefactorCommands(context, conn, inlineEdits);
  registerModelPicker(context, conn);
  context.subscriptions.push(registerChatView(context, conn, inlineEdits));
  const reset = registerRoutingReset(conn);
  context.subscriptions.push(reset.disposable, registerUsageView(context, conn, reset.onDidReset));
  const downloads = new DownloadWatcher(conn, statusBar);
  context.subscriptions.push(downloads);
  registerModelsView(context, conn, downloads);
  registerAddLocalModel(context, conn, downloads);
  registerBudgetStatus(context, conn, statusBar);
  registerWalkthroughCommands(context);
  registerDaemonConfigCommand(context, conn);

  context.subscriptions.push(
    vscode.commands.registerCommand('gearbox.restartDaemon', async () => {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Gearbox: restarting the daemon' },
        () => conn.restartDaemon(),
      );
    }),
    vscode.commands.registerCommand('gearbox.showStatus', () => showStatus(conn)),
  );
  return { connection: conn };
}

async function showStatus(conn: DaemonConnection): Promise<void> {
  const actions = ['Restart Daemon', 'Show Logs'] as const;
  if (conn.state !== 'running') {
    const pick = await vscode.window.showWarningMessage(
      `Gearbox daemon: ${conn.state}${conn.lastError ? ` (${conn.lastError})` : ''}`,
      ...actions,
    );
    return runAction(pick);
  }
  try {
    const st = await conn.request('gearbox/status', {});
    const mb = (n: number | null) => (n === null ? '-' : `${Math.round(n / 1048576)} MB`);
    const lines = [
      `Gearbox daemon ${st.version} — pid ${st.pid}, port ${st.port}, ${st.clients} client(s), ${st.runtime}`,
      `GPU: ${st.gpu}. Memory: daemon ${mb(st.memory.daemonRssBytes)}, model host ${mb(st.memory.modelHostRssBytes)}.`,
      `Loaded models: ${st.loadedModels.map((m) => m.id).join(', ') || 'none'}. ` +
        `API keys: ${st.providersWithKeys.join(', ') || 'none'}.`,
    ];
    const pick = await vscode.window.showInformationMessage(lines.join('\n'), { modal: false }, ...actions);
    return runAction(pick);
  } catch (err) {
    const pick = await vscode.window.showErrorMessage(`Gearbox: status failed: ${(err as Error).message}`, ...actions);
    return runAction(pick);
  }
}

function runAction(pick: string | undefined): void {
  if (pick === 'Restart Daemon') void vscode.commands.executeCommand('gearbox.restartDaemon');
  if (pick === 'Show Logs') void vscode.commands.executeCommand('gearbox.showLogs');
}
