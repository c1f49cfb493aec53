// How a model download reads in the editor: the progress notification's message and increments,
// and the status bar's part (extension/core/download-format.ts).
import assert from 'node:assert/strict';
import {
  downloadStatus,
  formatBytes,
  formatRate,
  formatTimeLeft,
  percentDone,
  ProgressIncrements,
  progressMessage,
} from '../../extension/core/download-format';
import type { DownloadProgress } from '../../shared/protocol';

const MiB = 1024 * 1024;
const progress = (received: number, total: number, rate = 0, eta: number | null = null): DownloadProgress => ({
  receivedBytes: received,
  totalBytes: total,
  bytesPerSecond: rate,
  etaSeconds: eta,
});

describe('download progress formatting', () => {
  it('sizes, rates and time left in the units the daemon uses', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(44.9 * MiB), '44.9 MiB');
    assert.equal(formatBytes(1.6 * 1024 * MiB), '1.6 GiB');
    assert.equal(formatRate(3.1 * MiB), '3.1 MiB/s');
    assert.equal(formatRate(0), '', 'no rate before the first bytes');
    assert.equal(formatTimeLeft(null), '');
    assert.equal(formatTimeLeft(0.2), '1 s left');
    assert.equal(formatTimeLeft(44.1), '45 s left');
    assert.equal(formatTimeLeft(61), '2 min left');
    assert.equal(formatTimeLeft(3600), '1 h left');
    assert.equal(formatTimeLeft(3900), '1 h 5 min left');
  });

  it('the notification message: bytes, MiB/s and time left; "verifying" once every byte is there', () => {
    assert.equal(
      progressMessage(progress(12 * MiB, 48 * MiB, 3 * MiB, 12)),
      '12.0 MiB of 48.0 MiB · 3.0 MiB/s · 12 s left',
    );
    assert.equal(progressMessage(progress(0, 48 * MiB)), '0 B of 48.0 MiB');
    assert.equal(progressMessage(progress(48 * MiB, 48 * MiB, 3 * MiB, 0)), '48.0 MiB of 48.0 MiB · verifying');
    assert.equal(progressMessage(progress(5 * MiB, 0, MiB)), '5.0 MiB · 1.0 MiB/s', 'size not known yet');
  });

  it('turns totals into the increments VS Code adds up, never going backwards', () => {
    const inc = new ProgressIncrements();
    assert.equal(inc.next(progress(10, 100)).increment, 10);
    assert.equal(inc.next(progress(35, 100)).increment, 25);
    assert.equal(inc.next(progress(20, 100)).increment, 0, 'a smaller total (resumed elsewhere) adds nothing');
    assert.equal(inc.next(progress(100, 100)).increment, 65);
    assert.equal(percentDone(progress(150, 100)), 100);
    assert.equal(percentDone(progress(10, 0)), 0);
  });

  it('the status bar part: one download by its percent, several together, none: nothing', () => {
    assert.equal(downloadStatus(new Map()), undefined);
    const one = downloadStatus(new Map([['local/a', progress(42, 100, 10, 6)]]));
    assert.equal(one?.text, '$(cloud-download) 42%');
    assert.match(one?.tooltip ?? '', /^Downloading local\/a: 42% \(42 B of 100 B · 10 B\/s · 6 s left\)$/);
    const two = downloadStatus(
      new Map([
        ['local/a', progress(50, 100)],
        ['local/b', progress(0, 300)],
      ]),
    );
    assert.equal(two?.text, '$(cloud-download) 2 downloads 12%');
    assert.equal(two?.tooltip.split('\n').length, 2);
  });
});
