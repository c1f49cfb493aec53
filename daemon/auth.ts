// Who may talk to the daemon: loopback Host (DNS rebinding), no foreign Origin (web pages), and
// the bearer token from the 0600 file (other local users and processes without it).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AuthVerdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function checkRequest(req: IncomingMessage, port: number, token: string): AuthVerdict {
  const host = req.headers.host ?? '';
  if (!allowedHosts(port).has(host.toLowerCase()))
    return { ok: false, status: 403, reason: `host not allowed: "${host}"` };
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts(port).has(originHost(origin))) {
    return { ok: false, status: 403, reason: `origin not allowed: "${origin}"` };
  }
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer (\S+)$/.exec(auth);
  if (!m || !tokenEquals(m[1]!, token)) return { ok: false, status: 401, reason: m ? 'wrong token' : 'missing token' };
  return { ok: true };
}

function originHost(origin: string): string {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' ? u.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

/** Constant-time comparison; hashing first makes the lengths equal and leaks nothing about them. */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
