// What keeps daemon.log bounded when anyone can make the daemon log: values clipped, refusal lines
// rate-limited with a count of the rest, and the file rotated by size keeping a fixed number of files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogThrottle } from '../../daemon/log-throttle';
import { clip } from '../../daemon/log';
import { RotatingLog } from '../../daemon/rotating-log';

describe('log cap: clipped values', () => {
  it('keeps short values and cuts long ones to their start and length', () => {
    assert.equal(clip('127.0.0.1:80'), '127.0.0.1:80');
    const long = clip('h'.repeat(15_000));
    assert.ok(long.length < 130, long);
    assert.match(long, /^h{100}… \(15000 chars\)$/);
  });
});

describe('log cap: throttle', () => {
  it('writes the first line per interval and reports how many it left out', () => {
    let t = 0;
    const written: number[] = [];
    const reported: number[] = [];
    const throttle = new LogThrottle(
      1000,
      (n) => reported.push(n),
      () => t,
    );
    for (let i = 0; i < 50; i++) {
      throttle.hit(() => written.push(t));
      t += 10;
    }
    assert.deepEqual(written, [0], 'one line in the first second');
    assert.deepEqual(reported, []);
    t = 1500;
    throttle.hit(() => written.push(t));
    assert.deepEqual(reported, [49], 'the count comes before the next line');
    assert.deepEqual(written, [0, 1500]);
    throttle.hit(() => written.push(t));
    throttle.flush();
    assert.deepEqual(reported, [49, 1]);
    throttle.flush();
    assert.deepEqual(reported, [49, 1], 'nothing left to report');
  });
});

describe('log cap: rotation', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-log-'));

  it('keeps N files of at most maxBytes each, newest in daemon.log, oldest dropped', () => {
    const file = path.join(dir(), 'daemon.log');
    const log = new RotatingLog(file, 1000, 3);
    for (let i = 0; i < 200; i++) log.write(JSON.stringify({ i, pad: 'x'.repeat(80) }));
    log.close();
    const files = fs.readdirSync(path.dirname(file)).sort();
    assert.deepEqual(files, ['daemon.log', 'daemon.log.1', 'daemon.log.2']);
    for (const f of files) {
      const st = fs.statSync(path.join(path.dirname(file), f));
      assert.ok(st.size <= 1000, `${f}: ${st.size} bytes`);
      assert.equal(st.mode & 0o777, 0o600, f);
    }
    const lines = (f: string) =>
      fs
        .readFileSync(path.join(path.dirname(file), f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).i as number);
    const newest = lines('daemon.log');
    assert.equal(newest.at(-1), 199, 'the last line is in daemon.log');
    assert.equal(lines('daemon.log.1').at(-1), newest[0]! - 1, 'daemon.log.1 holds the lines just before');
    assert.equal(lines('daemon.log.2').at(-1), lines('daemon.log.1')[0]! - 1);
  });

  it('picks up an existing log and rotates it once it is over the cap, a too-long line cut', () => {
    const file = path.join(dir(), 'daemon.log');
    fs.writeFileSync(file, 'old\n'.repeat(300), { mode: 0o600 });
    const log = new RotatingLog(file, 1000, 2);
    log.write('y'.repeat(5000));
    log.close();
    assert.equal(fs.readFileSync(`${file}.1`, 'utf8'), 'old\n'.repeat(300));
    const cut = fs.readFileSync(file, 'utf8');
    assert.ok(Buffer.byteLength(cut) <= 1000);
    assert.match(cut, /^y+…\n$/);
  });

  it('with one file to keep, starts it again', () => {
    const file = path.join(dir(), 'daemon.log');
    const log = new RotatingLog(file, 300, 1);
    for (let i = 0; i < 20; i++) log.write(`line ${i} ${'z'.repeat(40)}`);
    log.close();
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['daemon.log']);
    assert.ok(fs.statSync(file).size <= 300);
    assert.match(fs.readFileSync(file, 'utf8'), /line 19 /);
  });

  it('refuses a nonsensical cap with a clear error', () => {
    assert.throws(() => new RotatingLog('/tmp/x.log', 10, 3), /log cap must be 256 bytes or more/);
    assert.throws(() => new RotatingLog('/tmp/x.log', 1000, 0), /log files to keep must be 1 or more/);
  });
});
