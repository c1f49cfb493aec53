// The HTTP API's key store (daemon/http-api/api-keys.ts): stable keys per label in a 0600 file,
// rotation, matching, and a file others could read refused until its keys are replaced.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore, apiKeysPath, UntrustedKeyFileError } from '../../daemon/http-api/api-keys';

const fresh = () =>
  new ApiKeyStore(apiKeysPath(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gbx-keys-')), 'c.json')));

describe('API key store', () => {
  it('creates a stable key per label in a 0600 file and matches a key to its label', () => {
    const store = fresh();
    const key = store.get();
    assert.match(key, /^gbx-[A-Za-z0-9_-]{43}$/);
    assert.equal(store.get(), key);
    assert.equal(new ApiKeyStore(store.file).get(), key, 'another reader (the daemon) sees the same key');
    const aider = store.get('aider');
    assert.notEqual(aider, key);
    assert.equal(fs.statSync(store.file).mode & 0o777, 0o600);
    const daemon = new ApiKeyStore(store.file);
    assert.equal(daemon.match(key), 'default');
    assert.equal(daemon.match(aider), 'aider');
    assert.equal(daemon.match(`${key}x`), undefined);
    assert.equal(daemon.match(''), undefined);
    assert.deepEqual(daemon.labels().sort(), ['aider', 'default']);
  });

  it('rotation retires the old key at once for a reader that already cached the file', () => {
    const store = fresh();
    const old = store.get();
    const daemon = new ApiKeyStore(store.file);
    assert.equal(daemon.match(old), 'default');
    const rotated = store.rotate();
    assert.notEqual(rotated, old);
    assert.equal(daemon.match(old), undefined);
    assert.equal(daemon.match(rotated), 'default');
  });

  it('refuses a key file other users can read; --rotate replaces it with a fresh 0600 one', function () {
    if (process.platform === 'win32') this.skip();
    const store = fresh();
    const leaked = store.get();
    fs.chmodSync(store.file, 0o644);
    const daemon = new ApiKeyStore(store.file);
    assert.throws(
      () => daemon.match(leaked),
      (e: Error) => e instanceof UntrustedKeyFileError && /0644/.test(e.message),
    );
    assert.throws(() => store.get(), UntrustedKeyFileError);
    const replaced = store.rotate();
    assert.equal(fs.statSync(store.file).mode & 0o777, 0o600);
    assert.equal(daemon.match(leaked), undefined);
    assert.equal(daemon.match(replaced), 'default');
  });
});
