// The usage ledger: one JSON line per request that reached a model (see daemon/usage/record.ts for
// the fields and the counterfactual definition), and one per feedback signal about an answer
// (daemon/usage/feedback-record.ts), appended to ledger.jsonl in the daemon's state dir.
//
// Durability: the file is opened O_APPEND (mode 0600); each record is serialized to one line and
// queued; the queue is drained by one write() of all queued lines followed by one fsync, so every
// line is written whole by a single write and is on disk before record() resolves. Completions are
// frequent, so the fsync cost is shared by whatever queued meanwhile rather than paid per request.
// close() (daemon stop) drains the queue first. A crash can at worst leave a torn last line: on
// load it is skipped and reported, and the next append starts on a fresh line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes, type UsageParams, type UsageResult } from '../shared/protocol';
import { GearboxError } from './gearbox-error';
import { redact, silentLogger, type Logger } from './log';
import { UsageAggregator, UsageRangeError } from './usage/aggregate';
import { FeedbackRecord } from './usage/feedback-record';
import { buildRecord, LedgerRecord, type RequestOutcome } from './usage/record';
import { RoutingAggregator } from './usage/routing-stats';

export { LedgerRecord, type RequestOutcome } from './usage/record';

const write = (fd: number, buf: Buffer, offset: number, length: number): Promise<number> =>
  new Promise((resolve, reject) =>
    fs.write(fd, buf, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))),
  );
const fsync = promisify(fs.fsync);

/**
 * `$XDG_STATE_HOME/gearbox/ledger.jsonl`, else `~/.local/state/gearbox/ledger.jsonl`
 * (`%LOCALAPPDATA%\gearbox` on Windows).
 */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'gearbox', 'ledger.jsonl');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'gearbox', 'ledger.jsonl');
  return path.join(env.HOME || os.homedir(), '.local', 'state', 'gearbox', 'ledger.jsonl');
}

export interface LedgerScan {
  records: number;
  /** A last line without its newline: a write cut short by a crash. */
  torn: number;
  /** Complete lines that are not valid records (skipped). */
  invalid: number;
}

/**
 * Reads a ledger (or its first `endByte` bytes), calling onRecord for each valid request record and
 * onFeedback for each feedback record (both count as records). Never throws on content: torn and
 * invalid lines are counted and skipped. A missing file is empty.
 */
export async function scanLedger(
  file: string,
  onRecord: (r: LedgerRecord) => void,
  endByte?: number,
  onFeedback?: (f: FeedbackRecord) => void,
): Promise<LedgerScan> {
  const scan: LedgerScan = { records: 0, torn: 0, invalid: 0 };
  if (endByte === 0) return scan;
  let stream: fs.ReadStream;
  try {
    stream = fs.createReadStream(file, { start: 0, ...(endByte !== undefined ? { end: endByte - 1 } : {}) });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return scan;
    throw err;
  }
  const line = (text: string) => {
    if (!text.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      scan.invalid++;
      return;
    }
    if ((json as { kind?: unknown } | null)?.kind === 'feedback') {
      const fb = FeedbackRecord.safeParse(json);
      if (!fb.success) {
        scan.invalid++;
        return;
      }
      scan.records++;
      onFeedback?.(fb.data);
      return;
    }
    const parsed = LedgerRecord.safeParse(json);
    if (!parsed.success) {
      scan.invalid++;
      return;
    }
    scan.records++;
    onRecord(parsed.data);
  };
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    const buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      line(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    rest = buf.subarray(start);
  }
  if (rest.length && rest.toString('utf8').trim()) scan.torn++;
  return scan;
}

export interface LedgerOptions {
  logger?: Logger;
  /** The clock (tests). */
  now?: () => Date;
}

export class UsageLedger {
  readonly aggregator = new UsageAggregator();
  /** Acceptance, escalation and savings over requests and feedback (gearbox/routing/stats). */
  readonly routing = new RoutingAggregator();
  /** Lines skipped when the ledger was loaded (torn or invalid). */
  skippedLines = 0;
  writeErrors = 0;
  private fd: number | null = null;
  private needsNewline = false;
  private queue: { line: string; done: () => void }[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** Resolves when the existing records have been loaded into the totals. */
  ready: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string | null,
    opts: LedgerOptions,
  ) {
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
  }

  /** A ledger that keeps its totals in memory only (no file, or the file could not be opened). */
  static inMemory(opts: LedgerOptions = {}): UsageLedger {
    return new UsageLedger(null, opts);
  }

  /**
   * Opens (creating it 0600, and its directory 0700) the ledger for appending, and loads its
   * records in the background (`ready`). A ledger that cannot be opened is not fatal: the daemon
   * keeps working and counts in memory, with a warning.
   */
  static open(file: string, opts: LedgerOptions = {}): UsageLedger {
    const ledger = new UsageLedger(file, opts);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
      ledger.fd = fd;
      try {
        fs.fchmodSync(fd, 0o600);
      } catch {
        /* not ours to chmod (or Windows): leave it */
      }
      const size = fs.fstatSync(fd).size;
      if (size > 0) {
        const rfd = fs.openSync(file, 'r');
        try {
          const last = Buffer.alloc(1);
          fs.readSync(rfd, last, 0, 1, size - 1);
          ledger.needsNewline = last[0] !== 10;
        } finally {
          fs.closeSync(rfd);
        }
      }
      // Only the bytes present now: what this daemon appends is counted as it is recorded.
      const onRecord = (r: LedgerRecord) => {
        ledger.aggregator.add(r);
        ledger.routing.addRequest(r);
      };
      ledger.ready = scanLedger(file, onRecord, size, (f) => ledger.routing.addFeedback(f)).then(
        (scan) => {
          ledger.skippedLines = scan.torn + scan.invalid;
          if (scan.torn)
            ledger.log.warn('ledger: skipped a torn last line (a write cut short by a crash)', { path: file });
          if (scan.invalid) ledger.log.warn('ledger: skipped invalid lines', { path: file, lines: scan.invalid });
          ledger.log.info('ledger loaded', { path: file, records: scan.records });
        },
        (err: Error) => ledger.log.warn('ledger: could not read existing records', { path: file, error: err.message }),
      );
    } catch (err) {
      ledger.log.warn('ledger: cannot open; usage is counted in memory only', {
        path: file,
        error: (err as Error).message,
      });
      if (ledger.fd !== null) fs.closeSync(ledger.fd);
      return Object.assign(UsageLedger.inMemory(opts), { writeErrors: 1 });
    }
    return ledger;
  }

  /** Records one request outcome; resolves once it is durable (never rejects). */
  record(o: RequestOutcome): Promise<void> {
    return this.append(this.build(o));
  }

  /** The line a request outcome becomes, at the ledger's clock (not yet recorded: append it). */
  build(o: RequestOutcome): LedgerRecord {
    return buildRecord({ time: this.now(), ...o });
  }

  append(rec: LedgerRecord): Promise<void> {
    this.aggregator.add(rec);
    this.routing.addRequest(rec);
    return this.writeLine(rec);
  }

  /** Records one feedback signal; resolves once it is durable (never rejects). */
  appendFeedback(rec: FeedbackRecord): Promise<void> {
    this.routing.addFeedback(rec);
    return this.writeLine(rec);
  }

  private writeLine(rec: LedgerRecord | FeedbackRecord): Promise<void> {
    if (this.path === null) return Promise.resolve();
    // Keys never belong here; redact() is a last line of defence for any registered secret.
    const line = `${redact(JSON.stringify(rec))}\n`;
    if (this.closed || this.fd === null) return Promise.resolve(this.appendSync(line));
    return new Promise<void>((done) => {
      this.queue.push({ line, done });
      this.kick();
    });
  }

  /** Resolves when everything recorded so far is on disk. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Drains the queue and closes the file. Later records are written synchronously. */
  async close(): Promise<void> {
    await this.ready.catch(() => {});
    await this.flush();
    this.closed = true;
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = null;
    }
  }

  budgetState(now = this.now()): { spentTodayUsd: number; spentMonthUsd: number } {
    return this.aggregator.spent(now);
  }

  usage(
    params: UsageParams,
    opts: { workspaceId: string; caps: { dailyUsd: number; monthlyUsd: number }; now?: Date },
  ): UsageResult {
    try {
      const q = this.aggregator.query({
        since: params?.since,
        workspace: params?.workspace ?? 'current',
        workspaceId: opts.workspaceId,
        now: opts.now ?? this.now(),
        caps: opts.caps,
      });
      return { ...q, ledger: { path: this.path, skippedLines: this.skippedLines, writeErrors: this.writeErrors } };
    } catch (err) {
      if (err instanceof UsageRangeError) throw new GearboxError(ErrorCodes.InvalidParams, err.message);
      throw err;
    }
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      // Let the records of this turn of the event loop join the batch.
      await new Promise((r) => setImmediate(r));
      try {
        await this.drain();
      } finally {
        this.flushing = undefined;
        if (this.queue.length) this.kick();
      }
    })();
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      const text = (this.needsNewline ? '\n' : '') + batch.map((b) => b.line).join('');
      try {
        const fd = this.fd;
        if (fd === null) {
          this.needsNewline = false;
          this.appendSync(text);
        } else {
          const buf = Buffer.from(text, 'utf8');
          let off = 0;
          // One write() for the whole batch; a short write (disk full...) continues where it stopped.
          while (off < buf.length) off += await write(fd, buf, off, buf.length - off);
          await fsync(fd);
        }
        this.needsNewline = false;
      } catch (err) {
        this.writeErrors++;
        this.log.warn('ledger: write failed; these records are counted in memory only', {
          records: batch.length,
          error: (err as Error).message,
        });
      }
      for (const b of batch) b.done();
    }
  }

  /** After close (a request that finished while the daemon stopped): open, write, fsync, close. */
  private appendSync(text: string): void {
    if (this.path === null) return;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
      fs.writeSync(fd, (this.needsNewline ? '\n' : '') + text);
      fs.fsyncSync(fd);
      this.needsNewline = false;
    } catch (err) {
      this.writeErrors++;
      this.log.warn('ledger: write failed', { error: (err as Error).message });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}
