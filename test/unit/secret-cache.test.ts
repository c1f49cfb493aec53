import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSecrets, SecretScanCache } from '../../daemon/routing';
import { LINE_LOOKBACK } from '../../daemon/routing/secrets';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/secrets');
const positives = fs
  .readFileSync(path.join(dir, 'true-positives.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((raw) => {
    const bar = raw.indexOf(' | ');
    const fileName = raw.slice(0, bar).split('@')[1];
    return {
      fileName,
      text: raw
        .slice(bar + 3)
        .replaceAll('%%', '')
        .replaceAll('\\n', '\n'),
    };
  });
const negatives = fs.readFileSync(path.join(dir, 'false-positives.txt'), 'utf8');
const code = fs.readFileSync(fileURLToPath(new URL('../../daemon/session.ts', import.meta.url)), 'utf8');

describe('secrets: the line-by-line scan cache', () => {
  it('finds exactly what findSecrets finds, on every corpus case and on whole files', () => {
    const cache = new SecretScanCache();
    for (const c of positives) {
      for (const text of [c.text, `${code.slice(0, 700)}\n${c.text}\n${code.slice(700, 900)}`]) {
        assert.deepEqual(cache.find(text, { fileName: c.fileName }), findSecrets(text, { fileName: c.fileName }));
      }
    }
    const all = positives.map((c) => c.text).join('\n\nconst unrelated = 42;\n');
    for (const text of [negatives, all, code, `${all}\n${negatives}\n${code}`])
      for (const fileName of [undefined, '.env'])
        assert.deepEqual(cache.find(text, { fileName }), findSecrets(text, { fileName }), fileName);
  });

  it('stays exact while the text is edited a character at a time, and rescans only the touched lines', () => {
    const cache = new SecretScanCache();
    let text = `${code}\n${positives.map((c) => c.text).join('\n')}\n`;
    cache.find(text);
    // Type a key one character at a time in the middle of the file, right after a line that names it.
    const key = positives.find((c) => c.text.includes('aws_secret_access_key'))?.text ?? 'x';
    let at = text.indexOf('\n', text.length / 2) + 1;
    for (const ch of `aws_secret = 1\n${key}\n`) {
      text = text.slice(0, at) + ch + text.slice(at);
      const before = cache.stats.scanned;
      assert.deepEqual(cache.find(text), findSecrets(text));
      // The lines a keystroke can change: the one typed in and those whose look-back reaches it.
      let touched = 0;
      for (let start = 0; start < text.length; ) {
        const end = text.indexOf('\n', start) < 0 ? text.length : text.indexOf('\n', start);
        if (end > start && start - LINE_LOOKBACK <= at && at <= end) touched++;
        start = end + 1;
      }
      const scanned = cache.stats.scanned - before;
      assert.ok(scanned >= 1 && scanned <= touched, `a keystroke rescanned ${scanned} lines, ${touched} touched`);
      at++;
    }
  });

  it('a line scanned with nothing before it is rescanned when a name that makes it a secret comes before it', () => {
    const cache = new SecretScanCache();
    const line = '  "BmAj62fPU2qihZpwljdE7WN8kMXyjkVh0nyclxQS"';
    assert.deepEqual(cache.find(line), []);
    const named = `aws_secret_access_key =\n${line}`;
    assert.deepEqual(
      cache.find(named).map((f) => f.kind),
      ['aws-secret-key'],
    );
    assert.deepEqual(cache.find(named), findSecrets(named));
  });
});

describe('secrets: generic assignments on several lines', () => {
  it('finds a secret on the first line when a later line holds another secret name first', () => {
    const text = 'token = "Hq7vXk2pLm9sWd4"\npassword = "Zr8nTb3yQc6fJe1"\n';
    assert.deepEqual(
      findSecrets(text).map((f) => text.slice(f.start, f.end)),
      ['Hq7vXk2pLm9sWd4', 'Zr8nTb3yQc6fJe1'],
    );
  });
});
