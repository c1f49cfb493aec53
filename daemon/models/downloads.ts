// The downloads running in the daemon, one per file: a second client (or a second model entry) asking
// for a file that is already coming joins that download. Each one tracks its rate and time left.
import type { DownloadProgress } from '../../shared/protocol';
import type { Logger } from '../log';
import { DownloadError } from './download-error';
import { downloadFile } from './downloader';
import { remoteFileInfo, type HfFile } from './hub';

export interface DownloadSettings {
  endpoint: string;
  stallMs: number;
  connectTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

export interface DownloadJob {
  target: string;
  label: string;
  done: Promise<void>;
  progress: DownloadProgress;
  cancel(): void;
}

/** Samples kept for the rate: the last few seconds, so a stall shows quickly. */
const RATE_WINDOW_MS = 5000;

export class Downloads {
  private readonly jobs = new Map<string, DownloadJob>();

  constructor(
    private readonly settings: () => DownloadSettings,
    private readonly logger: Logger,
  ) {}

  get(target: string): DownloadJob | undefined {
    return this.jobs.get(target);
  }

  /** Starts fetching `file` to `target`, or joins the download already doing so. */
  start(file: HfFile, target: string, label: string, onProgress: (job: DownloadJob) => void): DownloadJob {
    const running = this.jobs.get(target);
    if (running) return running;
    const controller = new AbortController();
    const samples: { at: number; bytes: number }[] = [];
    const job: DownloadJob = {
      target,
      label,
      progress: { receivedBytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: null },
      cancel: () => controller.abort(),
      done: Promise.resolve(),
    };
    const track = (received: number, total: number) => {
      const now = Date.now();
      samples.push({ at: now, bytes: received });
      while (samples.length > 2 && now - samples[0]!.at > RATE_WINDOW_MS) samples.shift();
      const first = samples[0]!;
      const rate = now > first.at ? ((received - first.bytes) * 1000) / (now - first.at) : 0;
      job.progress = {
        receivedBytes: received,
        totalBytes: total,
        bytesPerSecond: Math.max(0, rate),
        etaSeconds: rate > 0 ? Math.ceil((total - received) / rate) : null,
      };
      onProgress(job);
    };
    job.done = (async () => {
      const s = this.settings();
      const hub = { endpoint: s.endpoint, signal: controller.signal, connectTimeoutMs: s.connectTimeoutMs };
      const remote = await remoteFileInfo(file, hub);
      track(0, remote.size);
      this.logger.info('download started', { model: label, bytes: remote.size, sha256: remote.sha256 ?? 'none' });
      await downloadFile({
        remote,
        target,
        label,
        signal: controller.signal,
        stallMs: s.stallMs,
        retries: s.retries,
        retryDelayMs: s.retryDelayMs,
        onProgress: track,
        logger: this.logger,
      });
      this.logger.info('download finished and verified', { model: label, path: target });
    })()
      .catch((err: unknown) => {
        if (controller.signal.aborted && !(err instanceof DownloadError))
          throw new DownloadError('cancelled', `Download of ${label} cancelled before it started`);
        throw err;
      })
      .finally(() => this.jobs.delete(target));
    // Callers await `done`; this keeps a failure nobody awaited from becoming an unhandled rejection.
    job.done.catch(() => {});
    this.jobs.set(target, job);
    return job;
  }

  cancelAll(): void {
    for (const job of this.jobs.values()) job.cancel();
  }
}
