// The logger's last line of defence: a registered secret never reaches a log line.
import assert from 'node:assert/strict';
import { createLogger, redact, registerSecret } from '../../daemon/log';

describe('structured logs', () => {
  it('writes one JSON object per line, filtered by level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), base: { pid: 1 } });
    log.debug('hidden');
    log.info('shown', { n: 2 });
    log.child({ conn: 'c1' }).warn('child', { err: new Error('boom') });
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]!);
    assert.equal(first.level, 'info');
    assert.equal(first.msg, 'shown');
    assert.equal(first.n, 2);
    assert.equal(first.pid, 1);
    const second = JSON.parse(lines[1]!);
    assert.equal(second.conn, 'c1');
    assert.equal(second.err.message, 'boom');
  });

  it('masks registered secrets wherever they appear, fields and errors included', () => {
    const key = 'sk-log-test-0123456789abcdef';
    registerSecret(key);
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.error(`request failed with key ${key}`, { header: `Bearer ${key}`, err: new Error(`401 for ${key}`) });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes(key));
    assert.equal(JSON.parse(lines[0]!).header, 'Bearer ***');
    assert.equal(redact(`x${key}y`), 'x***y');
  });
});
