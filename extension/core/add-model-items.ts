// "Gearbox: Add Local Model…" as data: the presets the daemon recommends for this machine first,
// each row with the reason it fits or does not; then an hf: URI or a GGUF file on disk. Also the
// checks and messages around it. No `vscode` import: extension/models/add-model.ts shows these.
import type {
  LocalModelEntry,
  MachineInfo,
  ModelFileNotAllowedData,
  PresetFit,
  RecommendResult,
} from '../../shared/protocol';
import { formatBytes } from './download-format';

export type AddModelItem =
  | { kind: 'separator'; label: string }
  | {
      kind: 'preset';
      label: string;
      description: string;
      /** Why it fits or not, and whether it is added already. */
      detail: string;
      presetId: string;
      recommended: boolean;
      usable: boolean;
      /** The machine cannot run it well: picking it asks first, with this reason. */
      warning?: string;
    }
  | { kind: 'hf'; label: string; detail: string }
  | { kind: 'file'; label: string; detail: string };

const ROLE_TASKS = { completion: 'completion', chat: 'chat and refactors' } as const;

function configuredNote(fit: PresetFit, models: readonly LocalModelEntry[]): string {
  if (!fit.configuredAs) return '';
  const m = models.find((x) => x.id === fit.configuredAs);
  const state = m?.state === 'downloading' ? 'downloading' : m?.state === 'not-downloaded' ? 'not downloaded' : '';
  return ` · added as ${fit.configuredAs}${state ? ` (${state})` : ''}`;
}

function presetItem(fit: PresetFit, models: readonly LocalModelEntry[]): AddModelItem {
  const p = fit.preset;
  const why = fit.recommended ? `Recommended: ${fit.text}` : fit.text;
  return {
    kind: 'preset',
    label: `${fit.recommended ? '$(star-full) ' : ''}${p.displayName}`,
    description: `${ROLE_TASKS[p.role]} · ${formatBytes(p.sizeBytes)}`,
    detail: `${why}${configuredNote(fit, models)}`,
    presetId: p.id,
    recommended: fit.recommended,
    usable: fit.usable,
    ...(fit.usable ? {} : { warning: fit.text }),
  };
}

/**
 * Recommended presets first (completion, then chat), then the others that fit, then those that do
 * not (still offered: the user may know better), then the two other sources.
 */
export function buildAddModelItems(rec: RecommendResult, models: readonly LocalModelEntry[]): AddModelItem[] {
  const byRole = (a: PresetFit, b: PresetFit) =>
    Number(b.preset.role === 'completion') - Number(a.preset.role === 'completion');
  const groups: [string, PresetFit[]][] = [
    ['Recommended for this machine', rec.presets.filter((f) => f.recommended).sort(byRole)],
    ['Also fits', rec.presets.filter((f) => !f.recommended && f.usable)],
    ['Too large or too slow here', rec.presets.filter((f) => !f.usable)],
  ];
  const items: AddModelItem[] = [];
  for (const [label, fits] of groups) {
    if (!fits.length) continue;
    items.push({ kind: 'separator', label });
    for (const f of fits) items.push(presetItem(f, models));
  }
  items.push(
    { kind: 'separator', label: 'Other sources' },
    {
      kind: 'hf',
      label: '$(cloud-download) Hugging Face model (hf: URI)…',
      detail: 'e.g. hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf, or hf:owner/repo:Q4_K_M',
    },
    {
      kind: 'file',
      label: '$(file) GGUF file on disk…',
      detail: `A .gguf inside the daemon's model folders (${rec.machine.modelsDir}, or "modelDirs" in its config)`,
    },
  );
  return items;
}

/** The row to start on: the recommended completion preset, else the first preset. */
export function initialItemIndex(items: readonly AddModelItem[]): number {
  const i = items.findIndex((x) => x.kind === 'preset' && x.recommended);
  return i >= 0 ? i : items.findIndex((x) => x.kind !== 'separator');
}

/** "16.0 GiB RAM · CUDA, 8.0 GiB VRAM · 120.5 GiB free on disk", for the picker's placeholder. */
export function machineSummary(m: MachineInfo): string {
  const gpu =
    m.gpu && m.vramTotalBytes ? `${m.gpu.toUpperCase()}, ${formatBytes(m.vramTotalBytes)} VRAM` : 'no GPU (CPU)';
  const disk = m.diskFreeBytes === null ? '' : ` · ${formatBytes(m.diskFreeBytes)} free on disk`;
  return `This machine: ${formatBytes(m.totalRamBytes)} RAM · ${gpu}${disk}`;
}

/** An input box's check for an hf: URI (undefined: fine). The daemon resolves and checks it further. */
export function validateHfUri(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Paste an hf: URI (Esc to cancel)';
  if (!/^hf:/i.test(v)) return 'It starts with hf:, e.g. hf:owner/repo/file.gguf or hf:owner/repo:Q8_0';
  const rest = v.slice(3);
  if (!/^[\w.-]+\/[\w.-]+(\/.+\.gguf|:[\w.-]+)?$/i.test(rest))
    return 'hf:owner/repo/file.gguf, hf:owner/repo:QUANT (e.g. :Q8_0) or hf:owner/repo';
  return undefined;
}

/** What to say when the daemon refuses a GGUF outside its model folders, and how to fix it. */
export function notAllowedMessage(d: ModelFileNotAllowedData): { message: string; detail: string } {
  const dirs = d.allowedDirs.map((x) => `  ${x}`).join('\n');
  return {
    message: `Gearbox cannot use ${d.file}: the daemon only loads models from its model folders.`,
    detail:
      `Model folders:\n${dirs}\n\nMove the file into one of them and add it again, or add its folder to ` +
      `"modelDirs" in the daemon configuration (${d.configPath}); the daemon picks up the change by itself.`,
  };
}
