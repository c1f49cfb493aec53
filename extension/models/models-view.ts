// The Models view (`gearbox.models`, Gearbox sidebar): local models with their state and actions,
// providers with their key state. The content is extension/core/models-tree.ts; this file maps it
// to TreeItems, keeps it fresh (gearbox/models/changed, catalogChanged and progress notifications,
// reconnects) and runs the actions of its menus.
import * as vscode from 'vscode';
import type { LocalModelEntry, ModelInfo, ModelsListResult, TaskKind } from '../../shared/protocol';
import type { GearboxClient } from '../client-api';
import { buildModelsTree, canDeleteFile, type ModelsTreeNode } from '../core/models-tree';
import { errorMessage } from '../core/refactor-logic';
import { hasUsableLocalModel } from '../core/walkthrough-logic';
import type { DownloadWatcher } from './downloads';

const VIEW_ID = 'gearbox.models';

class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsTreeNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  list: ModelsListResult | undefined;
  private catalog: ModelInfo[] = [];
  private providersWithKeys: string[] = [];
  private error: string | undefined;

  constructor(private readonly downloads: DownloadWatcher) {}

  setList(list: ModelsListResult): void {
    this.list = list;
    this.error = undefined;
    void vscode.commands.executeCommand('setContext', 'gearbox.hasLocalModel', hasUsableLocalModel(list.models));
    this.changed.fire();
  }

  setModels(models: LocalModelEntry[], defaults: ModelsListResult['defaults']): void {
    if (this.list) this.setList({ ...this.list, models, defaults });
  }

  setProviders(catalog: ModelInfo[], providersWithKeys: string[]): void {
    this.catalog = catalog;
    this.providersWithKeys = providersWithKeys;
    this.changed.fire();
  }

  setError(message: string): void {
    this.error = message;
    this.changed.fire();
  }

  redraw(): void {
    this.changed.fire();
  }

  getChildren(node?: ModelsTreeNode): ModelsTreeNode[] {
    if (node) return node.kind === 'section' ? node.children : [];
    if (!this.list) {
      return [
        {
          kind: 'action',
          id: 'action:status',
          label: this.error ? `Cannot list models: ${this.error}` : 'Connecting to the daemon…',
          icon: this.error ? 'error' : 'sync~spin',
          command: 'gearbox.models.refresh',
        },
      ];
    }
    return buildModelsTree({
      models: this.list.models,
      defaults: this.list.defaults,
      modelsDir: this.list.modelsDir,
      configProblem: this.list.configProblem,
      progress: this.downloads.progress,
      catalog: this.catalog,
      providersWithKeys: this.providersWithKeys,
    });
  }

  getTreeItem(node: ModelsTreeNode): vscode.TreeItem {
    if (node.kind === 'section') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = node.id;
      item.contextValue = node.id === 'section:local' ? 'gearboxLocalSection' : 'gearboxProviderSection';
      return item;
    }
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    if (node.kind === 'model') {
      item.description = node.description;
      item.tooltip = new vscode.MarkdownString(node.tooltip);
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.contextValue = node.contextValue;
    } else if (node.kind === 'provider') {
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.contextValue.includes('hasKey') ? 'key' : 'cloud');
      item.contextValue = node.contextValue;
    } else {
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.tooltip = node.tooltip;
      item.command = { command: node.command, title: node.label };
    }
    return item;
  }
}

/** The model a menu command was run on (a tree node), or undefined from elsewhere. */
function modelOf(arg: unknown): LocalModelEntry | undefined {
  const n = arg as ModelsTreeNode | undefined;
  return n?.kind === 'model' ? n.entry : undefined;
}

function providerOf(arg: unknown): string | undefined {
  const n = arg as ModelsTreeNode | undefined;
  return n?.kind === 'provider' ? n.provider : undefined;
}

export function registerModelsView(
  context: vscode.ExtensionContext,
  client: GearboxClient,
  downloads: DownloadWatcher,
): void {
  const tree = new ModelsTreeProvider(downloads);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: false });
  let refreshing: Promise<void> | undefined;

  const refresh = (): Promise<void> =>
    (refreshing ??= (async () => {
      try {
        const [list, catalog, status] = await Promise.all([
          client.request('gearbox/models/list', {}),
          client.request('gearbox/models', {}),
          client.request('gearbox/status', {}),
        ]);
        downloads.onModels(list.models);
        tree.setList(list);
        tree.setProviders(catalog.models, status.providersWithKeys);
      } catch (err) {
        client.log.warn(`Models view: ${errorMessage(err)}`);
        tree.setError(errorMessage(err));
      } finally {
        refreshing = undefined;
      }
    })());

  /** Runs one action on a model; failures are shown, and the view is refreshed either way. */
  const act =
    (what: string, run: (m: LocalModelEntry) => PromiseLike<unknown>) =>
    async (arg: unknown): Promise<void> => {
      const m = modelOf(arg);
      if (!m) {
        void vscode.window.showInformationMessage(`Gearbox: ${what} works on a model in the Models view.`);
        return;
      }
      try {
        await run(m);
      } catch (err) {
        void vscode.window.showErrorMessage(`Gearbox: ${what} ${m.id} failed: ${errorMessage(err)}`);
      }
      await refresh();
    };

  const useFor = (task: TaskKind) =>
    act(`Use for ${task}`, async (m) => {
      await client.request('gearbox/models/setDefaults', { defaults: { [task]: m.id } });
      const pinned = vscode.workspace.getConfiguration('gearbox').get<string>(`models.${task}`) || 'auto';
      void vscode.window.showInformationMessage(
        `Gearbox: ${m.displayName} now serves ${task} wherever a workspace leaves it on Auto` +
          (pinned === 'auto' ? '.' : ` (this workspace pins ${pinned}: Select Model… changes that).`),
      );
    });

  context.subscriptions.push(
    view,
    client.onNotification('gearbox/models/changed', (p) => {
      tree.setModels(p.models, p.defaults);
    }),
    client.onNotification('gearbox/models/progress', () => tree.redraw()),
    client.onNotification('gearbox/config/problem', () => void refresh()),
    // Keys set here or in another window, endpoints, config edits: the providers' key state follows.
    client.onNotification('gearbox/catalogChanged', () => void refresh()),
    client.onDidChangeState((s) => s === 'running' && void refresh()),
    view.onDidChangeVisibility((e) => e.visible && void refresh()),
    vscode.commands.registerCommand('gearbox.models.refresh', () => refresh()),
    vscode.commands.registerCommand(
      'gearbox.models.download',
      act('Download', async (m) => void downloads.resume(m)),
    ),
    vscode.commands.registerCommand(
      'gearbox.models.cancelDownload',
      act('Cancel', (m) => client.request('gearbox/models/cancelDownload', { id: m.id })),
    ),
    vscode.commands.registerCommand(
      'gearbox.models.load',
      act('Load', (m) =>
        vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Gearbox: loading ${m.displayName}…` },
          () => client.request('gearbox/models/load', { id: m.id }),
        ),
      ),
    ),
    vscode.commands.registerCommand(
      'gearbox.models.unload',
      act('Unload', (m) => client.request('gearbox/models/unload', { id: m.id })),
    ),
    vscode.commands.registerCommand(
      'gearbox.models.remove',
      act('Remove', async (m) => {
        const deletable = tree.list !== undefined && canDeleteFile(m, tree.list.modelsDir);
        const choices = deletable ? ['Remove', 'Remove and Delete File'] : ['Remove'];
        const pick = await vscode.window.showWarningMessage(
          `Remove ${m.displayName} (${m.id}) from Gearbox?`,
          {
            modal: true,
            detail: deletable
              ? `Its file is in the models folder: ${m.path}. Keep it to add the model again without a download.`
              : 'The file on disk stays where it is.',
          },
          ...choices,
        );
        if (!pick) return;
        const r = await client.request('gearbox/models/remove', { id: m.id, deleteFile: pick !== 'Remove' });
        const freed = r.deletedFiles.length ? ` and deleted ${r.deletedFiles.length} file(s)` : '';
        void vscode.window.showInformationMessage(`Gearbox: removed ${m.id}${freed}.`);
      }),
    ),
    vscode.commands.registerCommand('gearbox.models.useForCompletion', useFor('completion')),
    vscode.commands.registerCommand('gearbox.models.useForChat', useFor('chat')),
    vscode.commands.registerCommand('gearbox.models.useForRefactor', useFor('refactor')),
    vscode.commands.registerCommand(
      'gearbox.models.revealFile',
      act('Reveal File', async (m) => {
        if (!m.path) return;
        // The OS file manager is on the user's machine only when the extension host is too.
        if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) {
          await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(m.path));
          return;
        }
        await vscode.env.clipboard.writeText(m.path);
        void vscode.window.showInformationMessage(`Gearbox: ${m.path} (path copied to the clipboard)`);
      }),
    ),
    vscode.commands.registerCommand('gearbox.models.setKey', async (arg: unknown) => {
      await vscode.commands.executeCommand('gearbox.setApiKey', providerOf(arg));
      await refresh();
    }),
    vscode.commands.registerCommand('gearbox.models.removeKey', async (arg: unknown) => {
      await vscode.commands.executeCommand('gearbox.removeApiKeys', providerOf(arg));
      await refresh();
    }),
  );
  if (client.state === 'running') void refresh();
}
