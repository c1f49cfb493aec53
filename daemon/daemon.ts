// Starting and stopping the daemon in this process: lock, token, server, discovery file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodebaseIndexes } from './codebase/indexes';
import {
  allowedModelDirs,
  confineModelSources,
  defaultIndexDir,
  defaultModelsDir,
  modelEndpointOf,
  type DaemonConfig,
} from './config';
import { ConfigStore } from './config-store';
import { hostModelsOf } from './models/local-files';
import { ModelManager } from './models/manager';
import { loadPresets } from './models/presets';
import { Engine } from './engine';
import { ApiKeyStore, apiKeysPath } from './http-api/api-keys';
import { VERSION } from './version';
import { defaultLedgerPath, UsageLedger } from './ledger';
import type { ModelHostApi } from './model-host-api';
import { createLogger, type Logger, type LogLevel } from './log';
import { ModelHostClient } from './model-host/client';
import { ensureRuntimeDir, runtimePaths, type RuntimePaths } from '../shared/discovery';
import { acquireLock, removeIfOurs, writeDiscovery, writeToken } from './runtime-dir';
import { DaemonServer, isLoopbackHost } from './server';

export interface DaemonOptions {
  runtimeDir: string;
  configPath: string;
  /** Pre-parsed config (tests); otherwise read from configPath. */
  config?: DaemonConfig;
  port?: number;
  logLevel?: LogLevel;
  logWrite?: (line: string) => void;
  /** Override the model host (tests), or how to start it. */
  modelHost?: ModelHostApi;
  modelHostEntry?: string;
  modelHostExecArgv?: string[];
  /** The code-index worker's entry (tests); default: next to the bundle, else the source. */
  indexWorkerEntry?: string;
  env?: NodeJS.ProcessEnv;
  idleExitMinutes?: number;
  /** The usage ledger file (wins over config.ledgerPath); null keeps usage in memory only. */
  ledgerPath?: string | null;
  /** Reload config.json when it is edited by hand. Default true. */
  watchConfig?: boolean;
  /** Confine local model files to the allowed dirs. Default: with the real model host only (fakes open nothing). */
  confineModels?: boolean;
}

export interface RunningDaemon {
  port: number;
  token: string;
  paths: RuntimePaths;
  engine: Engine;
  server: DaemonServer;
  models: ModelManager;
  config: ConfigStore;
  logger: Logger;
  stop(reason?: string): Promise<void>;
  stopped: Promise<void>;
}

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(pid ? `A Gearbox daemon is already running (pid ${pid})` : 'Another Gearbox daemon is starting');
  }
}

/** The model host's entry next to this bundle (dist/daemon/model-host.mjs). */
function defaultModelHostEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const bundled = path.join(here, 'model-host.mjs');
  if (fs.existsSync(bundled)) return bundled;
  return path.join(here, 'model-host', 'main.ts');
}

export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  ensureRuntimeDir(opts.runtimeDir);
  const paths = runtimePaths(opts.runtimeDir);
  const lock = acquireLock(paths);
  if (!lock.acquired) throw new AlreadyRunningError(lock.holderPid);

  let modelHost: ModelHostApi | undefined;
  let ledger: UsageLedger | undefined;
  let store: ConfigStore | undefined;
  try {
    const env = opts.env ?? process.env;
    // The real model host opens local files: confine them to the allowed dirs (fakes open nothing),
    // at start and in every edit or reload of the config.
    const confine = opts.confineModels ?? !opts.modelHost;
    store = new ConfigStore({
      file: opts.configPath,
      initial: opts.config,
      check: confine
        ? (cfg) => confineModelSources(cfg, allowedModelDirs(cfg, opts.configPath, opts.env), opts.configPath)
        : undefined,
    });
    const configStore = store;
    const config = store.current;
    // Refuse a network-facing bind before anything else happens: without TLS the token and the
    // users' code would cross the network in clear text.
    if (!isLoopbackHost(config.host) && !config.tls) {
      throw new Error(
        `Refusing to listen on "${config.host}": ` +
          'only loopback addresses (127.0.0.1, ::1, localhost) are allowed without TLS; ' +
          'set "tls": { "certPath": ..., "keyPath": ... } in the config to listen on another interface',
      );
    }
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (config.tls) {
      try {
        tls = { cert: fs.readFileSync(config.tls.certPath), key: fs.readFileSync(config.tls.keyPath) };
      } catch (err) {
        throw new Error(`Cannot read the TLS certificate or key: ${(err as Error).message}`);
      }
    }
    const presets = loadPresets(config.presetsFile);
    const modelsDir = config.modelsDir ?? defaultModelsDir(opts.env);
    const logger = createLogger({
      level: opts.logLevel ?? config.logLevel,
      write: opts.logWrite,
      base: { pid: process.pid },
    });
    const entry = opts.modelHostEntry ?? defaultModelHostEntry();
    const host: ModelHostApi =
      opts.modelHost ??
      new ModelHostClient({
        entry,
        execArgv: opts.modelHostExecArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
        models: hostModelsOf(config, { modelsDir, endpoint: modelEndpointOf(config, env), presets }),
        modelsDir,
        threads: config.threads,
        gpu: config.gpu,
        idleUnloadMs: config.idleUnloadMinutes * 60_000,
        logger: logger.child({ component: 'model-host' }),
        env: opts.env,
      });
    modelHost = host;
    const ledgerPath =
      opts.ledgerPath !== undefined
        ? opts.ledgerPath
        : (config.ledgerPath ?? defaultLedgerPath(opts.env ?? process.env));
    const ledgerOpts = { logger: logger.child({ component: 'ledger' }) };
    ledger = ledgerPath === null ? UsageLedger.inMemory(ledgerOpts) : UsageLedger.open(ledgerPath, ledgerOpts);
    const usageLedger = ledger;
    let models: ModelManager | undefined;
    let server: DaemonServer | undefined;
    const engine = new Engine({
      config,
      modelHost: host,
      logger,
      env: opts.env,
      ledger,
      localUnavailable: (id) => models?.unavailableReason(id),
      localOnDisk: (l) => models?.onDisk(l) ?? l,
      noModelFixes: async (task) => (models ? models.fixesFor(task) : []),
    });
    const manager = new ModelManager({
      store: configStore,
      host,
      presets,
      logger: logger.child({ component: 'models' }),
      env,
      broadcast: (method, params) => server?.broadcast(method, params),
      applyConfig: (next) => engine.updateConfig(next),
      downloadChanged: () => engine.catalogChanges.fire('download'),
      allowedDirs: confine ? () => allowedModelDirs(configStore.current, opts.configPath, opts.env) : undefined,
    });
    models = manager;
    if (opts.watchConfig !== false) configStore.watch(logger.child({ component: 'config' }));
    const codebase = new CodebaseIndexes({
      config: config.codebaseIndex,
      baseDir: config.codebaseIndex.dir ?? defaultIndexDir(opts.env),
      localModels: config.localModels,
      modelHost: host,
      logger: logger.child({ component: 'codebase' }),
      workerEntry: opts.indexWorkerEntry,
    });
    const token = writeToken(paths);

    let stopping: Promise<void> | undefined;
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let idleTimer: NodeJS.Timeout | undefined;
    const idleMinutes = opts.idleExitMinutes ?? config.idleExitMinutes;
    const armIdle = (clients: number) => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      if (idleMinutes > 0 && clients === 0) {
        idleTimer = setTimeout(() => void stop('idle'), idleMinutes * 60_000);
      }
    };

    const daemonServer = new DaemonServer({
      host: config.host,
      tls,
      limits: config.server,
      port: opts.port ?? config.port,
      token,
      logger,
      api: {
        engine,
        keys: new ApiKeyStore(apiKeysPath(opts.configPath)),
        settings: () => configStore.current.defaults,
        timeouts: () => configStore.current.timeouts,
      },
      sessionHost: {
        engine,
        logger,
        defaults: () => configStore.current.defaults,
        timeouts: () => configStore.current.timeouts,
        requestShutdown: () => void stop('client request'),
        codebase,
        models: manager,
      },
      onClientsChanged: armIdle,
    });
    server = daemonServer;
    const port = await daemonServer.listen();
    engine.catalogChanges.onChange((reasons) => daemonServer.broadcast('gearbox/catalogChanged', { reasons }));
    writeDiscovery(paths, {
      pid: process.pid,
      port,
      host: config.host,
      ...(tls ? { tls: { cert: tls.cert.toString('utf8') } } : {}),
      version: VERSION,
      startedAt: new Date().toISOString(),
    });
    logger.info('daemon ready', {
      port,
      runtimeDir: paths.dir,
      version: VERSION,
      runtime: process.versions.electron ? 'electron' : 'node',
    });
    armIdle(0);
    void manager
      .autoDownload()
      .catch((err: Error) => logger.warn('first-start model download failed', { error: err.message }));

    const stop = (reason = 'stop'): Promise<void> => {
      stopping ??= (async () => {
        logger.info('daemon stopping', { reason });
        if (idleTimer) clearTimeout(idleTimer);
        removeIfOurs(paths);
        manager.dispose();
        configStore.close();
        await daemonServer.close().catch(() => {});
        // Unsaved index updates are on disk before the daemon reports that it stopped.
        await codebase.dispose().catch(() => {});
        await host.dispose().catch(() => {});
        // Every record is on disk before the daemon reports that it stopped.
        await usageLedger.close().catch(() => {});
        try {
          fs.unlinkSync(paths.token);
        } catch {
          /* gone */
        }
        lock.release();
        logger.info('daemon stopped');
        resolveStopped();
      })();
      return stopping;
    };
    return {
      port,
      token,
      paths,
      engine,
      server: daemonServer,
      models: manager,
      config: configStore,
      logger,
      stop,
      stopped,
    };
  } catch (err) {
    store?.close();
    await modelHost?.dispose().catch(() => {});
    await ledger?.close().catch(() => {});
    lock.release();
    throw err;
  }
}
