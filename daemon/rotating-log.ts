// The daemon's log file, capped: when a line would take it past maxBytes it becomes daemon.log.1
// (older ones shift up, the oldest is dropped), so the log never holds more than files × maxBytes.
// The daemon writes it itself: a file a spawner points the child's stdio at cannot be rotated.
import fs from 'node:fs';

export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_LOG_FILES = 3;

export class RotatingLog {
  private fd: number | undefined;
  private size = 0;

  /** `files`: how many files to keep, the current one included (daemon.log, daemon.log.1, ...). */
  constructor(
    readonly file: string,
    readonly maxBytes = DEFAULT_LOG_MAX_BYTES,
    readonly files = DEFAULT_LOG_FILES,
  ) {
    if (!Number.isInteger(files) || files < 1) throw new Error(`log files to keep must be 1 or more, not ${files}`);
    if (!Number.isInteger(maxBytes) || maxBytes < 256)
      throw new Error(`log cap must be 256 bytes or more, not ${maxBytes}`);
  }

  /** Appends one line. A line over the cap is cut; a failed write (a full disk) loses the line, not the daemon. */
  write(line: string): void {
    let text = `${line}\n`;
    let bytes = Buffer.byteLength(text);
    if (bytes > this.maxBytes) {
      text = `${Buffer.from(text)
        .subarray(0, this.maxBytes - 4)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}…\n`;
      bytes = Buffer.byteLength(text);
    }
    try {
      this.open();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      fs.writeSync(this.fd!, text);
      this.size += bytes;
    } catch {
      this.close();
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = undefined;
  }

  private open(): void {
    if (this.fd !== undefined) return;
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    for (let i = this.files - 1; i >= 1; i--) {
      try {
        fs.renameSync(i === 1 ? this.file : `${this.file}.${i - 1}`, `${this.file}.${i}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    // With one file to keep there is nothing to shift: start it again.
    this.fd = fs.openSync(this.file, this.files === 1 ? 'w' : 'a', 0o600);
    this.size = 0;
  }
}
