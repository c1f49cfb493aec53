// gearbox/catalogChanged: every client hears, once per change, that the model catalog changed —
// keys, endpoints, models loaded or unloaded, and whatever else fires the engine's catalog event.
import assert from 'node:assert/strict';
import type { DaemonClient } from '../../daemon/cli/client';
import type { CatalogChangedParams } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon-harness';

const LOCAL = { id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 0 };

/** The catalogChanged notifications a client received, and a way to wait for the next one. */
function listen(c: DaemonClient) {
  const seen: CatalogChangedParams[] = [];
  const waiters: (() => void)[] = [];
  c.onNotification('gearbox/catalogChanged', (p) => {
    seen.push(p);
    for (const w of waiters.splice(0)) w();
  });
  return {
    seen,
    /** Resolves once `n` notifications have arrived in all. */
    async count(n: number): Promise<CatalogChangedParams[]> {
      while (seen.length < n) await new Promise<void>((r) => waiters.push(r));
      return seen;
    },
  };
}

describe('gearbox/catalogChanged', () => {
  let d: TestDaemon;
  let host: FakeModelHost;

  beforeEach(async () => {
    host = new FakeModelHost();
    d = await startTestDaemon({ localModels: [LOCAL] }, { modelHost: host });
  });
  afterEach(async () => {
    await d.stop();
  });

  it('tells every client when a key is set, and the models list then shows it', async () => {
    const a = await d.connect();
    const b = await d.connect();
    const la = listen(a);
    const lb = listen(b);
    await a.request('gearbox/setKeys', { keys: { openai: 'sk-test-catalog-0001' } });
    assert.deepEqual((await lb.count(1))[0], { reasons: ['keys'] });
    assert.deepEqual((await la.count(1))[0], { reasons: ['keys'] });
    const { models } = await b.request('gearbox/models', { task: 'chat' });
    assert.ok(models.some((m) => m.providerKind === 'openai' && m.available));
  });

  it('sends one notification for a key and an endpoint set together, none when nothing changed', async () => {
    const a = await d.connect();
    const la = listen(a);
    const endpoint = { id: 'team-vllm', baseUrl: 'http://127.0.0.1:9/v1', models: [{ name: 'qwen-32b' }] };
    await a.request('gearbox/setKeys', { keys: { 'team-vllm': 'sk-test-catalog-0002' }, endpoints: [endpoint] });
    assert.deepEqual(new Set((await la.count(1))[0]!.reasons), new Set(['keys', 'endpoints']));
    // The extension re-sends its keys on every connect: the same keys again change nothing...
    await a.request('gearbox/setKeys', { keys: { 'team-vllm': 'sk-test-catalog-0002' }, endpoints: [endpoint] });
    // ...and a real change after it is the very next notification.
    await a.request('gearbox/setKeys', { keys: { 'team-vllm': '' } });
    const seen = await la.count(2);
    assert.deepEqual(seen[1], { reasons: ['keys'] });
    const { models } = await a.request('gearbox/models', {});
    assert.equal(models.find((m) => m.id === 'team-vllm/qwen-32b')?.available, false);
  });

  it('tells clients when a local model is loaded and unloaded', async () => {
    const a = await d.connect();
    const la = listen(a);
    const res = await a.request('gearbox/chat', {
      streamId: 's1',
      messages: [{ role: 'user', content: 'hi' }],
      model: 'local/tiny',
    });
    assert.equal(res.model, 'local/tiny');
    assert.deepEqual((await la.count(1))[0], { reasons: ['model-loaded'] });
    await host.unload('local/tiny');
    assert.deepEqual((await la.count(2))[1], { reasons: ['model-unloaded'] });
  });

  it('is one event that other parts of the daemon fire (config edits, downloads)', async () => {
    const a = await d.connect();
    const la = listen(a);
    d.engine.catalogChanges.fire('config');
    d.engine.catalogChanges.fire('download');
    assert.deepEqual(new Set((await la.count(1))[0]!.reasons), new Set(['config', 'download']));
  });
});
