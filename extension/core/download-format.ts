// How a download reads in the editor: sizes, rate, time left, the progress notification's message
// and increments, the status bar's text. Binary units, as the daemon's recommendation texts use.
// No `vscode` import: extension/models/downloads.ts shows these; tested in plain Node.
import type { DownloadProgress } from '../../shared/protocol';

/** 1536 → "1.5 KiB", 1.6e9 → "1.5 GiB". */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

/** "12.3 MiB/s"; empty before the first bytes (the rate is unknown, not zero). */
export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '';
}

/** "45 s left", "3 min left", "1 h 5 min left"; empty while unknown. */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s left`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min left`;
  const h = Math.floor(seconds / 3600);
  const min = Math.round((seconds % 3600) / 60);
  return min ? `${h} h ${min} min left` : `${h} h left`;
}

/** Whole percent done, 0..100 (0 while the size is unknown). */
export function percentDone(p: Pick<DownloadProgress, 'receivedBytes' | 'totalBytes'>): number {
  if (p.totalBytes <= 0) return 0;
  return Math.min(100, Math.floor((p.receivedBytes / p.totalBytes) * 100));
}

/** "12.3 MiB of 44.9 MiB · 3.1 MiB/s · 10 s left". */
export function progressMessage(p: DownloadProgress): string {
  const done = p.receivedBytes >= p.totalBytes && p.totalBytes > 0;
  return [
    p.totalBytes > 0 ? `${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.receivedBytes),
    done ? 'verifying' : formatRate(p.bytesPerSecond),
    done ? '' : formatTimeLeft(p.etaSeconds),
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * VS Code's progress takes increments (percent added since the last report), not totals: this
 * turns each update into one, never going backwards (a resumed download reports from its start).
 */
export class ProgressIncrements {
  private reported = 0;

  next(p: DownloadProgress): { increment: number; message: string } {
    const pct = percentDone(p);
    const increment = Math.max(0, pct - this.reported);
    this.reported += increment;
    return { increment, message: progressMessage(p) };
  }
}

export interface DownloadStatus {
  text: string;
  tooltip: string;
}

/** The status bar's part for running downloads ("$(cloud-download) 42%"), or undefined when none. */
export function downloadStatus(downloads: ReadonlyMap<string, DownloadProgress>): DownloadStatus | undefined {
  if (downloads.size === 0) return undefined;
  let received = 0;
  let total = 0;
  const lines: string[] = [];
  for (const [id, p] of downloads) {
    received += p.receivedBytes;
    total += p.totalBytes;
    lines.push(`Downloading ${id}: ${percentDone(p)}% (${progressMessage(p)})`);
  }
  const pct = percentDone({ receivedBytes: received, totalBytes: total });
  const count = downloads.size > 1 ? `${downloads.size} downloads ` : '';
  return { text: `$(cloud-download) ${count}${pct}%`, tooltip: lines.join('\n') };
}
