import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSecrets, isEnvFile, redactSecrets, type SecretKind } from '../../daemon/routing';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/secrets');

interface Case {
  kind: SecretKind;
  fileName?: string;
  text: string;
  line: number;
}

/** `<kind>[@<file name>] | <text>`, `\n` for newlines, `%%` removed (it hides prefixes from secret scanners). */
function truePositives(): Case[] {
  const out: Case[] = [];
  fs.readFileSync(path.join(dir, 'true-positives.txt'), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (!raw.trim() || raw.startsWith('#')) return;
      const bar = raw.indexOf(' | ');
      const [kind, fileName] = raw.slice(0, bar).split('@') as [SecretKind, string | undefined];
      out.push({
        kind,
        fileName,
        text: raw
          .slice(bar + 3)
          .replaceAll('%%', '')
          .replaceAll('\\n', '\n'),
        line: i + 1,
      });
    });
  return out;
}

describe('secrets: findSecrets', () => {
  const cases = truePositives();

  it('has a true-positive corpus covering every kind', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    for (const k of [
      'openai-key',
      'anthropic-key',
      'google-api-key',
      'aws-access-key',
      'aws-secret-key',
      'github-token',
      'slack-token',
      'slack-webhook',
      'stripe-key',
      'jwt',
      'private-key',
      'generic-secret',
      'env-file',
    ]) {
      assert.ok(kinds.has(k as SecretKind), `no true positive for ${k}`);
    }
    assert.ok(cases.length >= 30);
  });

  it('finds every true positive, with its kind and exact span', () => {
    for (const c of cases) {
      const found = findSecrets(c.text, { fileName: c.fileName });
      assert.equal(found.length, 1, `line ${c.line}: ${JSON.stringify(found)} in ${c.text.slice(0, 80)}`);
      assert.equal(found[0]!.kind, c.kind, `line ${c.line}`);
      const secret = c.text.slice(found[0]!.start, found[0]!.end);
      assert.ok(
        secret.length >= 8 && !/\s{2}/.test(secret.replaceAll('\n', '')),
        `line ${c.line}: span ${JSON.stringify(secret)}`,
      );
    }
  });

  it('finds nothing in the false-positive corpus (lockfile hashes, UUIDs, placeholders, base64 images)', () => {
    const text = fs.readFileSync(path.join(dir, 'false-positives.txt'), 'utf8');
    const show = (f: ReturnType<typeof findSecrets>) =>
      f.map((s) => `${s.kind}: ${text.slice(s.start, s.end).slice(0, 60)}`).join('\n');
    const found = findSecrets(text);
    assert.deepEqual(found, [], show(found));
    // Line by line too (no context from neighbours), and as an example env file.
    for (const line of text.split('\n')) assert.deepEqual(findSecrets(line), [], line);
    assert.deepEqual(findSecrets(text, { fileName: '.env.example' }), []);
  });

  it('.env files: KEY=value lines with secret-looking keys or random values, not plain config', () => {
    const env = [
      '# local settings',
      'NODE_ENV=development',
      'PORT=3000',
      'DEBUG=true',
      'API_URL=https://api.example.com',
      'JWT_SECRET=s3cr3t-for-dev-only-42',
      'REDIS_URL=redis://localhost:6379',
      'EMPTY=',
    ].join('\n');
    const found = findSecrets(env, { fileName: '/home/me/app/.env' });
    assert.deepEqual(
      found.map((f) => env.slice(f.start, f.end)),
      ['s3cr3t-for-dev-only-42'],
    );
    assert.equal(found[0]!.kind, 'env-file');
    // Outside a .env file only the generic rule applies: SECRET=<random-looking value> still counts.
    assert.deepEqual(
      findSecrets(env, { fileName: 'settings.txt' }).map((f) => f.kind),
      ['generic-secret'],
    );
    // In a .env file, a secret-named key counts even with a word-like value; a plain name does not.
    assert.equal(findSecrets('SESSION_SECRET=hunterbunter', { fileName: '.env' }).length, 1);
    assert.equal(findSecrets('APP_NAME=hunterbunter', { fileName: '.env' }).length, 0);
    assert.ok(
      isEnvFile('.env') && isEnvFile('.env.local') && isEnvFile('C:\\app\\.env.production') && isEnvFile('prod.env'),
    );
    assert.ok(!isEnvFile('.env.example') && !isEnvFile('.envrc.md') && !isEnvFile('env.ts') && !isEnvFile(undefined));
  });

  it('finds several secrets in one text, in order', () => {
    const text = cases
      .filter((c) => !c.fileName)
      .map((c) => c.text)
      .join('\n\nconst unrelated = 42;\n');
    const found = findSecrets(text);
    assert.equal(found.length, cases.filter((c) => !c.fileName).length);
    for (let i = 1; i < found.length; i++) assert.ok(found[i]!.start >= found[i - 1]!.end);
  });
});

describe('secrets: redactSecrets', () => {
  it('replaces each secret with [REDACTED:<kind>] and keeps the rest', () => {
    for (const c of truePositives()) {
      const out = redactSecrets(c.text, { fileName: c.fileName });
      assert.ok(out.includes(`[REDACTED:${c.kind}]`), out);
      const f = findSecrets(c.text, { fileName: c.fileName })[0]!;
      assert.equal(out, `${c.text.slice(0, f.start)}[REDACTED:${c.kind}]${c.text.slice(f.end)}`);
      assert.deepEqual(findSecrets(out, { fileName: c.fileName }), [], `redacted text still has a secret: ${out}`);
    }
  });

  it('leaves text without secrets untouched', () => {
    const text = fs.readFileSync(path.join(dir, 'false-positives.txt'), 'utf8');
    assert.equal(redactSecrets(text), text);
  });
});

describe('secrets: linear time', () => {
  // Timings are not asserted against a wall clock: work grows linearly, so 16x the input must take
  // far less than the 256x a quadratic scan would. Each side is the fastest of three runs, and the
  // bound (64x) leaves a 4x margin either way, so a busy machine cannot fail it and a ReDoS still does.
  const adversarial = [
    (n: number) => 'eyJ'.repeat(n / 3),
    (n: number) => 'eyJhbGciOiJIUzI1NiJ9.'.repeat(n / 21),
    (n: number) => 'sk-'.repeat(n / 3),
    (n: number) => 'sk-a'.repeat(n / 4),
    (n: number) => 'a/'.repeat(n / 2),
    (n: number) => 'AKIA'.repeat(n / 4),
    (n: number) => 'password=password='.repeat(n / 18),
    (n: number) => 'x'.repeat(n),
    (n: number) => '-----BEGIN '.repeat(n / 11),
    (n: number) => 'A'.repeat(n / 2) + '\n'.repeat(n / 2),
  ];
  const time = (text: string) => {
    const t = process.hrtime.bigint();
    findSecrets(text, { fileName: '.env' });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };

  it('scales linearly on adversarial inputs', () => {
    for (const make of adversarial) {
      const small = make(20_000);
      const big = make(320_000);
      time(small); // warm up
      const ts = Math.max(0.5, Math.min(time(small), time(small), time(small)));
      const tb = Math.min(time(big), time(big), time(big));
      assert.ok(tb < ts * 64, `${make.toString()}: ${ts.toFixed(1)} ms → ${tb.toFixed(1)} ms for 16x the input`);
    }
  });
});
