// The daemon's door on plain request objects (what every HTTP request and upgrade goes through):
// Host allow-list with the bind address, Origin, and the bearer token with a case-insensitive scheme.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { allowedHosts, checkRequest } from '../../daemon/auth';
import { daemonHostPort } from '../../shared/discovery';
import { daemonUrl } from '../../shared/daemon-socket';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const policy = { port: 4000, token: 'tok' };

describe('auth: the bearer token', () => {
  it('accepts the scheme in any case (RFC 7235), the token only exactly', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR'])
      assert.deepEqual(checkRequest(req({ host: '127.0.0.1:4000', authorization: `${scheme} tok` }), policy), {
        ok: true,
      });
    assert.equal(checkRequest(req({ host: '127.0.0.1:4000', authorization: 'bearer TOK' }), policy).ok, false);
    const missing = checkRequest(req({ host: '127.0.0.1:4000', authorization: 'Basic tok' }), policy);
    assert.deepEqual(missing, { ok: false, status: 401, reason: 'missing-token' });
    const wrong = checkRequest(req({ host: '127.0.0.1:4000', authorization: 'Bearer nope' }), policy);
    assert.deepEqual(wrong, { ok: false, status: 401, reason: 'wrong-token' });
  });

  it('names the refused header by a reason code and hands its value back for the log', () => {
    const host = 'h'.repeat(15_000);
    assert.deepEqual(checkRequest(req({ host, authorization: 'Bearer tok' }), policy), {
      ok: false,
      status: 403,
      reason: 'host-not-allowed',
      value: host,
    });
    const origin = checkRequest(req({ host: 'localhost:4000', origin: 'http://evil.example' }), policy);
    assert.deepEqual(origin, { ok: false, status: 403, reason: 'origin-not-allowed', value: 'http://evil.example' });
  });
});

describe('auth: where clients reach the daemon', () => {
  it('maps the bind address to the host:port clients connect to and send as Host', () => {
    assert.equal(daemonHostPort('127.0.0.1', 1), '127.0.0.1:1');
    assert.equal(daemonHostPort('0.0.0.0', 1), '127.0.0.1:1');
    assert.equal(daemonHostPort('::', 1), '[::1]:1');
    assert.equal(daemonHostPort('[::1]', 1), '[::1]:1');
    assert.equal(daemonHostPort('LocalHost', 1), 'localhost:1');
    assert.equal(daemonHostPort('192.168.1.5', 1), '192.168.1.5:1');
    assert.equal(daemonHostPort('fd00::5', 1), '[fd00::5]:1');
    assert.equal(daemonUrl({ host: '0.0.0.0', port: 7 }), 'ws://127.0.0.1:7/');
    const cert = '-----BEGIN CERTIFICATE-----\n...';
    assert.equal(daemonUrl({ host: '192.168.1.5', port: 7, tls: { cert } }), 'wss://192.168.1.5:7/');
  });

  it('allows the Host of an explicit (TLS) bind address, and only loopback names otherwise', () => {
    assert.deepEqual([...allowedHosts(9)], ['127.0.0.1:9', 'localhost:9', '[::1]:9']);
    assert.ok(allowedHosts(9, '192.168.1.5').has('192.168.1.5:9'));
    assert.ok(allowedHosts(9, 'fd00::5').has('[fd00::5]:9'));
    assert.equal(allowedHosts(9, '0.0.0.0').size, 3, 'a wildcard bind adds no name');
    const lan = { ...policy, bindHost: '192.168.1.5' };
    assert.equal(checkRequest(req({ host: '192.168.1.5:4000', authorization: 'Bearer tok' }), lan).ok, true);
    assert.equal(checkRequest(req({ host: '192.168.1.6:4000', authorization: 'Bearer tok' }), lan).ok, false);
    assert.equal(checkRequest(req({ host: '192.168.1.5:4000', authorization: 'Bearer tok' }), policy).ok, false);
  });
});
