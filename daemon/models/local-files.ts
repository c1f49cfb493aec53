// Where each configured local model's GGUF is: a file path as configured, or for an hf: source its
// place in the models dir. What the model host is given (downloaded hf: models become their paths),
// and which hf: models cannot serve yet because they are not on disk.
import fs from 'node:fs';
import type { Preset } from '../../shared/protocol';
import type { DaemonConfig, LocalModelConfig } from '../config';
import { isRemoteSource } from '../model-host/resolve';
import { hfUriOf, isHfFile, localPathOf, parseHfUri, type HfFile, type HfRepoTag } from './hub';

export interface LocalFile {
  model: LocalModelConfig;
  kind: 'hf' | 'file';
  /** The hub file (hf: sources naming a file). */
  hf?: HfFile;
  /** An hf: source naming only a repo or quantization: the file is picked when downloading. */
  tag?: HfRepoTag;
  /** Where the GGUF is or will be; null while an hf: tag is unresolved or the URI is unusable. */
  path: string | null;
  /** Why the hf: source cannot be used, when it cannot. */
  invalid?: string;
  presetId: string | null;
}

export interface Places {
  modelsDir: string;
  endpoint: string;
  presets: readonly Preset[];
}

export function locate(model: LocalModelConfig, places: Places): LocalFile {
  if (!isRemoteSource(model.source)) return { model, kind: 'file', path: model.source, presetId: null };
  let ref: HfFile | HfRepoTag;
  try {
    ref = parseHfUri(model.source, places.endpoint);
  } catch (err) {
    return { model, kind: 'hf', path: null, invalid: (err as Error).message, presetId: null };
  }
  if (!isHfFile(ref)) return { model, kind: 'hf', tag: ref, path: null, presetId: null };
  const uri = hfUriOf(ref);
  const preset = places.presets.find((p) => canonical(p.uri, places.endpoint) === uri);
  return { model, kind: 'hf', hf: ref, path: localPathOf(places.modelsDir, ref), presetId: preset?.id ?? null };
}

/** The canonical form of an hf: URI (for comparing two spellings), or the text itself. */
export function canonical(uri: string, endpoint: string): string {
  try {
    const ref = parseHfUri(uri, endpoint);
    return isHfFile(ref) ? hfUriOf(ref) : uri;
  } catch {
    return uri;
  }
}

export function isFile(p: string | null): p is string {
  if (!p) return false;
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A model as the model host must see it: a downloaded hf: model by its path on disk. */
export function hostModelOf(m: LocalModelConfig, places: Places): LocalModelConfig {
  const f = locate(m, places);
  return f.kind === 'hf' && isFile(f.path) ? { ...m, source: f.path } : m;
}

export function hostModelsOf(config: DaemonConfig, places: Places): LocalModelConfig[] {
  return config.localModels.map((m) => hostModelOf(m, places));
}
