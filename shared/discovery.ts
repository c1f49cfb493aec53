// The discovery contract between the daemon and its clients: where the per-user runtime directory
// is, what the discovery file says, and how a client reads it and the token.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const Discovery = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().positive(),
  host: z.string(),
  /** Present and true when the daemon serves wss:// (a TLS config). */
  tls: z.boolean().optional(),
  protocolVersion: z.number().int(),
  version: z.string(),
  startedAt: z.string(),
});
export type Discovery = z.infer<typeof Discovery>;

export interface RuntimePaths {
  dir: string;
  lock: string;
  discovery: string;
  token: string;
  log: string;
}

/** $GEARBOX_RUNTIME_DIR, else $XDG_RUNTIME_DIR/gearbox, else <tmp>/gearbox-<uid>. */
export function defaultRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GEARBOX_RUNTIME_DIR) return path.resolve(env.GEARBOX_RUNTIME_DIR);
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'gearbox');
  const uid = typeof process.getuid === 'function' ? process.getuid() : os.userInfo().username;
  return path.join(os.tmpdir(), `gearbox-${uid}`);
}

export function runtimePaths(dir: string): RuntimePaths {
  return {
    dir,
    lock: path.join(dir, 'daemon.lock'),
    discovery: path.join(dir, 'daemon.json'),
    token: path.join(dir, 'token'),
    log: path.join(dir, 'daemon.log'),
  };
}

/** Creates the dir with mode 0700, and refuses one that others can read or that another user owns. */
export function ensureRuntimeDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  // A symlink planted by someone else (e.g. in a shared /tmp) must not redirect our token.
  const link = fs.lstatSync(dir);
  if (link.isSymbolicLink() && uid !== undefined && link.uid !== uid && process.platform !== 'win32') {
    throw new Error(`Runtime dir ${dir} is a symlink owned by another user (uid ${link.uid}); refusing to use it`);
  }
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw new Error(`Runtime path ${dir} is not a directory`);
  if (process.platform === 'win32') return;
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`Runtime dir ${dir} belongs to another user (uid ${st.uid}); refusing to use it`);
  }
  // A dir we created but that was pre-made with looser bits (umask, old version): tighten it,
  // and make sure that worked before a token goes in.
  if ((st.mode & 0o077) !== 0) {
    fs.chmodSync(dir, 0o700);
    if ((fs.statSync(dir).mode & 0o077) !== 0)
      throw new Error(`Runtime dir ${dir} is readable by others and cannot be made private (chmod 0700 failed)`);
  }
  // Files an older run left with looser bits (a log opened under another umask): private too.
  for (const name of ['daemon.lock', 'daemon.json', 'token', 'daemon.log']) {
    const file = path.join(dir, name);
    try {
      const f = fs.lstatSync(file);
      if (f.isSymbolicLink()) fs.unlinkSync(file);
      else if ((f.mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    } catch {
      /* not there */
    }
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readToken(paths: RuntimePaths): string {
  return fs.readFileSync(paths.token, 'utf8').trim();
}

export function readDiscovery(paths: RuntimePaths): Discovery | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(paths.discovery, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = Discovery.safeParse(json);
  if (!parsed.success || !pidAlive(parsed.data.pid)) return undefined;
  return parsed.data;
}
