// Download progress on the terminal: a bar redrawn in place on a TTY, a plain line every 10%
// otherwise (logs and pipes get something readable, not a wall of carriage returns).
import type { DownloadProgress } from '../../shared/protocol';
import { formatBytes } from '../models/downloader';

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.ceil(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/** "42% 690.1 MiB of 1.5 GiB, 12.0 MiB/s, 1m 10s left". */
export function progressText(p: DownloadProgress): string {
  const pct = p.totalBytes > 0 ? Math.floor((p.receivedBytes / p.totalBytes) * 100) : 0;
  const rate = p.bytesPerSecond > 0 ? `, ${formatBytes(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== null && p.receivedBytes < p.totalBytes ? `, ${formatDuration(p.etaSeconds)} left` : '';
  return `${pct}% ${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)}${rate}${eta}`;
}

export class ProgressBar {
  private lastStep = -1;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly out: { isTTY?: boolean; columns?: number; write(s: string): unknown },
  ) {}

  update(p: DownloadProgress): void {
    const ratio = p.totalBytes > 0 ? Math.min(1, p.receivedBytes / p.totalBytes) : 0;
    if (!this.out.isTTY) {
      const step = Math.floor(ratio * 10);
      if (step === this.lastStep) return;
      this.lastStep = step;
      this.out.write(`${this.label}: ${progressText(p)}\n`);
      return;
    }
    const text = ` ${progressText(p)}`;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - this.label.length - text.length - 4));
    const filled = Math.round(ratio * width);
    this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${text}\u001b[K`);
    this.drawn = true;
  }

  /** Ends the bar's line (before other output). */
  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
