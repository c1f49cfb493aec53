// One connection's workspace settings (the `gearbox` section): sent with initializationOptions,
// then pulled with workspace/configuration when the client supports it (again on each change),
// else taken from what didChangeConfiguration pushes. Invalid settings are refused as a whole,
// with a warning to the user, and the previous ones stay. The daemon's defaults underneath are read
// at each use: a config edit (privatePaths, allowedModels) applies to open connections at once.
import { WorkspaceSettings } from '../shared/protocol';
import type { Logger } from './log';

/** The client side of settings, as the session's LSP connection provides it. */
export interface SettingsClient {
  /** workspace/configuration for the `gearbox` section. */
  pull(): Promise<unknown>;
  /** Shows the user a warning (window/showMessage). */
  warn(message: string): void;
}

export class WorkspaceSettingsSync {
  /** The client's `gearbox` section as last accepted; undefined until one arrives. */
  private section: Record<string, unknown> | undefined;
  private merged: { defaults: WorkspaceSettings; settings: WorkspaceSettings } | undefined;
  private canPull = false;

  constructor(
    private readonly defaults: () => WorkspaceSettings,
    private readonly client: SettingsClient,
    private readonly log: Logger,
  ) {}

  get current(): WorkspaceSettings {
    const defaults = this.defaults();
    if (this.merged?.defaults !== defaults) {
      const parsed = this.section ? WorkspaceSettings.safeParse({ ...defaults, ...this.section }) : undefined;
      // The client's section was valid over the earlier defaults; over new ones that reject it, the defaults hold.
      this.merged = { defaults, settings: parsed?.success ? parsed.data : defaults };
    }
    return this.merged.settings;
  }

  /** At `initialize`: whether the client answers workspace/configuration, and its initial settings. */
  initialize(supportsConfiguration: boolean, initial: unknown): void {
    if (initial !== undefined) this.apply(initial, 'initializationOptions');
    this.canPull = supportsConfiguration;
  }

  /** Asks the client for its settings (after `initialized`), when it supports that. */
  async pull(): Promise<void> {
    if (!this.canPull) return;
    try {
      const section = await this.client.pull();
      if (section !== undefined && section !== null) this.apply(section, 'workspace/configuration');
    } catch (err) {
      this.log.warn('workspace/configuration failed', { error: (err as Error).message });
    }
  }

  /** didChangeConfiguration: pull again, or take the pushed `gearbox` section. */
  async changed(pushed: unknown): Promise<void> {
    if (this.canPull) return this.pull();
    if (pushed && typeof pushed === 'object' && 'gearbox' in pushed)
      this.apply((pushed as { gearbox: unknown }).gearbox, 'didChangeConfiguration');
  }

  private apply(raw: unknown, source: string): void {
    const section = typeof raw === 'object' && raw ? (raw as Record<string, unknown>) : {};
    const defaults = this.defaults();
    const parsed = WorkspaceSettings.safeParse({ ...defaults, ...section });
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.log.warn('invalid workspace settings ignored', { source, why });
      this.client.warn(`Gearbox: invalid settings ignored (${why})`);
      return;
    }
    this.section = section;
    this.merged = { defaults, settings: parsed.data };
    this.log.info('settings applied', { source, pinned: parsed.data.models, mode: parsed.data.routing.mode });
  }
}
