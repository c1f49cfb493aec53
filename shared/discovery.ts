// The discovery contract between the daemon and its clients: where the per-user runtime directory
// is, what the discovery file says, and how a client reads it and the token.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const Discovery = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().positive(),
  /** The address the daemon listens on; clients reach it at daemonHostPort(host, port). */
  host: z.string(),
  /**
   * Present when the daemon serves wss:// (a TLS config): its certificate (PEM, the served one
   * first). Clients accept exactly that certificate, so no CA and no hostname are involved.
   */
  tls: z.object({ cert: z.string().includes('-----BEGIN CERTIFICATE-----') }).optional(),
  protocolVersion: z.number().int(),
  version: z.string(),
  startedAt: z.string(),
});
export type Discovery = z.infer<typeof Discovery>;

/**
 * The host:port a client connects to, and sends as Host, for a daemon bound to `host`: a wildcard
 * bind (0.0.0.0, ::) is reached on loopback; IPv6 addresses are bracketed.
 */
export function daemonHostPort(host: string, port: number): string {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === '' || h === '0.0.0.0') return `127.0.0.1:${port}`;
  if (net.isIPv6(h)) return /^[0:]+$/.test(h) ? `[::1]:${port}` : `[${h}]:${port}`;
  return `${h}:${port}`;
}

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
    throw new UntrustedRuntimeError(dir, `it is a symbolic link owned by uid ${link.uid}`, PLANTED);
  }
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw new Error(`Runtime path ${dir} is not a directory`);
  if (process.platform === 'win32') return;
  if (uid !== undefined && st.uid !== uid) {
    throw new UntrustedRuntimeError(dir, `it is owned by uid ${st.uid}, not by you (uid ${uid})`, PLANTED);
  }
  // A dir we created but that was pre-made with looser bits (umask, old version): tighten it,
  // and make sure that worked before a token goes in.
  if ((st.mode & 0o077) !== 0) {
    fs.chmodSync(dir, 0o700);
    if ((fs.statSync(dir).mode & 0o077) !== 0)
      throw new Error(`Runtime dir ${dir} is readable by others and cannot be made private (chmod 0700 failed)`);
  }
  // Files an older run left with looser bits (a log opened under another umask): private too. Links
  // and files of another user can only have been planted while the dir was open: remove them.
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      const f = fs.lstatSync(file);
      if (f.isSymbolicLink() || (uid !== undefined && f.uid !== uid)) fs.rmSync(file, { recursive: true });
      else if ((f.mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * Whether `pid` is a live process of ours. A pid we may not signal (EPERM) belongs to another user:
 * never our daemon, which runs as us, but a stale file whose pid was reused.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The runtime dir or one of its files is not private to this user: a client must not use it. */
export class UntrustedRuntimeError extends Error {
  constructor(
    readonly path: string,
    why: string,
    remedy: string,
  ) {
    super(`Refusing to use ${path}: ${why}. ${remedy}`);
  }
}

const PLANTED =
  'Another user may have created it to receive your code and API keys. Remove it (as that user or root), ' +
  'or set GEARBOX_RUNTIME_DIR to a directory only you can access.';

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Checks that `p` is ours and private (a dir 0700, a file 0600, neither a symlink another user made)
 * before a client believes what it says: in a shared /tmp another user can create the dir first,
 * with a discovery file and a token pointing at their own listener.
 */
function assertPrivate(p: string, kind: 'dir' | 'file'): void {
  const uid = process.getuid?.();
  if (process.platform === 'win32' || uid === undefined) return;
  const link = fs.lstatSync(p);
  if (link.isSymbolicLink() && (kind === 'file' || link.uid !== uid))
    throw new UntrustedRuntimeError(p, `it is a symbolic link owned by uid ${link.uid}`, PLANTED);
  const st = link.isSymbolicLink() ? fs.statSync(p) : link;
  if (kind === 'dir' ? !st.isDirectory() : !st.isFile())
    throw new UntrustedRuntimeError(p, `it is not a ${kind === 'dir' ? 'directory' : 'regular file'}`, PLANTED);
  if (st.uid !== uid)
    throw new UntrustedRuntimeError(p, `it is owned by uid ${st.uid}, not by you (uid ${uid})`, PLANTED);
  if ((st.mode & 0o077) !== 0) {
    const fix = kind === 'dir' ? `chmod 700 ${p}` : `chmod 600 ${p}`;
    throw new UntrustedRuntimeError(
      p,
      `its mode ${octal(st.mode)} lets other users read or change it`,
      `If you made it so, fix it with \`${fix}\`, or stop the daemon and remove it (a new start writes a new token).`,
    );
  }
}

/** `p` after the checks, or undefined where it does not exist (no daemon there). */
function readPrivate(dir: string, file: string): string | undefined {
  try {
    assertPrivate(dir, 'dir');
    assertPrivate(file, 'file');
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The token, from a private file in a private dir (else UntrustedRuntimeError). */
export function readToken(paths: RuntimePaths): string {
  const token = readPrivate(paths.dir, paths.token);
  if (token === undefined) throw new Error(`The daemon's token file ${paths.token} is missing; restart the daemon`);
  return token.trim();
}

/**
 * The live daemon's discovery file; undefined where there is none, or it is unreadable or stale.
 * Throws UntrustedRuntimeError where the dir or the file is not private to this user.
 */
export function readDiscovery(paths: RuntimePaths): Discovery | undefined {
  const raw = readPrivate(paths.dir, paths.discovery);
  if (raw === undefined) return undefined;
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
