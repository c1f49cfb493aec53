// The HTTP API's keys: stable per user (unlike the daemon's per-start token, tools keep them in their
// config files), one per label so that the usage ledger tells tools apart ("api:<label>"). They live
// in api-keys.json beside the daemon config, a 0600 file of the user's own; `gearbox api-key` prints
// and rotates them, the daemon reads them on each request (a rotation holds at once) and compares in
// constant time. Keys never reach a log: every key read is registered with the logger's redaction.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { tokenEquals } from '../auth';
import { registerSecret } from '../log';

export const API_KEYS_FILE = 'api-keys.json';
export const DEFAULT_KEY_LABEL = 'default';

export const KeyLabel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'a key label is 1-40 of a-z 0-9 . _ - (starting with a letter or digit)');

const KeyFile = z.object({
  version: z.literal(1),
  keys: z.array(z.object({ label: KeyLabel, key: z.string().regex(/^gbx-[A-Za-z0-9_-]{43}$/), createdAt: z.string() })),
});
type KeyFile = z.infer<typeof KeyFile>;

/** Why a key file cannot be trusted; the message names the file and what to do. */
export class UntrustedKeyFileError extends Error {}

/** api-keys.json in the directory of the daemon's config file. */
export function apiKeysPath(configPath: string): string {
  return path.join(path.dirname(path.resolve(configPath)), API_KEYS_FILE);
}

function newKey(): string {
  return `gbx-${randomBytes(32).toString('base64url')}`;
}

export class ApiKeyStore {
  /** What the file held when last read, and the stat it was read at (a changed stat reads it again). */
  private cached: { stamp: string; file: KeyFile } | undefined;

  constructor(readonly file: string) {}

  /**
   * The label of the key presented, or undefined for a wrong key or when there is no usable key
   * file. Compares with every key (constant time each), so timing says nothing about which matched.
   */
  match(presented: string): string | undefined {
    let label: string | undefined;
    for (const k of this.read()?.keys ?? []) if (tokenEquals(presented, k.key) && label === undefined) label = k.label;
    return label;
  }

  /** The key of `label`, created (with the file) when there is none yet. */
  get(label = DEFAULT_KEY_LABEL): string {
    const file = this.read() ?? { version: 1 as const, keys: [] };
    const found = file.keys.find((k) => k.label === label);
    if (found) return found.key;
    return this.put(file, label);
  }

  /** Replaces the key of `label` (creating it when there is none); the old key stops working at once. */
  rotate(label = DEFAULT_KEY_LABEL): string {
    let file: KeyFile;
    try {
      file = this.read() ?? { version: 1, keys: [] };
    } catch (err) {
      // A file others could read is replaced whole: every key in it may have leaked.
      if (!(err instanceof UntrustedKeyFileError) || !this.ownRegularFile()) throw err;
      file = { version: 1, keys: [] };
    }
    return this.put(file, label);
  }

  labels(): string[] {
    return (this.read()?.keys ?? []).map((k) => k.label);
  }

  private put(file: KeyFile, label: string): string {
    const key = newKey();
    const keys = file.keys.filter((k) => k.label !== label);
    keys.push({ label, key, createdAt: new Date().toISOString() });
    this.write({ version: 1, keys });
    registerSecret(key);
    return key;
  }

  /** The file's keys, or undefined when it does not exist; throws UntrustedKeyFileError for a file not safely ours. */
  private read(): KeyFile | undefined {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}:${st.uid}`;
    if (this.cached?.stamp === stamp) return this.cached.file;
    this.check(st);
    let parsed: KeyFile;
    try {
      parsed = KeyFile.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } catch {
      throw new UntrustedKeyFileError(
        `${this.file} is not a valid Gearbox key file; remove it, then run: gearbox api-key`,
      );
    }
    for (const k of parsed.keys) registerSecret(k.key);
    this.cached = { stamp, file: parsed };
    return parsed;
  }

  private check(st: fs.Stats): void {
    if (process.platform === 'win32') return;
    const uid = process.getuid?.();
    if (!st.isFile()) throw new UntrustedKeyFileError(`${this.file} is not a regular file; remove it`);
    if (uid !== undefined && st.uid !== uid)
      throw new UntrustedKeyFileError(`${this.file} is owned by uid ${st.uid}, not by you (uid ${uid}); remove it`);
    if ((st.mode & 0o077) !== 0)
      throw new UntrustedKeyFileError(
        `${this.file} has mode 0${(st.mode & 0o777).toString(8)}: other users may have read the keys; ` +
          'replace them with: gearbox api-key --rotate',
      );
  }

  private ownRegularFile(): boolean {
    try {
      const st = fs.lstatSync(this.file);
      return st.isFile() && (process.getuid === undefined || st.uid === process.getuid());
    } catch {
      return false;
    }
  }

  /** Atomic: a temp file created 0600 in the same dir, then renamed over the old one. */
  private write(file: KeyFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    this.cached = undefined;
  }
}
