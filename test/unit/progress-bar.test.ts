// Download progress on a terminal (a bar redrawn in place) and in a log or pipe (a line per 10%).
import assert from 'node:assert/strict';
import { ProgressBar } from '../../daemon/cli/progress-bar';

const MiB = 1024 ** 2;
const at = (mib: number) => ({
  receivedBytes: mib * MiB,
  totalBytes: 100 * MiB,
  bytesPerSecond: 10 * MiB,
  etaSeconds: 3,
});

describe('download progress bar', () => {
  it('redraws one line on a terminal and ends it once', () => {
    let out = '';
    const bar = new ProgressBar('local/x', { isTTY: true, columns: 100, write: (s: string) => (out += s) });
    bar.update(at(25));
    bar.update(at(50));
    bar.end();
    const frames = out.split('\r').filter(Boolean);
    assert.equal(frames.length, 2);
    assert.ok(frames[1]!.endsWith('\u001b[K\n'), 'clears the rest of the line, then ends it');
    assert.match(frames[1]!, /^local\/x \[#+\.+\] 50% 50\.0 MiB of 100\.0 MiB, 10\.0 MiB\/s, 3s left/);
    const cells = /\[([#.]+)\]/.exec(frames[1]!)![1]!;
    assert.equal(cells.replaceAll('.', '').length * 2, cells.length, 'half the bar is filled');
  });

  it('writes a plain line per 10% elsewhere', () => {
    const lines: string[] = [];
    const bar = new ProgressBar('local/x', { isTTY: false, write: (s: string) => lines.push(s) });
    for (let mib = 0; mib <= 100; mib += 3) bar.update(at(mib));
    bar.update(at(100));
    bar.end();
    assert.equal(lines.length, 11, '0%, 10%, … 100%, once each');
    assert.ok(lines.every((l) => /^local\/x: \d+% [\d.]+ (MiB|B) of 100\.0 MiB/.test(l) && l.endsWith('\n')));
    assert.ok(!lines.join('').includes('\r'));
  });
});
