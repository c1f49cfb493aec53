// What a local GGUF is, for its capability estimate: family, parameter count and quantisation from
// the file's general.* metadata (name, basename, size_label, file_type), else from the names the
// config gives it. Reads at most the first 1 MiB once per file version (cached by path, size, mtime).
import fs from 'node:fs';
import type { LocalModelConfig } from '../config';
import { identifyFromText, type LocalIdentity, localCapability, quantForFileType } from '../routing/capability';
import type { ModelCapability } from '../../shared/protocol';

const HEAD_BYTES = 1 << 20;
const GGUF_MAGIC = 0x46554747;
const T_STRING = 8;
const T_ARRAY = 9;
/** Byte sizes of GGUF's scalar value types. */
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export interface GgufGeneral {
  name?: string;
  basename?: string;
  sizeLabel?: string;
  finetune?: string;
  architecture?: string;
  fileType?: number;
}

/** The general.* keys of a GGUF file, or undefined when it is not one (or cannot be read). */
export function readGgufGeneral(file: string): GgufGeneral | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = fs.readSync(fd, buf, 0, HEAD_BYTES, 0);
    return parseGeneral(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses the metadata key/values in `head` until the tokenizer's (general.* come first) or the bytes run out. */
export function parseGeneral(head: Buffer): GgufGeneral | undefined {
  if (head.length < 24 || head.readUInt32LE(0) !== GGUF_MAGIC) return undefined;
  const out: GgufGeneral = {};
  let pos = 16; // magic, version, tensor count
  const nKv = Number(head.readBigUInt64LE(pos));
  pos += 8;
  const str = (): string | undefined => {
    if (pos + 8 > head.length) return undefined;
    const len = Number(head.readBigUInt64LE(pos));
    pos += 8;
    if (len > 4096 || pos + len > head.length) return undefined;
    const s = head.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  for (let i = 0; i < nKv && pos < head.length; i++) {
    const key = str();
    if (key === undefined || key.startsWith('tokenizer.') || pos + 4 > head.length) break;
    const type = head.readUInt32LE(pos);
    pos += 4;
    if (type === T_STRING) {
      const v = str();
      if (v === undefined) break;
      if (key === 'general.name') out.name = v;
      else if (key === 'general.basename') out.basename = v;
      else if (key === 'general.size_label') out.sizeLabel = v;
      else if (key === 'general.finetune') out.finetune = v;
      else if (key === 'general.architecture') out.architecture = v;
    } else if (type === T_ARRAY) {
      // Arrays before the tokenizer's are small (tags, languages): skip them item by item.
      if (pos + 12 > head.length) break;
      const itemType = head.readUInt32LE(pos);
      const count = Number(head.readBigUInt64LE(pos + 4));
      pos += 12;
      if (itemType === T_STRING) {
        for (let j = 0; j < count && pos < head.length; j++) if (str() === undefined) return out;
      } else {
        const size = SCALAR_SIZE[itemType];
        if (size === undefined) break;
        pos += size * count;
      }
    } else {
      const size = SCALAR_SIZE[type];
      if (size === undefined || pos + size > head.length) break;
      if (key === 'general.file_type' && (type === 4 || type === 5)) out.fileType = head.readUInt32LE(pos);
      pos += size;
    }
  }
  return out;
}

/** Family, size and quantisation: GGUF metadata first, then the file name, the hf: URI and the id. */
export function identifyGguf(general: GgufGeneral | undefined, ...names: (string | undefined)[]): LocalIdentity {
  const fromMeta = general
    ? identifyFromText(general.basename, general.name, general.sizeLabel && `${general.sizeLabel}`, general.finetune)
    : {};
  const fromNames = identifyFromText(...names);
  const quant = general?.fileType !== undefined ? quantForFileType(general.fileType) : undefined;
  const id: LocalIdentity = {};
  const family = fromMeta.family ?? fromNames.family;
  const paramsB = fromMeta.paramsB ?? fromNames.paramsB;
  const q = quant ?? fromMeta.quant ?? fromNames.quant;
  if (family) id.family = family;
  if (paramsB) id.paramsB = paramsB;
  if (q) id.quant = q;
  return id;
}

const cache = new Map<string, { key: string; capability: ModelCapability | undefined }>();

/**
 * A configured local model's capability from its GGUF (when `source` is a file on disk) and its
 * names; undefined when neither tells its size (the catalog then falls back to its tier).
 */
export function localModelCapability(l: LocalModelConfig): ModelCapability | undefined {
  let general: GgufGeneral | undefined;
  let key = `${l.source}\u0000${l.displayName ?? ''}`;
  const onDisk = !/^(hf:|huggingface:|https?:\/\/)/i.test(l.source);
  let st: fs.Stats | undefined;
  if (onDisk) {
    try {
      st = fs.statSync(l.source);
      key += `\u0000${st.size}\u0000${st.mtimeMs}`;
    } catch {
      /* not on disk (yet): names only */
    }
  }
  const hit = cache.get(l.id);
  if (hit?.key === key) return hit.capability;
  if (st) general = readGgufGeneral(l.source);
  const capability = localCapability(identifyGguf(general, l.source, l.id, l.displayName));
  cache.set(l.id, { key, capability });
  return capability;
}
