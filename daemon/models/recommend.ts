// Which presets this machine can run, and the one per role it should take. Pure: the machine is
// measured elsewhere (machine.ts). Every verdict carries the numbers it was made from and one line.
import type { MachineInfo, ModelRole, Preset, PresetFit, RecommendResult } from '../../shared/protocol';
import { formatBytes } from './downloader';

const GiB = 1024 ** 3;

/**
 * Memory a loaded model takes: its weights, plus about a tenth for the KV cache of our default
 * contexts and the compute buffers, plus a fixed half GiB of runtime. Deliberately on the safe side.
 */
export function memoryNeeded(p: Preset): number {
  return Math.round(p.sizeBytes * 1.1 + 0.5 * GiB);
}

/** VRAM the models may use: the display and the driver keep some. */
function usableVram(m: MachineInfo): number {
  return m.vramTotalBytes ? m.vramTotalBytes * 0.9 : 0;
}

/** RAM the models may use next to the editor, browser and OS: three quarters, and at least 2 GiB left over. */
function usableRam(m: MachineInfo): number {
  return Math.max(0, Math.min(m.totalRamBytes * 0.75, m.totalRamBytes - 2 * GiB));
}

/**
 * Without a GPU, completions must come back in a few hundred ms: up to ~1.5B parameters per token
 * on a CPU. Chat tolerates a slower stream: up to ~8B per token (an MoE counts its active experts).
 */
const CPU_MAX_PARAMS_B: Record<ModelRole, number> = { completion: 1.6, chat: 8 };

/**
 * The completion model stays loaded next to a chat model: it may take half the GPU, the chat model
 * what is left. With 8 GB that is 1.5B for completion, 16 GB 3B, 24 GB 7B (llama.vscode's advice).
 */
const COMPLETION_SHARE = 0.5;

interface Budget {
  vram: number;
  ram: number;
}

function judge(
  p: Preset,
  m: MachineInfo,
  budget: Budget,
  onDisk: boolean,
): Omit<PresetFit, 'recommended' | 'configuredAs'> {
  const need = memoryNeeded(p);
  const base = { preset: p, neededBytes: need };
  if (!onDisk && m.diskFreeBytes !== null && m.diskFreeBytes < p.sizeBytes + GiB) {
    return {
      ...base,
      usable: false,
      kind: 'not-enough-disk',
      neededBytes: p.sizeBytes + GiB,
      availableBytes: m.diskFreeBytes,
      text: `needs ${formatBytes(p.sizeBytes)} of disk, ${formatBytes(m.diskFreeBytes)} free in ${m.modelsDir}`,
    };
  }
  if (m.gpu && need <= budget.vram) {
    return {
      ...base,
      usable: true,
      kind: 'fits-vram',
      availableBytes: Math.round(budget.vram),
      text: `fits in ${formatBytes(m.vramTotalBytes ?? 0)} VRAM (needs ~${formatBytes(need)})`,
    };
  }
  if (need > budget.ram) {
    const vram = m.gpu ? ` (and ${formatBytes(m.vramTotalBytes ?? 0)} VRAM)` : '';
    const have =
      need > m.totalRamBytes
        ? `you have ${formatBytes(m.totalRamBytes)}${vram}`
        : `only ~${formatBytes(budget.ram)} of your ${formatBytes(m.totalRamBytes)} can go to it${vram}`;
    return {
      ...base,
      usable: false,
      kind: 'needs-more-ram',
      availableBytes: Math.round(budget.ram),
      text: `needs ${formatBytes(need)} RAM, ${have}`,
    };
  }
  const perToken = p.activeParamsB ?? p.paramsB;
  if (perToken > CPU_MAX_PARAMS_B[p.role]) {
    return {
      ...base,
      usable: false,
      kind: 'too-slow-on-cpu',
      availableBytes: Math.round(budget.ram),
      text: `too slow for ${p.role} without a GPU that holds it (${perToken}B parameters per token)`,
    };
  }
  const gpuNote = m.gpu ? ` (too big for ${formatBytes(m.vramTotalBytes ?? 0)} VRAM)` : '';
  return {
    ...base,
    usable: true,
    kind: 'fits-ram',
    availableBytes: Math.round(budget.ram),
    text: `runs from RAM: needs ~${formatBytes(need)}, you have ${formatBytes(m.totalRamBytes)}${gpuNote}`,
  };
}

/** GPU fits first (fast), then the biggest (best). */
function better(a: PresetFit, b: PresetFit): number {
  const rank = (f: PresetFit) => (f.recommended ? 0 : f.usable ? (f.kind === 'fits-vram' ? 1 : 2) : 3);
  return rank(a) - rank(b) || b.preset.sizeBytes - a.preset.sizeBytes;
}

/**
 * Verdicts for every preset. `onDisk` holds preset ids already downloaded (no disk needed),
 * `configured` maps preset ids to the local model id using them.
 */
export function recommend(
  presets: readonly Preset[],
  machine: MachineInfo,
  onDisk: ReadonlySet<string>,
  configured: ReadonlyMap<string, string>,
): RecommendResult {
  const fits: PresetFit[] = [];
  const pick = (role: ModelRole, budget: Budget): PresetFit | undefined => {
    const mine = presets
      .filter((p) => p.role === role)
      .map((p) => ({
        ...judge(p, machine, budget, onDisk.has(p.id)),
        recommended: false,
        configuredAs: configured.get(p.id) ?? null,
      }));
    fits.push(...mine);
    return mine.filter((f) => f.usable).sort(better)[0];
  };
  const completion = pick('completion', {
    vram: usableVram(machine) * COMPLETION_SHARE,
    ram: usableRam(machine) * COMPLETION_SHARE,
  });
  // The chat model gets what the completion model leaves.
  const taken = completion ? memoryNeeded(completion.preset) : 0;
  const onGpu = completion?.kind === 'fits-vram';
  const chat = pick('chat', {
    vram: usableVram(machine) - (onGpu ? taken : 0),
    ram: usableRam(machine) - (onGpu ? 0 : taken),
  });
  if (completion) completion.recommended = true;
  if (chat) chat.recommended = true;
  return {
    machine,
    presets: fits.sort(better),
    recommended: { completion: completion?.preset.id ?? null, chat: chat?.preset.id ?? null },
  };
}
