// The daemon's code-search indexes, one per workspace folder, shared by every connection that has
// that folder open (two windows on one folder share one index and its progress). Each runs in its
// own worker thread (folder-index.ts), started on first use.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodebaseIndexConfig, LocalModelConfig } from '../config';
import type { ModelHostApi } from '../model-host-api';
import type { Logger } from '../log';
import { FolderIndex } from './folder-index';
import { indexDirFor } from './store';
import type { Embedder } from './workspace-index';

export interface CodebaseIndexesOptions {
  config: CodebaseIndexConfig;
  /** Folder holding one index folder per workspace folder. */
  baseDir: string;
  localModels: readonly LocalModelConfig[];
  modelHost: ModelHostApi;
  logger: Logger;
  /** The index worker's entry; default: index-worker.mjs next to this bundle, else the source. */
  workerEntry?: string;
}

/** The index worker next to this bundle (dist/daemon/index-worker.mjs), else its source (tsx). */
export function defaultIndexWorkerEntry(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const bundled = path.join(here, 'index-worker.mjs');
  return fs.existsSync(bundled) ? bundled : path.join(here, 'index-worker.ts');
}

export class CodebaseIndexes {
  private readonly indexes = new Map<string, FolderIndex>();
  private readonly embedder?: Embedder;

  constructor(private readonly opts: CodebaseIndexesOptions) {
    const model = opts.localModels.find((m) => m.tasks?.includes('embedding'));
    const host = opts.modelHost;
    if (model && host.embed) {
      this.embedder = {
        model: model.id,
        embed: async (texts, signal) => (await host.embed!({ modelId: model.id, texts }, signal)).vectors,
      };
    }
  }

  get config(): CodebaseIndexConfig {
    return this.opts.config;
  }

  /** The index of a workspace folder (its worker starts on first use). */
  get(root: string): FolderIndex {
    const key = path.resolve(root);
    let index = this.indexes.get(key);
    if (!index) {
      index = new FolderIndex({
        root: key,
        dir: indexDirFor(this.opts.baseDir, key),
        config: this.opts.config,
        embedder: this.embedder,
        logger: this.opts.logger.child({ component: 'codebase', root: key }),
        workerEntry: this.opts.workerEntry ?? defaultIndexWorkerEntry(),
      });
      this.indexes.set(key, index);
    }
    return index;
  }

  /** Saves what is unsaved and ends the workers (the daemon is stopping). */
  async dispose(): Promise<void> {
    await Promise.all([...this.indexes.values()].map((i) => i.dispose().catch(() => {})));
    this.indexes.clear();
  }
}
