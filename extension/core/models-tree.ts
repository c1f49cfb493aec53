// The Models view's content: local models with their state and the actions each allows, and the
// providers with their key state. Plain data (labels, codicon names, context values the menus match
// with `viewItem =~ /\bcanLoad\b/`); extension/models/models-view.ts turns it into TreeItems.
import path from 'node:path';
import type {
  ConfigProblem,
  DownloadProgress,
  LocalModelEntry,
  ModelInfo,
  TaskDefaults,
  TaskKind,
} from '../../shared/protocol';
import { formatBytes, percentDone, progressMessage } from './download-format';
import { providerDisplayName } from './model-items';

export type ModelsTreeNode =
  | { kind: 'section'; id: string; label: string; children: ModelsTreeNode[] }
  | {
      kind: 'model';
      id: string;
      label: string;
      description: string;
      /** Markdown. */
      tooltip: string;
      icon: string;
      contextValue: string;
      entry: LocalModelEntry;
    }
  | { kind: 'provider'; id: string; label: string; description: string; contextValue: string; provider: string }
  | { kind: 'action'; id: string; label: string; icon: string; command: string; tooltip?: string };

export const ROUTED_TASKS: readonly TaskKind[] = ['completion', 'chat', 'refactor'];

const STATE_ICONS: Record<LocalModelEntry['state'], string> = {
  'not-downloaded': 'cloud-download',
  downloading: 'sync~spin',
  'on-disk': 'database',
  loaded: 'zap',
  'file-missing': 'warning',
};

export interface ModelsTreeInput {
  models: readonly LocalModelEntry[];
  defaults: TaskDefaults;
  modelsDir: string;
  configProblem: ConfigProblem | null;
  /** The newest progress per model (notifications come more often than list updates). */
  progress: ReadonlyMap<string, DownloadProgress>;
  /** The closed-model catalog, for the providers section; empty while unknown. */
  catalog: readonly ModelInfo[];
  providersWithKeys: readonly string[];
}

/** The model's state in words, with its size, memory, progress or problem. */
export function modelDescription(m: LocalModelEntry, progress?: DownloadProgress): string {
  const size = m.sizeBytes === null ? '' : formatBytes(m.sizeBytes);
  const parts: string[] = [];
  switch (m.state) {
    case 'not-downloaded':
      parts.push('not downloaded', size);
      if (m.partialBytes > 0 && m.sizeBytes)
        parts.push(`${percentDone({ receivedBytes: m.partialBytes, totalBytes: m.sizeBytes })}% kept, resumable`);
      break;
    case 'downloading': {
      const p = progress ?? m.download;
      parts.push(p ? `downloading ${percentDone(p)}%` : 'downloading', p ? progressMessage(p) : size);
      break;
    }
    case 'on-disk':
      parts.push('on disk', size);
      break;
    case 'loaded':
      parts.push('loaded', m.loadedBytes === null ? size : `${formatBytes(m.loadedBytes)} in memory`);
      break;
    case 'file-missing':
      parts.push('file missing');
      break;
  }
  if (m.lastError && m.state !== 'downloading' && m.lastError.reason !== 'cancelled')
    parts.push(`failed: ${m.lastError.reason}`);
  if (m.defaultFor.length) parts.push(`default for ${m.defaultFor.join(', ')}`);
  return parts.filter(Boolean).join(' · ');
}

/** Whether Remove may also delete the file: the daemon deletes only inside its models dir. */
export function canDeleteFile(m: Pick<LocalModelEntry, 'path'>, modelsDir: string): boolean {
  if (!m.path) return false;
  const rel = path.relative(path.resolve(modelsDir), path.resolve(m.path));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Space-separated flags the view's menus match: which actions this model offers now. */
export function modelContextValue(m: LocalModelEntry, modelsDir: string): string {
  const flags = ['gearboxModel', `state-${m.state}`];
  if (m.state === 'not-downloaded' && m.sourceKind === 'hf') flags.push('canDownload');
  if (m.state === 'downloading') flags.push('canCancel');
  if (m.state === 'on-disk') flags.push('canLoad');
  if (m.state === 'loaded') flags.push('canUnload');
  if ((m.state === 'on-disk' || m.state === 'loaded') && m.path) flags.push('canReveal');
  if (canDeleteFile(m, modelsDir)) flags.push('canDelete');
  flags.push('canRemove');
  for (const t of ROUTED_TASKS) {
    if (m.tasks.includes(t) && !m.defaultFor.includes(t)) flags.push(`canUseFor-${t}`);
  }
  return flags.join(' ');
}

function modelTooltip(m: LocalModelEntry): string {
  const lines = [
    `**${m.displayName}** \`${m.id}\``,
    '',
    `- source: \`${m.source}\``,
    m.path ? `- file: \`${m.path}\`` : '',
    `- serves: ${m.tasks.join(', ')} (tier ${m.tier}${m.contextSize ? `, ${m.contextSize} tokens of context` : ''})`,
    m.defaultFor.length ? `- default for: ${m.defaultFor.join(', ')}` : '',
    m.lastError ? `- last download: ${m.lastError.message}` : '',
  ];
  return lines.filter((l, i) => l !== '' || i === 1).join('\n');
}

function providerNodes(input: ModelsTreeInput): ModelsTreeNode[] {
  const byProvider = new Map<string, ModelInfo[]>();
  for (const m of input.catalog) {
    if (m.local) continue;
    const list = byProvider.get(m.provider) ?? [];
    list.push(m);
    byProvider.set(m.provider, list);
  }
  for (const p of input.providersWithKeys) if (!byProvider.has(p)) byProvider.set(p, []);
  const withKey = new Set(input.providersWithKeys);
  return [...byProvider.entries()]
    .sort(([a], [b]) => Number(withKey.has(b)) - Number(withKey.has(a)) || a.localeCompare(b))
    .map(([provider, models]) => {
      const hasKey = withKey.has(provider);
      // Self-hosted endpoints may need no key: their models are available without one.
      const keyless = !hasKey && models.length > 0 && models.every((m) => m.available);
      const description = hasKey ? 'key set' : keyless ? 'no key needed' : 'no key';
      return {
        kind: 'provider',
        id: `provider:${provider}`,
        label: providerDisplayName(provider),
        description: `${description} · ${models.length} model${models.length === 1 ? '' : 's'}`,
        contextValue: `gearboxProvider ${hasKey ? 'hasKey' : 'noKey'}`,
        provider,
      } as const;
    });
}

/** The view's two sections (a config problem on top when there is one). */
export function buildModelsTree(input: ModelsTreeInput): ModelsTreeNode[] {
  const local: ModelsTreeNode[] = input.models.map((m) => ({
    kind: 'model',
    id: `model:${m.id}`,
    label: m.displayName,
    description: modelDescription(m, input.progress.get(m.id)),
    tooltip: modelTooltip(m),
    icon: STATE_ICONS[m.state],
    contextValue: modelContextValue(m, input.modelsDir),
    entry: m,
  }));
  if (local.length === 0) {
    local.push({
      kind: 'action',
      id: 'action:add',
      label: 'Add Local Model…',
      icon: 'add',
      command: 'gearbox.addLocalModel',
      tooltip: 'Pick a model sized to this machine; it downloads with progress and then works offline.',
    });
  }
  const nodes: ModelsTreeNode[] = [];
  if (input.configProblem) {
    const first = input.configProblem.issues[0]!;
    nodes.push({
      kind: 'action',
      id: 'action:config-problem',
      label: `config.json: ${first.path || '(file)'}: ${first.message}`,
      icon: 'error',
      command: 'gearbox.openDaemonConfig',
      tooltip:
        `${input.configProblem.file} has an error; the daemon keeps the last good config until it is fixed. ` +
        'Click to open it.',
    });
  }
  nodes.push({ kind: 'section', id: 'section:local', label: 'Local models', children: local });
  nodes.push({ kind: 'section', id: 'section:providers', label: 'Providers', children: providerNodes(input) });
  return nodes;
}
