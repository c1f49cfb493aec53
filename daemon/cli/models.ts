// `gearbox models recommend|list|add|remove|download|cancel|default`: the local model manager from
// the command line, the same requests the editor's Models view sends.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import {
  ModelRole,
  TaskKind,
  type DownloadProgress,
  type LocalModelEntry,
  type ModelSourceParam,
  type ModelsListResult,
  type RecommendResult,
} from '../../shared/protocol';
import { formatBytes } from '../models/downloader';
import { connectToDaemon, type DaemonClient } from './client';
import { ProgressBar } from './progress-bar';

export const MODELS_SUBCOMMANDS = ['recommend', 'list', 'add', 'remove', 'download', 'cancel', 'default'] as const;

export const MODELS_USAGE = `  gearbox models recommend [--role completion|chat] [--json] (presets for this machine)
  gearbox models list [--json]                       (local models and their state)
  gearbox models add <preset | hf:owner/repo/file.gguf | file.gguf> [--id ID] [--no-download] [--json]
  gearbox models download <id> [--json]              (resumes a cancelled or interrupted download)
  gearbox models cancel <id>
  gearbox models remove <id> [--delete-file] [--json]
  gearbox models default <completion|chat|refactor> <id|auto>`;

/** A bad command line: main() prints it with the usage text and exits 2. */
class ModelsUsageError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

export function isModelsSubcommand(arg: string | undefined): boolean {
  return (MODELS_SUBCOMMANDS as readonly string[]).includes(arg ?? '');
}

async function withClient<T>(runtimeDir: string, fn: (c: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connectToDaemon({ runtimeDir });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export async function runModelsCommand(args: string[], runtimeDir: string): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      role: { type: 'string' },
      id: { type: 'string' },
      'no-download': { type: 'boolean', default: false },
      'delete-file': { type: 'boolean', default: false },
    },
  });
  const json = values.json ?? false;
  const print = (value: unknown, text: string) => console.log(json ? JSON.stringify(value, null, 2) : text);
  switch (sub) {
    case 'recommend': {
      const role = values.role === undefined ? undefined : ModelRole.safeParse(values.role);
      if (role && !role.success) throw new ModelsUsageError('--role must be completion or chat');
      const rec = await withClient(runtimeDir, (c) =>
        c.request('gearbox/models/recommend', role ? { role: role.data } : {}),
      );
      print(rec, formatRecommendations(rec));
      return 0;
    }
    case 'list': {
      const list = await withClient(runtimeDir, (c) => c.request('gearbox/models/list', {}));
      print(list, formatLocalModels(list));
      return 0;
    }
    case 'add': {
      const what = positionals[0];
      if (!what) throw new ModelsUsageError('add needs a preset id, an hf: URI or a .gguf file');
      const source = sourceOf(what);
      return withClient(runtimeDir, async (c) => {
        const res = await c.request('gearbox/models/add', {
          source,
          ...(values.id ? { id: values.id } : {}),
          download: false,
        });
        if (!json)
          console.error(`${res.added ? 'Added' : 'Already configured:'} ${res.model.id} (${res.model.source})`);
        let model = res.model;
        if (!values['no-download'] && model.sourceKind === 'hf' && !isOnDisk(model))
          model = await downloadWithProgress(c, model.id, json);
        print({ ...res, model }, formatEntry(model));
        return 0;
      });
    }
    case 'download': {
      const id = positionals[0];
      if (!id) throw new ModelsUsageError('download needs a model id (see gearbox models list)');
      return withClient(runtimeDir, async (c) => {
        const model = await downloadWithProgress(c, id, json);
        print({ model }, formatEntry(model));
        return 0;
      });
    }
    case 'cancel': {
      const id = positionals[0];
      if (!id) throw new ModelsUsageError('cancel needs a model id');
      const res = await withClient(runtimeDir, (c) => c.request('gearbox/models/cancelDownload', { id }));
      print(res, res.cancelled ? `Cancelled; ${resumeHint(res.model)}` : `${id} was not downloading.`);
      return 0;
    }
    case 'remove': {
      const id = positionals[0];
      if (!id) throw new ModelsUsageError('remove needs a model id');
      const res = await withClient(runtimeDir, (c) =>
        c.request('gearbox/models/remove', { id, deleteFile: values['delete-file'] ?? false }),
      );
      const deleted = res.deletedFiles.length ? `; deleted ${res.deletedFiles.join(', ')}` : '';
      print(res, `Removed ${id}${deleted}`);
      return 0;
    }
    case 'default': {
      const [taskArg, id] = positionals;
      const task = TaskKind.safeParse(taskArg);
      if (!task.success || !id) throw new ModelsUsageError('default needs a task and a model id (or auto)');
      const res = await withClient(runtimeDir, (c) =>
        c.request('gearbox/models/setDefaults', { defaults: { [task.data]: id === 'auto' ? null : id } }),
      );
      print(res, `${task.data}: ${res.defaults[task.data] ?? 'auto (the router picks)'}`);
      return 0;
    }
    default:
      throw new ModelsUsageError(`Unknown models command "${sub}"`);
  }
}

/** A preset id, an hf: URI or hub URL, or a GGUF file (relative to the current directory). */
export function sourceOf(what: string): ModelSourceParam {
  if (/^(hf:|huggingface:|https?:\/\/)/i.test(what)) return { kind: 'hf', uri: what };
  if (what.toLowerCase().endsWith('.gguf') || what.includes(path.sep) || fs.existsSync(what))
    return { kind: 'file', path: path.resolve(what) };
  return { kind: 'preset', id: what };
}

function isOnDisk(m: LocalModelEntry): boolean {
  return m.state === 'on-disk' || m.state === 'loaded';
}

function resumeHint(m: LocalModelEntry): string {
  const kept = m.partialBytes > 0 ? `${formatBytes(m.partialBytes)} kept; ` : '';
  return `${kept}\`gearbox models download ${m.id}\` resumes it`;
}

/** Downloads (or joins the download of) a model, drawing its progress on stderr; Ctrl-C cancels it. */
async function downloadWithProgress(c: DaemonClient, id: string, json: boolean): Promise<LocalModelEntry> {
  const bar = new ProgressBar(id, process.stderr);
  let last: DownloadProgress | undefined;
  c.onNotification('gearbox/models/progress', (p) => {
    if (p.id !== id || json) return;
    last = p;
    bar.update(p);
  });
  const cts = new CancellationTokenSource();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    void c.request('gearbox/models/cancelDownload', { id }).finally(() => cts.cancel());
  };
  process.once('SIGINT', onSigint);
  try {
    const { model } = await c.request('gearbox/models/download', { id, wait: true }, cts);
    // The last progress notification may trail the answer: the bar ends on the whole file.
    const size = model.sizeBytes;
    if (size && !json) bar.update({ bytesPerSecond: 0, ...last, receivedBytes: size, totalBytes: size, etaSeconds: 0 });
    bar.end();
    return model;
  } catch (err) {
    bar.end();
    if (interrupted) {
      const list = await c.request('gearbox/models/list', {}).catch(() => undefined);
      const m = list?.models.find((x) => x.id === id);
      throw new Error(`download cancelled${m ? `; ${resumeHint(m)}` : ''}`);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function stateText(m: LocalModelEntry): string {
  if (m.state === 'downloading' && m.download) {
    const { receivedBytes, totalBytes } = m.download;
    return `downloading ${totalBytes ? Math.floor((receivedBytes / totalBytes) * 100) : 0}%`;
  }
  if (m.state === 'not-downloaded' && m.partialBytes > 0) return `paused (${formatBytes(m.partialBytes)} kept)`;
  return m.state;
}

export function formatEntry(m: LocalModelEntry): string {
  const size = m.sizeBytes ? `, ${formatBytes(m.sizeBytes)}` : '';
  const where = m.path ? `\n  ${m.path}` : '';
  const error = m.lastError ? `\n  last download: ${m.lastError.message}` : '';
  return `${m.id}: ${stateText(m)}${size}, serves ${m.tasks.join(', ')}${where}${error}`;
}

export function formatLocalModels(list: ModelsListResult): string {
  const lines: string[] = [];
  if (list.configProblem) {
    const issues = list.configProblem.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    lines.push(`${list.configProblem.file} has an error (the last good config is in force): ${issues.join('; ')}`, '');
  }
  if (!list.models.length) {
    lines.push(
      'No local models. `gearbox models recommend` shows what fits this machine; `gearbox models add <preset>`.',
    );
    return lines.join('\n');
  }
  const rows = list.models.map((m) => [
    m.id,
    stateText(m),
    m.sizeBytes ? formatBytes(m.sizeBytes) : '-',
    m.loadedBytes ? formatBytes(m.loadedBytes) : '-',
    m.tasks.join(','),
    m.defaultFor.join(',') || '-',
  ]);
  lines.push(...table(['MODEL', 'STATE', 'SIZE', 'LOADED', 'TASKS', 'DEFAULT FOR'], rows));
  const errors = list.models.filter((m) => m.lastError);
  for (const m of errors) lines.push(`${m.id}: ${m.lastError!.message}`);
  lines.push('', `Models dir: ${list.modelsDir}; hub: ${list.modelEndpoint}`);
  return lines.join('\n');
}

export function formatRecommendations(rec: RecommendResult): string {
  const m = rec.machine;
  const gpu = m.gpu
    ? `${m.gpu} GPU, ${formatBytes(m.vramTotalBytes ?? 0)} VRAM`
    : `no GPU (CPU inference${m.gpuUnknownReason ? `; ${m.gpuUnknownReason}` : ''})`;
  const disk = m.diskFreeBytes === null ? 'disk space unknown' : `${formatBytes(m.diskFreeBytes)} free`;
  const lines = [
    `This machine: ${formatBytes(m.totalRamBytes)} RAM (${formatBytes(m.freeRamBytes)} free), ${gpu}; ` +
      `${disk} in ${m.modelsDir}`,
  ];
  for (const role of ModelRole.options) {
    const fits = rec.presets.filter((f) => f.preset.role === role);
    if (!fits.length) continue;
    lines.push('', role === 'completion' ? 'Completion (fill-in-the-middle):' : 'Chat and refactor:');
    const rows = fits.map((f) => [
      f.recommended ? '*' : f.usable ? '+' : '-',
      f.preset.id,
      formatBytes(f.preset.sizeBytes),
      `${f.text}${f.configuredAs ? ` [configured as ${f.configuredAs}]` : ''}`,
    ]);
    lines.push(...table(['', 'PRESET', 'SIZE', 'WHY'], rows).map((l) => `  ${l}`));
  }
  const pick = rec.recommended.completion ?? rec.recommended.chat;
  lines.push('', '* recommended, + fits, - does not fit.');
  if (pick) lines.push(`Add one: gearbox models add ${pick}`);
  return lines.join('\n');
}
