// "Gearbox: Select Model…": pick a task, then Auto (router) or a model from gearbox/models; the
// choice is written to gearbox.models.<task> in the WORKSPACE settings (.vscode/settings.json).
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import type { ModelInfo, TaskKind } from '../shared/protocol';
import { AUTO_MODEL, buildModelItems, buildTaskItems, type ModelItem } from './core/model-items';
import { errorMessage } from './core/refactor-logic';

type ModelQuickPickItem = vscode.QuickPickItem & { item?: Extract<ModelItem, { kind: 'model' }> };

const SET_KEY_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('key'), tooltip: 'Set API key' };

export function registerModelPicker(context: vscode.ExtensionContext, client: GearboxClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('gearbox.selectModel', (arg?: unknown) => selectModel(client, arg)),
  );
}

function currentSetting(task: TaskKind): string {
  return vscode.workspace.getConfiguration('gearbox').get<string>(`models.${task}`) || AUTO_MODEL;
}

function quickPickItems(models: ModelInfo[], task: TaskKind): ModelQuickPickItem[] {
  const cfg = vscode.workspace.getConfiguration('gearbox');
  const items = buildModelItems({
    models,
    task,
    current: currentSetting(task),
    allowedModels: cfg.get<string[]>('allowedModels') ?? [],
  });
  return items.map((i) =>
    i.kind === 'separator'
      ? { label: i.label, kind: vscode.QuickPickItemKind.Separator }
      : {
          label: i.label,
          description: i.description,
          detail: i.detail,
          item: i,
          ...(i.keyProvider ? { buttons: [SET_KEY_BUTTON] } : {}),
        },
  );
}

async function selectModel(client: GearboxClient, arg?: unknown): Promise<void> {
  // Optional argument: a task ('completion' | 'chat' | 'refactor') skips the first step.
  let task: TaskKind | undefined = arg === 'completion' || arg === 'chat' || arg === 'refactor' ? arg : undefined;
  if (!task) {
    const taskItems = buildTaskItems({
      completion: currentSetting('completion'),
      chat: currentSetting('chat'),
      refactor: currentSetting('refactor'),
    });
    const picked = await vscode.window.showQuickPick(
      taskItems.map((t) => ({ label: t.label, description: t.description, task: t.task })),
      { title: 'Gearbox: Select Model — for which task?', placeHolder: 'Completion, Chat or Refactor' },
    );
    if (!picked) return;
    task = picked.task;
  }
  const taskLabel = task.charAt(0).toUpperCase() + task.slice(1);

  let models: ModelInfo[];
  try {
    models = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Gearbox: loading models' },
      async () => {
        const res = await client.request('gearbox/models', { task });
        return res.models;
      },
    );
  } catch (err) {
    void vscode.window.showErrorMessage(`Gearbox: cannot list models: ${errorMessage(err)}`);
    return;
  }

  const qp = vscode.window.createQuickPick<ModelQuickPickItem>();
  qp.title = `Gearbox: ${taskLabel} model`;
  const defaultPlaceholder = `Model for ${task} in this workspace (saved to .vscode/settings.json)`;
  qp.placeholder = defaultPlaceholder;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const show = (list: ModelInfo[]) => {
    const activeId = qp.activeItems[0]?.item?.value;
    const qpItems = quickPickItems(list, task);
    qp.items = qpItems;
    const active = qpItems.find((i) => (activeId ? i.item?.value === activeId : i.item?.current));
    if (active) qp.activeItems = [active];
  };
  show(models);
  // The catalog changed while the pick is open (a key set in another window, a download done): list it again.
  const catalogChanged = client.onNotification('gearbox/catalogChanged', () => {
    void client.request('gearbox/models', { task }).then(
      (res) => show(res.models),
      (err) => client.log.warn(`model picker: gearbox/models failed: ${errorMessage(err)}`),
    );
  });

  const chosen = await new Promise<string | undefined>((resolve) => {
    let done = false;
    const finish = (v: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(v);
      qp.hide();
    };
    qp.onDidTriggerItemButton((e) => {
      const provider = e.item.item?.keyProvider;
      if (!provider) return;
      finish(undefined);
      void vscode.commands.executeCommand('gearbox.setApiKey', provider);
    });
    qp.onDidAccept(() => {
      const it = qp.selectedItems[0]?.item ?? qp.activeItems[0]?.item;
      if (!it) return;
      if (!it.selectable) {
        // Shown, not selectable: say why and stay open.
        qp.placeholder =
          `${it.value} is unavailable: ${it.unavailableReason ?? 'unavailable'}` +
          (it.keyProvider ? ' — use its key button to set an API key' : '');
        qp.selectedItems = [];
        return;
      }
      finish(it.value);
    });
    qp.onDidChangeActive(() => {
      if (qp.placeholder !== defaultPlaceholder) qp.placeholder = defaultPlaceholder;
    });
    qp.onDidHide(() => {
      finish(undefined);
      catalogChanged.dispose();
      qp.dispose();
    });
    qp.show();
  });
  if (chosen === undefined) return;

  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showWarningMessage(
      'Gearbox: open a folder or workspace first; the model choice is a workspace setting.',
    );
    return;
  }
  try {
    await vscode.workspace
      .getConfiguration('gearbox')
      .update(`models.${task}`, chosen, vscode.ConfigurationTarget.Workspace);
  } catch (err) {
    void vscode.window.showErrorMessage(`Gearbox: cannot save the setting: ${errorMessage(err)}`);
    return;
  }
  client.log.info(`gearbox.models.${task} = ${chosen} (workspace)`);
  void vscode.window.showInformationMessage(
    chosen === AUTO_MODEL
      ? `Gearbox: ${taskLabel} uses Auto (router) in this workspace.`
      : `Gearbox: ${taskLabel} uses ${chosen} in this workspace.`,
  );
}
