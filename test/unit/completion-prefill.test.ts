import assert from 'node:assert/strict';
import { DocumentStore } from '../../daemon/documents';
import { prefillRig } from '../helpers/prefill-rig';

function setup() {
  const docs = new DocumentStore();
  const { calls, completing, prefill, nextCall } = prefillRig(docs, { sessionKey: (uri) => `c1:${uri}` });
  /** Types `text` at the end of line 0 of the document. */
  const type = (uri: string, text: string, version: number) => {
    const doc = docs.get(uri)!;
    const end = doc.positionAt(doc.getText().indexOf('\n'));
    const changes = [{ range: { start: end, end }, text }];
    docs.change(uri, version, changes);
    prefill.afterEdit(uri, changes);
  };
  return { docs, calls, completing, prefill, nextCall, type };
}

describe('completion prefill (cache warm-up after an edit)', () => {
  it('after an edit in a document completed with a local model, evaluates the prompt at the edit', async () => {
    const { docs, calls, prefill, nextCall, type } = setup();
    docs.open('file:///a.ts', 'typescript', 1, 'const a = 1\nexport {};\n');
    prefill.completedWith('file:///a.ts', 'local/coder');
    const called = nextCall();
    type('file:///a.ts', ';\nconst b', 2);
    await called;
    assert.equal(calls.length, 1);
    const { req } = calls[0]!;
    assert.equal(req.modelId, 'local/coder');
    assert.equal(req.sessionKey, 'c1:file:///a.ts');
    assert.ok(req.prefix.endsWith('const a = 1;\nconst b'), req.prefix);
    assert.ok(req.suffix.startsWith('\nexport {};'), req.suffix);
  });

  it('warms only documents it completed in, and not while a completion for it runs', async () => {
    const { docs, calls, completing, prefill, nextCall, type } = setup();
    for (const uri of ['file:///never.ts', 'file:///busy.ts', 'file:///idle.ts'])
      docs.open(uri, 'typescript', 1, 'let x\n');
    prefill.completedWith('file:///busy.ts', 'local/coder');
    prefill.completedWith('file:///idle.ts', 'local/coder');
    completing.add('file:///busy.ts');
    type('file:///never.ts', ' = 1', 2);
    type('file:///busy.ts', ' = 1', 2);
    const called = nextCall();
    type('file:///idle.ts', ' = 1', 2);
    await called;
    // The three timers fire in order: by the time the last one ran, the first two had decided.
    assert.deepEqual(
      calls.map((c) => c.req.sessionKey),
      ['c1:file:///idle.ts'],
    );
  });

  it('a newer edit stops the running warm-up and starts one at the new cursor', async () => {
    const { docs, calls, prefill, nextCall, type } = setup();
    docs.open('file:///a.ts', 'typescript', 1, 'let x\n');
    prefill.completedWith('file:///a.ts', 'local/coder');
    let called = nextCall();
    type('file:///a.ts', ' =', 2);
    await called;
    called = nextCall();
    type('file:///a.ts', ' 42', 3);
    await called;
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.signal.aborted, true);
    assert.equal(calls[1]!.signal.aborted, false);
    assert.ok(calls[1]!.req.prefix.endsWith('let x = 42'));
  });

  it('closing the document or the connection stops its warm-ups', async () => {
    const { docs, calls, prefill, nextCall, type } = setup();
    docs.open('file:///a.ts', 'typescript', 1, 'let a\n');
    docs.open('file:///b.ts', 'typescript', 1, 'let b\n');
    prefill.completedWith('file:///a.ts', 'local/coder');
    prefill.completedWith('file:///b.ts', 'local/coder');
    let called = nextCall();
    type('file:///a.ts', ' = 1', 2);
    await called;
    prefill.forget('file:///a.ts');
    assert.equal(calls[0]!.signal.aborted, true);
    called = nextCall();
    type('file:///b.ts', ' = 1', 2);
    await called;
    type('file:///a.ts', ' + 1', 3);
    prefill.dispose();
    assert.equal(calls[1]!.signal.aborted, true);
    type('file:///b.ts', ' + 1', 3);
    // Timers of equal delay fire in order: this one runs after any warm-up the edits above scheduled.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(calls.length, 2, 'a closed document is forgotten, and nothing is scheduled after dispose');
  });
});
