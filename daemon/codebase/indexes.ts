// The daemon's code-search indexes, one per workspace folder, shared by every connection that has
// that folder open (two windows on one folder share one index and its progress).
import path from 'node:path';
import type { CodebaseIndexConfig } from '../config';
import type { LocalModelConfig } from '../config';
import type { ModelHostApi } from '../model-host-api';
import type { Logger } from '../log';
import { indexDirFor } from './store';
import { WorkspaceIndex, type Embedder } from './workspace-index';

export interface CodebaseIndexesOptions {
  config: CodebaseIndexConfig;
  /** Folder holding one index folder per workspace folder. */
  baseDir: string;
  localModels: readonly LocalModelConfig[];
  modelHost: ModelHostApi;
  logger: Logger;
}

export class CodebaseIndexes {
  private readonly indexes = new Map<string, WorkspaceIndex>();
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

  /** The index of a workspace folder (created, not yet loaded, on first use). */
  get(root: string): WorkspaceIndex {
    const key = path.resolve(root);
    let index = this.indexes.get(key);
    if (!index) {
      index = new WorkspaceIndex({
        root: key,
        dir: indexDirFor(this.opts.baseDir, key),
        config: this.opts.config,
        embedder: this.embedder,
        logger: this.opts.logger.child({ component: 'codebase', root: key }),
      });
      this.indexes.set(key, index);
    }
    return index;
  }

  /** Saves what is unsaved (the daemon is stopping). */
  async dispose(): Promise<void> {
    await Promise.all([...this.indexes.values()].map((i) => i.dispose().catch(() => {})));
    this.indexes.clear();
  }
}
