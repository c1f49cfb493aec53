// Who may talk to the daemon: loopback Host (DNS rebinding), no foreign Origin (web pages), and
// the bearer token from the 0600 file (other local users and processes without it). Works on any
// HTTP request, WebSocket upgrades and plain requests alike.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { daemonHostPort } from '../shared/discovery';

export type RefusalReason = 'host-not-allowed' | 'origin-not-allowed' | 'missing-token' | 'wrong-token';

export type AuthVerdict =
  | { ok: true }
  /** `value`: the offending header as sent (unbounded: clip it before logging). */
  | { ok: false; status: 401 | 403; reason: RefusalReason; value?: string };

export interface AuthPolicy {
  port: number;
  token: string;
  /** The address the daemon listens on: where it is not loopback (TLS), clients reach it by that name too. */
  bindHost?: string;
}

export function allowedHosts(port: number, bindHost?: string): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  if (bindHost) hosts.add(daemonHostPort(bindHost, port));
  return hosts;
}

export function checkRequest(req: IncomingMessage, policy: AuthPolicy): AuthVerdict {
  const where = checkHostAndOrigin(req, policy);
  if (!where.ok) return where;
  // The auth scheme is case-insensitive (RFC 7235 §2.1); the token itself is not.
  const m = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return { ok: false, status: 401, reason: 'missing-token' };
  if (!tokenEquals(m[1]!, policy.token)) return { ok: false, status: 401, reason: 'wrong-token' };
  return { ok: true };
}

/**
 * The checks that hold for every request whatever its credential (the daemon's token, or the HTTP
 * API's key): a loopback Host, and no Origin but the daemon's own.
 */
export function checkHostAndOrigin(req: IncomingMessage, policy: Omit<AuthPolicy, 'token'>): AuthVerdict {
  const hosts = allowedHosts(policy.port, policy.bindHost);
  const host = req.headers.host ?? '';
  if (!hosts.has(host.toLowerCase())) return { ok: false, status: 403, reason: 'host-not-allowed', value: host };
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.has(originHost(origin)))
    return { ok: false, status: 403, reason: 'origin-not-allowed', value: origin };
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
