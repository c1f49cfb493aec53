// What this machine offers local models: RAM (here), disk in the models dir (here), and the GPU with
// its memory, which only llama.cpp knows; it runs in the model host child, so the child is asked.
import os from 'node:os';
import type { MachineInfo } from '../../shared/protocol';
import type { HardwareInfo, ModelHostApi } from '../model-host-api';
import { freeBytes } from './downloader';

export class MachineProbe {
  /** The GPU does not change while the daemon runs: asked once, then reused. */
  private gpu?: HardwareInfo;

  constructor(
    private readonly host: ModelHostApi,
    /** The child may need to start first (loading llama.cpp's backend takes a moment). */
    private readonly timeoutMs = 30_000,
  ) {}

  /** Everything, asking the model host for the GPU when it was not asked yet. */
  async measure(modelsDir: string): Promise<MachineInfo> {
    const [why, disk] = await Promise.all([this.askHost(), freeBytes(modelsDir)]);
    return this.info(modelsDir, disk, why);
  }

  /** Without starting the model host: the GPU as last measured, or unknown (for quick answers). */
  async measureQuickly(modelsDir: string): Promise<MachineInfo> {
    return this.info(modelsDir, await freeBytes(modelsDir), this.gpu ? undefined : 'not measured yet');
  }

  private info(modelsDir: string, disk: number | null, gpuUnknownReason?: string): MachineInfo {
    return {
      totalRamBytes: os.totalmem(),
      freeRamBytes: os.freemem(),
      gpu: this.gpu?.gpu ?? null,
      vramTotalBytes: this.gpu?.vramTotalBytes ?? null,
      vramFreeBytes: this.gpu?.vramFreeBytes ?? null,
      diskFreeBytes: disk,
      modelsDir,
      ...(gpuUnknownReason ? { gpuUnknownReason } : {}),
    };
  }

  /** Undefined when the GPU is known, else why not. */
  private async askHost(): Promise<string | undefined> {
    if (!this.host.hardware) return 'the model host cannot report its GPU';
    try {
      this.gpu = await this.host.hardware(AbortSignal.timeout(this.timeoutMs));
      return undefined;
    } catch (err) {
      return this.gpu ? undefined : `the model host could not be asked (${(err as Error).message})`;
    }
  }
}
