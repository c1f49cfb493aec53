// A Hugging Face hub on loopback, speaking what the daemon's downloader asks for: the tree API
// (`/api/models/<owner>/<repo>/tree/<rev>[/<dir>]`, with LFS size and sha256) and the files
// (`/<owner>/<repo>/resolve/<rev>/<path>`, HEAD and GET with Range). It counts the bytes it serves,
// per response too, and a test can script the next GET of a file: pause after N bytes (until released,
// or until the client drops the connection), or cut the connection after N bytes; or stall a file at an
// offset: whichever response reaches it first goes silent there, the connection open, until the client
// hangs up. It can also publish a wrong size or sha256.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFileSpec {
  /** "owner/repo". */
  repo: string;
  /** Path inside the repo. */
  path: string;
  /** The bytes: a local file to serve. */
  file: string;
  /** Published size instead of the real one (e.g. absurdly large, or wrong). */
  announcedSize?: number;
  /** Published sha256 instead of the real one; null publishes none (no LFS entry). */
  announcedSha256?: string | null;
}

export interface GetScript {
  /** Stop sending after this many bytes of the response, until `release()` or the client hangs up. */
  pauseAt?: number;
  /** Destroy the connection after this many bytes of the response. */
  cutAt?: number;
}

export interface HubRequest {
  method: string;
  path: string;
  range?: string;
  /** For a GET of a file: the offset in the file of the first byte of the response. */
  offset: number;
  /** Body bytes sent in answer to this request. */
  served: number;
  /** The client closed the connection while a pause held the response. */
  dropped: boolean;
}

interface Entry extends HubFileSpec {
  size: number;
  sha256: string;
}

type HubEvents = {
  /** A GET of a file arrived (emitted before any byte is sent). */
  get: [path: string, request: HubRequest];
  paused: [path: string, bytes: number];
  /** The client hung up on a paused response. */
  dropped: [path: string, request: HubRequest];
  cut: [path: string];
};

export class FakeHfHub extends EventEmitter<HubEvents> {
  readonly requests: HubRequest[] = [];
  private readonly files = new Map<string, Entry>();
  private readonly scripts = new Map<string, GetScript[]>();
  private readonly stalls = new Map<string, number>();
  private readonly served = new Map<string, number>();
  private releases: (() => void)[] = [];
  private readonly server: http.Server;
  url = '';

  constructor() {
    super();
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Serves a file (its sha256 is computed once, like the hub's LFS oid). */
  add(spec: HubFileSpec): Entry {
    const bytes = fs.readFileSync(spec.file);
    const entry = { ...spec, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    this.files.set(`${spec.repo}/${spec.path}`, entry);
    return entry;
  }

  /** The `hf:` URI of a served file. */
  uri(repo: string, file: string): string {
    return `hf:${repo}/${file}`;
  }

  /** Scripts the next GET of `repo/path` (scripts queue up, one per request). */
  nextGet(repo: string, path: string, script: GetScript): void {
    const key = `${repo}/${path}`;
    this.scripts.set(key, [...(this.scripts.get(key) ?? []), script]);
  }

  /**
   * The first response of `repo/path` to reach byte `offset` of the file sends nothing more and keeps
   * the connection open until the client hangs up (a response dropped before reaching it leaves the
   * stall for the next one).
   */
  stallAt(repo: string, path: string, offset: number): void {
    this.stalls.set(`${repo}/${path}`, offset);
  }

  /** Lets paused responses go on. */
  release(): void {
    const waiting = this.releases;
    this.releases = [];
    for (const r of waiting) r();
  }

  /** Body bytes served for one file (or all). */
  bytesServed(repo?: string, path?: string): number {
    if (repo && path) return this.served.get(`${repo}/${path}`) ?? 0;
    return [...this.served.values()].reduce((a, b) => a + b, 0);
  }

  fileGets(repo: string, path: string): HubRequest[] {
    return this.requests.filter(
      (r) => r.method === 'GET' && r.path.startsWith(`/${repo}/resolve/`) && r.path.endsWith(`/${path}`),
    );
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://hub');
    const pathname = decodeURIComponent(url.pathname);
    const request: HubRequest = {
      method: req.method ?? 'GET',
      path: pathname,
      range: req.headers.range,
      offset: 0,
      served: 0,
      dropped: false,
    };
    this.requests.push(request);
    const tree = /^\/api\/models\/([^/]+)\/([^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(pathname);
    if (tree && req.method === 'GET') return this.tree(`${tree[1]}/${tree[2]}`, tree[4] ?? '', res);
    const resolve = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(pathname);
    if (resolve) return this.file(`${resolve[1]}/${resolve[2]}/${resolve[4]}`, request, req, res);
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not Found' }));
  }

  private tree(repo: string, dir: string, res: http.ServerResponse): void {
    const inRepo = [...this.files.values()].filter((f) => f.repo === repo);
    if (!inRepo.length) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }));
      return;
    }
    const prefix = dir ? `${dir}/` : '';
    const entries = inRepo
      .filter((f) => f.path.startsWith(prefix) && !f.path.slice(prefix.length).includes('/'))
      .map((f) => {
        const size = f.announcedSize ?? f.size;
        const sha = f.announcedSha256 === undefined ? f.sha256 : f.announcedSha256;
        return {
          type: 'file',
          oid: createHash('sha1').update(f.path).digest('hex'),
          size,
          path: f.path,
          ...(sha === null ? {} : { lfs: { oid: sha, size, pointerSize: 135 } }),
        };
      });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
  }

  private file(key: string, request: HubRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    const f = this.files.get(key);
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : f.size - 1;
    const headers: http.OutgoingHttpHeaders = {
      'accept-ranges': 'bytes',
      etag: `"${f.sha256}"`,
      'x-linked-size': String(f.announcedSize ?? f.size),
      ...(f.announcedSha256 === null ? {} : { 'x-linked-etag': `"${f.announcedSha256 ?? f.sha256}"` }),
    };
    if (start >= f.size) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${f.size}` }).end();
      return;
    }
    const length = end - start + 1;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': String(length),
      'content-type': 'application/octet-stream',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${f.size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const script = this.scripts.get(key)?.shift() ?? {};
    request.offset = start;
    this.emit('get', key, request);
    void this.stream(key, f, { start, end }, script, request, res);
  }

  private async stream(
    key: string,
    f: Entry,
    { start, end }: { start: number; end: number },
    script: GetScript,
    request: HubRequest,
    res: http.ServerResponse,
  ) {
    let sent = 0;
    const count = (n: number) => {
      sent += n;
      request.served += n;
      this.served.set(key, (this.served.get(key) ?? 0) + n);
    };
    const write = (chunk: Buffer) =>
      new Promise<void>((resolve, reject) => res.write(chunk, (err) => (err ? reject(err) : resolve())));
    const stall = this.stalls.get(key);
    const stallHere = stall !== undefined && script.pauseAt === undefined && script.cutAt === undefined;
    const stopAt = stallHere ? stall - start : (script.pauseAt ?? script.cutAt);
    try {
      for await (const raw of fs.createReadStream(f.file, { start, end, highWaterMark: 64 * 1024 })) {
        let chunk = raw as Buffer;
        if (stopAt !== undefined && sent < stopAt && sent + chunk.length >= stopAt) {
          const head = chunk.subarray(0, stopAt - sent);
          await write(head);
          count(head.length);
          chunk = chunk.subarray(head.length);
          if (stallHere) this.stalls.delete(key);
          if (script.cutAt !== undefined) {
            res.socket?.destroy();
            this.emit('cut', key);
            return;
          }
          this.emit('paused', key, sent);
          await new Promise<void>((resolve) => {
            const onClose = () => {
              request.dropped = true;
              this.emit('dropped', key, request);
              resolve();
            };
            if (res.destroyed) return onClose();
            res.once('close', onClose);
            this.releases.push(() => {
              res.off('close', onClose);
              resolve();
            });
          });
          if (res.destroyed) return;
        }
        if (!chunk.length) continue;
        await write(chunk);
        count(chunk.length);
      }
      res.end();
    } catch {
      // the client went away
    }
  }
}

export async function startFakeHfHub(): Promise<FakeHfHub> {
  return new FakeHfHub().listen();
}
