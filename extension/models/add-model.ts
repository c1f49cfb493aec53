// "Gearbox: Add Local Model…": a Quick Pick of the presets the daemon recommends for this machine
// (the reason on each row), an hf: URI or a GGUF file on disk; the daemon adds it to its config and
// downloads it, and the download is followed with a progress notification. The rows and messages
// are extension/core/add-model-items.ts.
import * as vscode from 'vscode';
import { ErrorCodes, ModelFileNotAllowedData, type ModelSourceParam, type ResultOf } from '../../shared/protocol';
import type { GearboxClient } from '../client-api';
import {
  buildAddModelItems,
  initialItemIndex,
  machineSummary,
  notAllowedMessage,
  validateHfUri,
  type AddModelItem,
} from '../core/add-model-items';
import { errorCode, errorMessage } from '../core/refactor-logic';
import type { DownloadWatcher } from './downloads';

type PickItem = vscode.QuickPickItem & { item?: AddModelItem };

const TITLE = 'Gearbox: Add Local Model';

/** `{ presetId }` adds that preset without asking (a "no model can serve" fix names one). */
function presetArg(arg: unknown): string | undefined {
  const id = (arg as { presetId?: unknown } | undefined)?.presetId;
  return typeof id === 'string' && id ? id : undefined;
}

/** The Quick Pick, filled once the daemon answered (it may ask the model host about the GPU). */
async function pickSource(client: GearboxClient): Promise<ModelSourceParam | undefined> {
  const qp = vscode.window.createQuickPick<PickItem>();
  qp.title = TITLE;
  qp.placeholder = 'Checking what fits this machine…';
  qp.busy = true;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.ignoreFocusOut = true;
  qp.show();
  try {
    const [rec, list] = await Promise.all([
      client.request('gearbox/models/recommend', {}),
      client.request('gearbox/models/list', {}),
    ]);
    const items = buildAddModelItems(rec, list.models);
    qp.items = items.map(
      (i): PickItem =>
        i.kind === 'separator'
          ? { label: i.label, kind: vscode.QuickPickItemKind.Separator }
          : { label: i.label, description: i.kind === 'preset' ? i.description : undefined, detail: i.detail, item: i },
    );
    const first = qp.items[initialItemIndex(items)];
    if (first) qp.activeItems = [first];
    qp.placeholder = `${machineSummary(rec.machine)} — pick a model`;
    qp.busy = false;
  } catch (err) {
    qp.dispose();
    void vscode.window.showErrorMessage(`Gearbox: cannot list the presets: ${errorMessage(err)}`);
    return undefined;
  }
  const picked = await new Promise<AddModelItem | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.item ?? qp.activeItems[0]?.item);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
  });
  if (!picked || picked.kind === 'separator') return undefined;
  if (picked.kind === 'preset') {
    if (picked.warning) {
      const go = await vscode.window.showWarningMessage(
        `${picked.label}: ${picked.warning}. Add it anyway?`,
        { modal: true },
        'Add Anyway',
      );
      if (!go) return undefined;
    }
    return { kind: 'preset', id: picked.presetId };
  }
  if (picked.kind === 'hf') {
    const uri = await vscode.window.showInputBox({
      title: `${TITLE}: Hugging Face`,
      prompt: 'A GGUF on the Hugging Face hub (or the daemon\'s "modelEndpoint" mirror)',
      placeHolder: 'hf:owner/repo/file.gguf or hf:owner/repo:Q8_0',
      ignoreFocusOut: true,
      validateInput: validateHfUri,
    });
    return uri === undefined ? undefined : { kind: 'hf', uri: uri.trim() };
  }
  const files = await vscode.window.showOpenDialog({
    title: `${TITLE}: GGUF file`,
    canSelectFiles: true,
    canSelectMany: false,
    filters: { 'GGUF model': ['gguf'] },
    openLabel: 'Add Model',
  });
  const file = files?.[0];
  return file ? { kind: 'file', path: file.fsPath } : undefined;
}

async function explainNotAllowed(data: ModelFileNotAllowedData): Promise<void> {
  const { message, detail } = notAllowedMessage(data);
  const pick = await vscode.window.showErrorMessage(message, { modal: true, detail }, 'Open Daemon Configuration');
  if (pick) await vscode.commands.executeCommand('gearbox.openDaemonConfig');
}

export function registerAddLocalModel(
  context: vscode.ExtensionContext,
  client: GearboxClient,
  downloads: DownloadWatcher,
): void {
  const addLocalModel = async (arg?: unknown): Promise<void> => {
    const preset = presetArg(arg);
    const source = preset ? ({ kind: 'preset', id: preset } as const) : await pickSource(client);
    if (!source) return;
    let added: ResultOf<'gearbox/models/add'>;
    try {
      added = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Gearbox: adding the model' },
        () => client.request('gearbox/models/add', { source }),
      );
    } catch (err) {
      const data = ModelFileNotAllowedData.safeParse((err as { data?: unknown }).data);
      if (errorCode(err) === ErrorCodes.ModelFileNotAllowed && data.success) return explainNotAllowed(data.data);
      void vscode.window.showErrorMessage(`Gearbox: cannot add the model: ${errorMessage(err)}`);
      return;
    }
    const m = added.model;
    client.log.info(`local model ${added.added ? 'added' : 'already configured'}: ${m.id} (${m.state})`);
    if (m.state === 'downloading') {
      await downloads.follow(m);
      return;
    }
    const serves = m.tasks.filter((t) => t !== 'embedding').join(', ');
    if (m.state === 'on-disk' || m.state === 'loaded')
      void vscode.window.showInformationMessage(
        `Gearbox: ${m.displayName} ${added.added ? 'added' : 'is already there'}; it serves ${serves}.`,
      );
    else if (m.lastError) void vscode.window.showErrorMessage(`Gearbox: ${m.id}: ${m.lastError.message}`);
  };
  context.subscriptions.push(vscode.commands.registerCommand('gearbox.addLocalModel', addLocalModel));
}
