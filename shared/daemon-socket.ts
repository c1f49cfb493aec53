// Opening the authenticated WebSocket to the daemon a discovery file describes: at the address it
// listens on, ws:// or wss://, and for wss only to the exact certificate the daemon wrote into that
// (private, owner-checked) file. Every client goes through here: the CLI, the extension, the benches.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import WebSocket from 'ws';
import { type Discovery, daemonHostPort } from './discovery';

export function daemonUrl(d: Pick<Discovery, 'host' | 'port' | 'tls'>): string {
  return `${d.tls ? 'wss' : 'ws'}://${daemonHostPort(d.host, d.port)}/`;
}

/** The daemon answered the upgrade with an HTTP error (401, 403, 503) instead of a WebSocket. */
export class DaemonRefusedError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(`The daemon at ${url} refused the connection: HTTP ${status}${reason ? ` (${reason})` : ''}`);
  }
}

/** The daemon presented a certificate other than the one pinned in its discovery file: nothing was sent. */
export class CertificateMismatchError extends Error {
  constructor(url: string, why: string) {
    super(
      `The daemon at ${url} did not present the certificate in its discovery file (${why}); ` +
        'refusing to send it the token. Restart the daemon if you changed its certificate.',
    );
  }
}

export interface DaemonSocketOptions {
  handshakeTimeoutMs?: number;
  /** More ws client options (tests offer compression and the like); auth and TLS are set here. */
  ws?: WebSocket.ClientOptions;
}

/** The certificate pin as TLS options: the pinned PEM is the only trust anchor, its fingerprint must match. */
function pinnedTls(pem: string) {
  const expected = new X509Certificate(pem).fingerprint256;
  return {
    ca: pem,
    // Replaces the hostname check: the exact certificate is what is trusted, whatever name it carries.
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined =>
      cert.fingerprint256 === expected
        ? undefined
        : Object.assign(new Error(`SHA-256 ${cert.fingerprint256}, pinned ${expected}`), { code: 'PIN_MISMATCH' }),
  };
}

/** OpenSSL's and our own verdicts on the peer's certificate (not connection errors). */
function isCertificateError(err: NodeJS.ErrnoException): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_|PIN_MISMATCH/.test(err.code ?? '');
}

/** Reads a short refusal body ("too many connections …") to say why, then drops the response. */
function refusal(url: string, res: IncomingMessage): Promise<DaemonRefusedError> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < 512) body += chunk;
    });
    const done = () => resolve(new DaemonRefusedError(url, res.statusCode ?? 0, body.trim().slice(0, 512)));
    res.once('end', done);
    res.once('error', done);
  });
}

/** Connects, authenticates and resolves once the WebSocket is open; rejects with a clear reason otherwise. */
export function openDaemonSocket(
  discovery: Discovery,
  token: string,
  opts: DaemonSocketOptions = {},
): Promise<WebSocket> {
  const url = daemonUrl(discovery);
  let pin: ReturnType<typeof pinnedTls> | undefined;
  try {
    pin = discovery.tls ? pinnedTls(discovery.tls.cert) : undefined;
  } catch (err) {
    return Promise.reject(
      new Error(`The daemon's discovery file holds no valid certificate: ${(err as Error).message}`),
    );
  }
  const options: WebSocket.ClientOptions = {
    perMessageDeflate: false,
    handshakeTimeout: opts.handshakeTimeoutMs ?? 5000,
    ...opts.ws,
    headers: { ...opts.ws?.headers, authorization: `Bearer ${token}` },
  };
  // ws hands these to tls.connect; @types/ws still types checkServerIdentity in an old boolean form.
  if (pin) Object.assign(options, pin);
  const socket = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      socket.off('open', onOpen).off('error', onError).off('unexpected-response', onRefused);
      if (!err) return resolve(socket);
      // Aborting a handshake reports one more error: nobody is waiting for it any more.
      socket.on('error', () => {});
      socket.terminate();
      reject(err);
    };
    const onOpen = () => settle();
    const onError = (err: NodeJS.ErrnoException) =>
      settle(pin && isCertificateError(err) ? new CertificateMismatchError(url, err.message) : err);
    const onRefused = (_req: unknown, res: IncomingMessage) => void refusal(url, res).then(settle);
    socket.on('open', onOpen).on('error', onError).on('unexpected-response', onRefused);
  });
}
