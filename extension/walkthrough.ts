// The "Get started with Gearbox" walkthrough (contributes.walkthroughs in package.json): opened once,
// on the first activation that finds no usable local model and no API key; and the commands of its
// steps that exist for it: Try Completion (a Python sample with ghost text) and Choose Routing.
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import { errorMessage } from './core/refactor-logic';
import {
  routingChoices,
  shouldOpenWalkthrough,
  TRY_COMPLETION_SAMPLE,
  WALKTHROUGH_DECIDED_STATE,
  WALKTHROUGH_ID,
  type RoutingChoice,
} from './core/walkthrough-logic';

/** Opens the walkthrough if this is the first activation and nothing can serve yet (run once connected). */
export async function openWalkthroughOnce(context: vscode.ExtensionContext, client: GearboxClient): Promise<void> {
  if (context.globalState.get<boolean>(WALKTHROUGH_DECIDED_STATE)) return;
  const [list, status] = await Promise.all([
    client.request('gearbox/models/list', {}),
    client.request('gearbox/status', {}),
  ]);
  const open = shouldOpenWalkthrough({
    decidedBefore: context.globalState.get<boolean>(WALKTHROUGH_DECIDED_STATE) ?? false,
    models: list.models,
    providersWithKeys: status.providersWithKeys,
  });
  await context.globalState.update(WALKTHROUGH_DECIDED_STATE, true);
  if (!open) return;
  client.log.info('no local model on disk and no API key: opening the Get Started walkthrough');
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`);
}

async function tryCompletion(): Promise<void> {
  const sample = TRY_COMPLETION_SAMPLE;
  const doc = await vscode.workspace.openTextDocument({ language: sample.language, content: sample.text });
  const editor = await vscode.window.showTextDocument(doc);
  const at = new vscode.Position(sample.cursor.line, sample.cursor.character);
  editor.selection = new vscode.Selection(at, at);
  // Ghost text comes as you type; ask once now so that it shows without a keystroke.
  await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
}

async function chooseRouting(): Promise<void> {
  const cfg = vscode.workspace.getConfiguration('gearbox.routing');
  const choices = routingChoices({ mode: cfg.get('mode', 'auto'), quality: cfg.get('quality', 5) });
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.label, description: c.description, detail: c.detail, choice: c })),
    { title: 'Gearbox: how aggressive is routing?', placeHolder: 'Cheaper ← → better answers (user settings)' },
  );
  if (!picked) return;
  const c: RoutingChoice = picked.choice;
  try {
    await cfg.update('mode', c.mode, vscode.ConfigurationTarget.Global);
    if (c.quality !== undefined) await cfg.update('quality', c.quality, vscode.ConfigurationTarget.Global);
  } catch (err) {
    void vscode.window.showErrorMessage(`Gearbox: cannot save the routing setting: ${errorMessage(err)}`);
    return;
  }
  const overridden = cfg.inspect('quality')?.workspaceValue !== undefined || cfg.inspect('mode')?.workspaceValue;
  void vscode.window.showInformationMessage(
    `Gearbox: routing set to ${c.label.replace(/^\$\(check\) /, '')}` +
      (overridden ? ' in your user settings (this workspace sets its own, which wins here).' : '.'),
  );
}

export function registerWalkthroughCommands(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('gearbox.tryCompletion', tryCompletion),
    vscode.commands.registerCommand('gearbox.chooseRouting', chooseRouting),
  );
}
