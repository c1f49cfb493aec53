// The local model manager: the gearbox/models/* requests behind one object. It edits the config
// through the ConfigStore, runs downloads in the daemon (they outlive any window), tells every
// client what changed, keeps the engine and the model host on the config in force, and on a first
// start with no local model fetches the completion preset that fits this machine.
import fs from 'node:fs';
import path from 'node:path';
import {
  ErrorCodes,
  type DownloadFailure,
  type LocalModelEntry,
  type ModelErrorData,
  type ModelFileNotAllowedData,
  type ModelsAddParams,
  type ModelsListResult,
  type NoModelFix,
  type NotificationMethod,
  type ParamsOf,
  type Preset,
  type RecommendResult,
  type TaskDefaults,
  type TaskKind,
} from '../../shared/protocol';
import type { ConfigOp, ConfigStore } from '../config-store';
import { defaultModelsDir, modelEndpointOf, modelFilePlace, type DaemonConfig, type LocalModelConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type { ModelHostApi } from '../model-host-api';
import type { Logger } from '../log';
import { checkGgufHeader } from '../model-host/resolve';
import { DownloadError } from './download-error';
import { formatBytes, partialPath } from './downloader';
import { Downloads, type DownloadJob } from './downloads';
import { noModelFixes } from './fixes';
import { hfUriOf, isHfFile, parseHfUri, resolveRepoTag } from './hub';
import { canonical, hostModelOf, hostModelsOf, isFile, locate, type LocalFile, type Places } from './local-files';
import { MachineProbe } from './machine';
import { tasksOfRole } from './presets';
import { recommend } from './recommend';

const ALL_TASKS: TaskKind[] = ['completion', 'chat', 'refactor'];
/** Progress notifications per model at most this often (the last one always goes out). */
const PROGRESS_EVERY_MS = 250;
/** Written to the models dir once the first start has fetched a model, so removing it sticks. */
export const AUTO_DOWNLOAD_MARKER = '.gearbox-auto-download.json';

export type Broadcast = <M extends NotificationMethod>(method: M, params: ParamsOf<M>) => void;

export interface ModelManagerOptions {
  store: ConfigStore;
  host: ModelHostApi;
  presets: Preset[];
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** A notification to every connected client. */
  broadcast: Broadcast;
  /** The rest of the daemon takes a new config (engine: local models, defaults, timeouts). */
  applyConfig: (config: DaemonConfig) => void;
  /** A download started, finished or failed: a local model's availability in the catalog changed. */
  downloadChanged?: () => void;
  /**
   * The dirs local model files must lie in, when the config confines them (the real model host opens
   * files; a fake opens none): a file added from elsewhere is refused before the config is touched.
   */
  allowedDirs?: () => string[];
}

export class ModelManager {
  private readonly downloads: Downloads;
  private readonly probe: MachineProbe;
  /** The last download failure per file, until the next attempt. */
  private readonly failures = new Map<string, { reason: DownloadFailure; message: string }>();
  private readonly lastProgress = new Map<string, { at: number; trailing?: NodeJS.Timeout }>();
  private lastRecommendation?: RecommendResult;
  private disposed = false;

  constructor(private readonly opts: ModelManagerOptions) {
    this.probe = new MachineProbe(opts.host);
    this.downloads = new Downloads(
      () => {
        const cfg = this.config;
        return {
          endpoint: this.endpoint,
          stallMs: cfg.downloads.stallSeconds * 1000,
          connectTimeoutMs: cfg.downloads.connectTimeoutSeconds * 1000,
          retries: cfg.downloads.retries,
          retryDelayMs: cfg.downloads.retryDelayMs,
        };
      },
      opts.logger.child({ component: 'downloads' }),
    );
    opts.store.on('changed', (next, previous, origin) => this.onConfigChanged(next, previous, origin));
    opts.store.on('problem', (problem) => {
      if (!this.disposed) opts.broadcast('gearbox/config/problem', { problem });
    });
  }

  private get config(): DaemonConfig {
    return this.opts.store.current;
  }

  get modelsDir(): string {
    return this.config.modelsDir ?? defaultModelsDir(this.opts.env);
  }

  get endpoint(): string {
    return modelEndpointOf(this.config, this.opts.env);
  }

  private get places(): Places {
    return { modelsDir: this.modelsDir, endpoint: this.endpoint, presets: this.opts.presets };
  }

  /** The local models as the model host must see them (downloaded hf: models by their path). */
  hostModels(config: DaemonConfig = this.config): LocalModelConfig[] {
    return hostModelsOf(config, {
      modelsDir: config.modelsDir ?? defaultModelsDir(this.opts.env),
      endpoint: modelEndpointOf(config, this.opts.env),
      presets: this.opts.presets,
    });
  }

  /** The model with its file on disk as its source, once downloaded (for reading its GGUF metadata). */
  onDisk(m: LocalModelConfig): LocalModelConfig {
    return hostModelOf(m, this.places);
  }

  private onConfigChanged(next: DaemonConfig, previous: DaemonConfig, origin: 'edit' | 'file'): void {
    if (this.disposed) return;
    this.opts.applyConfig(next);
    this.opts.host.setModels?.(this.hostModels(next));
    const restartOnly = (['host', 'tls', 'server', 'providers', 'threads', 'gpu', 'ledgerPath'] as const).filter(
      (k) => JSON.stringify(next[k]) !== JSON.stringify(previous[k]),
    );
    if (restartOnly.length)
      this.opts.logger.warn('config changes that apply after a daemon restart', { fields: restartOnly });
    void this.announce(origin === 'file' ? 'config.json changed on disk' : 'config changed');
  }

  private async announce(event: string): Promise<void> {
    if (this.disposed) return;
    try {
      const list = await this.list();
      if (!this.disposed)
        this.opts.broadcast('gearbox/models/changed', { models: list.models, defaults: list.defaults, event });
    } catch (err) {
      this.opts.logger.warn('cannot list local models', { error: (err as Error).message });
    }
  }

  // ---------- reading ----------

  private locateAll(): LocalFile[] {
    return this.config.localModels.map((m) => locate(m, this.places));
  }

  private job(f: LocalFile): DownloadJob | undefined {
    return f.path ? this.downloads.get(f.path) : undefined;
  }

  /** Why a configured local model cannot serve now (an hf: model not on disk), or undefined. */
  unavailableReason(id: string): string | undefined {
    const m = this.config.localModels.find((l) => l.id === id);
    if (!m) return undefined;
    const f = locate(m, this.places);
    if (f.kind !== 'hf' || isFile(f.path)) return undefined;
    const job = this.job(f);
    if (job) return `downloading (${percent(job)}%)`;
    return `\`gearbox models download ${id}\` fetches it`;
  }

  defaults(config: DaemonConfig = this.config): TaskDefaults {
    const pick = (t: TaskKind) => {
      const v = config.defaults.models[t];
      return v && v !== 'auto' ? v : null;
    };
    return { completion: pick('completion'), chat: pick('chat'), refactor: pick('refactor') };
  }

  private entry(f: LocalFile, loaded: Map<string, number>): LocalModelEntry {
    const m = f.model;
    const job = this.job(f);
    const onDisk = isFile(f.path);
    let state: LocalModelEntry['state'];
    if (job) state = 'downloading';
    else if (onDisk) state = loaded.has(m.id) ? 'loaded' : 'on-disk';
    else state = f.kind === 'file' ? 'file-missing' : 'not-downloaded';
    const preset = this.opts.presets.find((p) => p.id === f.presetId);
    const diskSize = onDisk ? fs.statSync(f.path!).size : null;
    const partial = f.kind === 'hf' && f.path && !onDisk ? fileSize(partialPath(f.path)) : 0;
    const failure = f.path ? this.failures.get(f.path) : undefined;
    const defaults = this.defaults();
    return {
      id: m.id,
      displayName: m.displayName ?? preset?.displayName ?? m.id,
      source: m.source,
      sourceKind: f.kind,
      presetId: f.presetId,
      tasks: m.tasks?.length ? [...m.tasks] : [...ALL_TASKS],
      tier: m.tier ?? preset?.tier ?? 0,
      contextSize: m.contextSize ?? null,
      state,
      path: f.path,
      sizeBytes: diskSize ?? (job?.progress.totalBytes || null) ?? preset?.sizeBytes ?? null,
      loadedBytes: loaded.get(m.id) ?? null,
      partialBytes: job ? 0 : partial,
      download: job ? { ...job.progress } : null,
      lastError: failure ?? (f.invalid ? { reason: 'not-found', message: f.invalid } : null),
      defaultFor: ALL_TASKS.filter((t) => defaults[t] === m.id),
    };
  }

  private async loadedSizes(): Promise<Map<string, number>> {
    try {
      const st = await this.opts.host.status();
      return new Map(st.loaded.map((l) => [l.id, l.sizeBytes]));
    } catch {
      return new Map();
    }
  }

  async list(): Promise<ModelsListResult> {
    const loaded = await this.loadedSizes();
    return {
      models: this.locateAll().map((f) => this.entry(f, loaded)),
      defaults: this.defaults(),
      modelsDir: this.modelsDir,
      modelEndpoint: this.endpoint,
      autoDownload: this.config.autoDownload,
      configPath: this.opts.store.file,
      configProblem: this.opts.store.problem,
    };
  }

  private async entryOf(id: string): Promise<LocalModelEntry> {
    const m = this.config.localModels.find((l) => l.id === id);
    if (!m) throw unknownModel(id, this.config);
    return this.entry(locate(m, this.places), await this.loadedSizes());
  }

  /** What fits this machine; asks the model host for the GPU unless `quick`. */
  async recommend(quick = false): Promise<RecommendResult> {
    const machine = quick ? await this.probe.measureQuickly(this.modelsDir) : await this.probe.measure(this.modelsDir);
    const files = this.locateAll();
    const configured = new Map<string, string>();
    for (const f of files) if (f.presetId && !configured.has(f.presetId)) configured.set(f.presetId, f.model.id);
    const onDisk = new Set(files.filter((f) => f.presetId && isFile(f.path)).map((f) => f.presetId!));
    const result = recommend(this.opts.presets, machine, onDisk, configured);
    if (!quick || !this.lastRecommendation) this.lastRecommendation = result;
    return result;
  }

  /** The fixes a "no model can serve <task>" error names (see fixes.ts). */
  async fixesFor(task: TaskKind): Promise<NoModelFix[]> {
    const rec = this.lastRecommendation ?? (await this.recommend(true));
    const role = task === 'completion' ? 'completion' : 'chat';
    const views = this.locateAll().map((f) => {
      const job = this.job(f);
      const onDisk = isFile(f.path);
      const state = job ? 'downloading' : onDisk ? 'on-disk' : f.kind === 'hf' ? 'not-downloaded' : 'file-missing';
      return {
        id: f.model.id,
        tasks: f.model.tasks?.length ? f.model.tasks : ALL_TASKS,
        state,
        ...(job ? { percent: percent(job) } : {}),
      } as const;
    });
    return noModelFixes(task, views, rec.recommended[role]);
  }

  // ---------- changing ----------

  async add(params: ModelsAddParams): Promise<{ model: LocalModelEntry; added: boolean }> {
    const wanted = await this.newEntry(params);
    const same = this.locateAll().find((f) => sameSource(f, wanted.source, this.endpoint));
    if (same) {
      if (params.download !== false && same.kind === 'hf') this.startDownload(same);
      return { model: await this.entryOf(same.model.id), added: false };
    }
    if (
      this.config.localModels.some((m) => m.id === wanted.id) ||
      this.config.providers.some((p) => p.id === wanted.id)
    )
      throw new GearboxError(ErrorCodes.InvalidParams, `The id "${wanted.id}" is taken; pass another id`);
    await this.opts.store.edit(() => [{ op: 'append', path: ['localModels'], value: wanted }]);
    this.opts.logger.info('local model added', { model: wanted.id, source: wanted.source });
    const f = this.locateAll().find((l) => l.model.id === wanted.id);
    if (f && f.kind === 'hf' && params.download !== false) this.startDownload(f);
    return { model: await this.entryOf(wanted.id), added: true };
  }

  /** The config entry `add` writes: the preset's settings, or what the file or URI says. */
  private async newEntry(params: ModelsAddParams): Promise<LocalModelConfig> {
    const src = params.source;
    const base = (id: string, source: string): LocalModelConfig => ({
      id: params.id ?? id,
      source,
      ...(params.displayName ? { displayName: params.displayName } : {}),
      ...(params.tasks ? { tasks: params.tasks } : {}),
    });
    if (src.kind === 'preset') {
      const p = this.opts.presets.find((x) => x.id === src.id);
      if (!p) {
        throw new GearboxError(
          ErrorCodes.InvalidParams,
          `Unknown preset "${src.id}". Presets: ${this.opts.presets.map((x) => x.id).join(', ')}`,
        );
      }
      return {
        ...base(`local/${p.id}`, canonical(p.uri, this.endpoint)),
        displayName: params.displayName ?? p.displayName,
        tier: p.tier,
        contextSize: p.contextSize,
        tasks: params.tasks ?? tasksOfRole(p.role),
      };
    }
    if (src.kind === 'hf') {
      let ref = parseHfUri(src.uri, this.endpoint);
      if (!isHfFile(ref)) ref = await resolveRepoTag(ref, this.hubOptions());
      const file = ref.file.split('/').pop()!;
      return base(`local/${file.replace(/\.gguf$/i, '').toLowerCase()}`, hfUriOf(ref));
    }
    const file = path.resolve(src.path);
    if (!isFile(file)) throw new GearboxError(ErrorCodes.InvalidParams, `${file} is not a file`);
    const dirs = this.opts.allowedDirs?.();
    const place = dirs ? modelFilePlace(file, dirs) : undefined;
    if (dirs && place && !place.allowed) {
      const data: ModelFileNotAllowedData = { file: place.real, allowedDirs: dirs, configPath: this.opts.store.file };
      throw new GearboxError(
        ErrorCodes.ModelFileNotAllowed,
        `${place.real} is outside the folders the daemon loads models from (${dirs.join(', ')}): move it into ` +
          `one of them, or add its folder to "modelDirs" in ${this.opts.store.file}`,
        data,
      );
    }
    const bad = checkGgufHeader(file);
    if (bad) throw new GearboxError(ErrorCodes.InvalidParams, `${file} cannot be used: ${bad}`);
    return base(
      `local/${path
        .basename(file)
        .replace(/\.gguf$/i, '')
        .toLowerCase()}`,
      file,
    );
  }

  private hubOptions() {
    return { endpoint: this.endpoint, connectTimeoutMs: this.config.downloads.connectTimeoutSeconds * 1000 };
  }

  async remove(id: string, deleteFile: boolean): Promise<{ removed: boolean; deletedFiles: string[] }> {
    const files = this.locateAll();
    const f = files.find((l) => l.model.id === id);
    if (!f) throw unknownModel(id, this.config);
    const sharedWith = files.filter((o) => o !== f && o.path && o.path === f.path).map((o) => o.model.id);
    if (deleteFile && f.kind === 'file' && !isInside(f.path!, this.modelsDir)) {
      throw new GearboxError(
        ErrorCodes.InvalidParams,
        `Not deleting ${f.path}: the daemon only deletes files in its models dir (${this.modelsDir}); ` +
          'remove without deleting, then delete the file yourself',
      );
    }
    const job = this.job(f);
    if (job && sharedWith.length === 0) {
      job.cancel();
      await job.done.catch(() => {});
    }
    await this.opts.store.edit((raw) => {
      const list = Array.isArray(raw.localModels) ? (raw.localModels as { id?: unknown }[]) : [];
      const index = list.findIndex((m) => m?.id === id);
      const ops: ConfigOp[] = index >= 0 ? [{ op: 'remove', path: ['localModels', index] }] : [];
      for (const t of ALL_TASKS)
        if (this.defaults()[t] === id) ops.push({ op: 'remove', path: ['defaults', 'models', t] });
      return ops;
    });
    await this.opts.host.unload(id).catch(() => {});
    const deletedFiles: string[] = [];
    if (deleteFile && f.path && sharedWith.length === 0) {
      for (const p of [f.path, partialPath(f.path), `${partialPath(f.path)}.json`]) {
        if (fs.existsSync(p)) {
          fs.rmSync(p, { force: true });
          deletedFiles.push(p);
        }
      }
      if (f.path) this.failures.delete(f.path);
    } else if (deleteFile && sharedWith.length) {
      this.opts.logger.info('file kept: other local models use it', { model: id, usedBy: sharedWith });
    }
    this.opts.logger.info('local model removed', { model: id, deletedFiles });
    return { removed: true, deletedFiles };
  }

  /** Starts (or joins) the model's download; with `wait`, resolves once the file is verified on disk. */
  async download(id: string, wait: boolean, signal?: AbortSignal): Promise<LocalModelEntry> {
    let f = this.locateAll().find((l) => l.model.id === id);
    if (!f) throw unknownModel(id, this.config);
    if (f.kind === 'file')
      throw new GearboxError(
        ErrorCodes.InvalidParams,
        `${id} is a file on disk (${f.path}); there is nothing to download`,
      );
    if (f.invalid) throw new DownloadError('not-found', f.invalid);
    if (f.tag) f = await this.pinTag(f);
    if (!isFile(f.path)) {
      const job = this.startDownload(f);
      if (wait && job) {
        try {
          await abortable(job.done, signal);
        } catch (err) {
          if (!(err instanceof DownloadError)) throw err;
          throw new DownloadError(err.reason, this.failureText(f, err), { modelId: id, fixes: [] });
        }
      }
    }
    return this.entryOf(id);
  }

  /** A repo:quant source names a file once the hub is asked; the config then names that file. */
  private async pinTag(f: LocalFile): Promise<LocalFile> {
    const ref = await resolveRepoTag(f.tag!, this.hubOptions());
    const uri = hfUriOf(ref);
    await this.opts.store.edit((raw) => {
      const list = Array.isArray(raw.localModels) ? (raw.localModels as { id?: unknown }[]) : [];
      const index = list.findIndex((m) => m?.id === f.model.id);
      return index >= 0 ? [{ op: 'set', path: ['localModels', index, 'source'], value: uri }] : [];
    });
    const pinned = this.locateAll().find((l) => l.model.id === f.model.id);
    if (!pinned) throw unknownModel(f.model.id, this.config);
    return pinned;
  }

  private startDownload(f: LocalFile): DownloadJob | undefined {
    if (!f.hf || !f.path || isFile(f.path)) return undefined;
    const target = f.path;
    const running = this.downloads.get(target);
    if (running) return running;
    this.failures.delete(target);
    const job = this.downloads.start(f.hf, target, f.model.id, (j) => this.progress(j));
    void this.announce(`${f.model.id}: download started`);
    this.opts.downloadChanged?.();
    job.done.then(
      () => {
        if (this.disposed) return;
        this.opts.host.setModels?.(this.hostModels());
        void this.announce(`${f.model.id}: downloaded and verified`);
        this.opts.downloadChanged?.();
      },
      (err: unknown) => {
        if (this.disposed) return;
        this.opts.downloadChanged?.();
        const e = err instanceof DownloadError ? err : new DownloadError('write-failed', String(err));
        this.failures.set(target, { reason: e.reason, message: this.failureText(f, e) });
        if (e.reason === 'offline') this.opts.logger.warn(this.failureText(f, e));
        else if (e.reason !== 'cancelled')
          this.opts.logger.warn('download failed', { model: f.model.id, reason: e.reason, error: e.message });
        void this.announce(`${f.model.id}: ${e.reason === 'cancelled' ? 'download cancelled' : 'download failed'}`);
      },
    );
    return job;
  }

  /** Offline gets one self-contained line: what is missing, why, and that closed models still serve. */
  private failureText(f: LocalFile, e: DownloadError): string {
    if (e.reason !== 'offline') return e.message;
    return (
      `offline: ${f.model.id} is not on disk and ${e.message.replace(/^offline: /, '')}; ` +
      `closed models still serve; run "gearbox models download ${f.model.id}" once online`
    );
  }

  /**
   * Progress to every client, at most every PROGRESS_EVERY_MS per file; a throttled update goes out
   * at the end of the interval, so the last numbers (a paused or finished download) always arrive.
   */
  private progress(job: DownloadJob): void {
    if (this.disposed) return;
    const slot = this.lastProgress.get(job.target) ?? { at: 0 };
    this.lastProgress.set(job.target, slot);
    const wait = slot.at + PROGRESS_EVERY_MS - Date.now();
    if (wait > 0) {
      slot.trailing ??= setTimeout(() => {
        slot.trailing = undefined;
        this.progress(job);
      }, wait);
      return;
    }
    clearTimeout(slot.trailing);
    slot.trailing = undefined;
    slot.at = Date.now();
    for (const f of this.locateAll())
      if (f.path === job.target) this.opts.broadcast('gearbox/models/progress', { id: f.model.id, ...job.progress });
  }

  async cancelDownload(id: string): Promise<{ cancelled: boolean; model: LocalModelEntry }> {
    const f = this.locateAll().find((l) => l.model.id === id);
    if (!f) throw unknownModel(id, this.config);
    const job = this.job(f);
    if (job) {
      job.cancel();
      await job.done.catch(() => {});
    }
    return { cancelled: job !== undefined, model: await this.entryOf(id) };
  }

  /** Loads an on-disk model into the model host now (instead of on its first request). */
  async load(id: string, signal?: AbortSignal): Promise<LocalModelEntry> {
    const f = this.locateAll().find((l) => l.model.id === id);
    if (!f) throw unknownModel(id, this.config);
    if (!isFile(f.path)) {
      const task = (f.model.tasks ?? []).find((t): t is TaskKind => t !== 'embedding') ?? 'completion';
      const data: ModelErrorData = { modelId: id, fixes: await this.fixesFor(task) };
      throw new GearboxError(
        ErrorCodes.ModelNotDownloaded,
        f.kind === 'hf'
          ? `${id} is not on disk yet: download it first (gearbox models download ${id})`
          : `${id}: ${f.path} is missing`,
        data,
      );
    }
    await this.opts.host.load(id, undefined, signal);
    void this.announce(`${id}: loaded`);
    return this.entryOf(id);
  }

  /** Frees the model's memory; the next request that needs it loads it again. */
  async unload(id: string): Promise<LocalModelEntry> {
    if (!this.config.localModels.some((m) => m.id === id)) throw unknownModel(id, this.config);
    await this.opts.host.unload(id);
    void this.announce(`${id}: unloaded`);
    return this.entryOf(id);
  }

  async setDefaults(wanted: Partial<TaskDefaults>, knownIds: ReadonlySet<string>): Promise<TaskDefaults> {
    for (const [task, id] of Object.entries(wanted)) {
      if (id && id !== 'auto' && !knownIds.has(id))
        throw new GearboxError(ErrorCodes.InvalidParams, `Cannot use "${id}" for ${task}: no such model`);
    }
    const next = await this.opts.store.edit(() =>
      Object.entries(wanted).map(
        ([task, id]): ConfigOp =>
          id && id !== 'auto'
            ? { op: 'set', path: ['defaults', 'models', task], value: id }
            : { op: 'remove', path: ['defaults', 'models', task] },
      ),
    );
    return this.defaults(next);
  }

  // ---------- first start ----------

  /**
   * With no local model configured (and autoDownload on), the first start adds the completion
   * preset this machine should take and fetches it in the background. A marker in the models dir
   * keeps a user's later removal from being undone at the next start.
   */
  async autoDownload(): Promise<void> {
    const cfg = this.config;
    if (!cfg.autoDownload || cfg.localModels.length > 0) return;
    const marker = path.join(this.modelsDir, AUTO_DOWNLOAD_MARKER);
    if (fs.existsSync(marker)) return;
    const rec = await this.recommend();
    const presetId = rec.recommended.completion;
    if (!presetId) {
      this.opts.logger.warn('no local model configured and no completion preset fits this machine', {
        ramBytes: rec.machine.totalRamBytes,
      });
      return;
    }
    const preset = this.opts.presets.find((p) => p.id === presetId)!;
    this.opts.logger.info(
      `no local model configured: fetching ${preset.displayName} (${formatBytes(preset.sizeBytes)}) for completion ` +
        'in the background ("autoDownload": false turns this off)',
      { preset: presetId },
    );
    const { model } = await this.add({ source: { kind: 'preset', id: presetId } });
    fs.mkdirSync(this.modelsDir, { recursive: true });
    fs.writeFileSync(
      marker,
      `${JSON.stringify({ preset: presetId, model: model.id, at: new Date().toISOString() })}\n`,
    );
  }

  dispose(): void {
    this.disposed = true;
    for (const slot of this.lastProgress.values()) clearTimeout(slot.trailing);
    // Partial files stay: the next start (or download) resumes them.
    this.downloads.cancelAll();
  }
}

function percent(job: DownloadJob): number {
  const { receivedBytes, totalBytes } = job.progress;
  return totalBytes > 0 ? Math.floor((receivedBytes / totalBytes) * 100) : 0;
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function sameSource(f: LocalFile, source: string, endpoint: string): boolean {
  if (f.kind === 'file') return path.resolve(f.model.source) === path.resolve(source);
  return canonical(f.model.source, endpoint) === canonical(source, endpoint);
}

function unknownModel(id: string, cfg: DaemonConfig): GearboxError {
  const known = cfg.localModels.map((m) => m.id);
  return new GearboxError(
    ErrorCodes.InvalidParams,
    `No local model "${id}"${known.length ? ` (configured: ${known.join(', ')})` : ' (none is configured)'}`,
  );
}

/** Waits for `p`, or stops waiting (without stopping `p`) when the signal fires. */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      const e = new Error('Request cancelled');
      e.name = 'AbortError';
      reject(e);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
