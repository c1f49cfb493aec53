// The daemon's side of the runtime directory: the lock (one daemon per user), and writing the token
// and the discovery file. Where the directory is and how clients read it: shared/discovery.ts.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { PROTOCOL_VERSION } from '../shared/protocol';
import { type Discovery, pidAlive, type RuntimePaths } from '../shared/discovery';

export type LockResult = { acquired: true; release: () => void } | { acquired: false; holderPid: number };

/**
 * Exclusive create of the lock file. A lock left by a dead process is taken over; two daemons
 * racing for a fresh lock get exactly one winner because O_EXCL is atomic.
 */
export function acquireLock(paths: RuntimePaths): LockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(paths.lock, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return {
        acquired: true,
        release: () => {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(paths.lock, 'utf8').trim() === String(process.pid)) fs.unlinkSync(paths.lock);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(paths.lock, 'utf8').trim());
      } catch {
        continue; // removed between our open and read: try again
      }
      if (!Number.isInteger(holder) || holder <= 0) {
        // Written-but-empty lock of a racing starter: give it a moment by retrying.
        const age = Date.now() - safeMtime(paths.lock);
        if (age < 2000) return { acquired: false, holderPid: 0 };
      } else if (pidAlive(holder)) {
        return { acquired: false, holderPid: holder };
      }
      try {
        fs.unlinkSync(paths.lock);
      } catch {
        /* someone else removed it */
      }
    }
  }
  return { acquired: false, holderPid: 0 };
}

function safeMtime(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** A fresh 256-bit token each start, written 0600 (atomically, so readers never see half a token). */
export function writeToken(paths: RuntimePaths): string {
  const token = randomBytes(32).toString('base64url');
  writeFileAtomic(paths.token, token);
  return token;
}

export function writeDiscovery(paths: RuntimePaths, d: Omit<Discovery, 'protocolVersion'>): void {
  writeFileAtomic(paths.discovery, JSON.stringify({ ...d, protocolVersion: PROTOCOL_VERSION }, null, 2));
}

export function removeIfOurs(paths: RuntimePaths): void {
  try {
    const d = JSON.parse(fs.readFileSync(paths.discovery, 'utf8')) as { pid?: number };
    if (d.pid === process.pid) fs.unlinkSync(paths.discovery);
  } catch {
    /* not there */
  }
}

function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
