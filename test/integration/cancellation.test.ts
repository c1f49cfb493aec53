// Cancellation through the daemon: a client's $/cancelRequest (or its disconnect) must stop the
// upstream work, not only the reply. The closed provider (a fake) sees the HTTP client hang up before
// its stream ended; the model host stops the running generation before its token budget; afterwards
// nothing is left: no daemon session, no model host sequence, no request in flight. How fast each
// stop is lives in the benchmark (bench/cancel-latency.ts), not here.
import assert from 'node:assert/strict';
import { ErrorCodes } from '../../shared/protocol';
import type { DaemonClient } from '../../daemon/cli/client';
import {
  LOCAL_CHAT_MAX_TOKENS,
  REMOTE_CHUNKS,
  startCancelRig,
  type CancelRig,
  type LocalCancel,
  type RemoteCancel,
} from '../helpers/cancel-rig';

const RUNS = 3;

function assertLocalStopped(r: LocalCancel, what: string): void {
  assert.equal(r.errorCode, ErrorCodes.RequestCancelled, `${what}: the client's request is cancelled`);
  assert.ok(r.stopped, `${what}: the model host reports the running generation stopped on the abort`);
  assert.ok(r.deltas < r.maxTokens, `${what}: stopped before its budget (${r.deltas} deltas of ${r.maxTokens} tokens)`);
}

function assertHungUp(r: RemoteCancel, what: string): void {
  assert.equal(r.errorCode, ErrorCodes.RequestCancelled, `${what}: the client's request is cancelled`);
  assert.ok(r.hangUp, `${what}: the provider saw the daemon hang up (its stream did not run to the end)`);
  assert.ok(
    r.hangUp.chunksSent < REMOTE_CHUNKS,
    `${what}: hung up mid-stream (${r.hangUp.chunksSent} of ${REMOTE_CHUNKS} chunks sent)`,
  );
}

describe('cancellation (client → daemon → upstream)', function () {
  this.timeout(120_000);
  let rig: CancelRig;
  let c: DaemonClient | undefined;

  before(async function () {
    this.timeout(120_000);
    rig = await startCancelRig();
  });

  after(async () => {
    await rig?.stop();
  });

  /** Every case ends with its client gone and checks that nothing outlived it. */
  afterEach(async () => {
    await c?.close();
    c = undefined;
    const left = await rig.quiesce();
    assert.deepEqual(
      left,
      { host: { liveSequences: 0, inFlight: 0, pending: 0 }, daemonSessions: 0 },
      'no daemon session, model host sequence or request is left',
    );
  });

  it('a cancelled local chat stops generating in the model host', async () => {
    c = await rig.connect({ models: { chat: 'local/tiny' } });
    for (let i = 0; i < RUNS; i++) {
      const r = await rig.localChat(c, i);
      assertLocalStopped(r, `run ${i}`);
      assert.equal(r.maxTokens, LOCAL_CHAT_MAX_TOKENS);
    }
  });

  it('a cancelled local inline completion stops generating in the model host', async () => {
    c = await rig.connect({ models: { completion: 'local/tiny' } });
    await rig.openDocument(c);
    for (let i = 0; i < RUNS; i++) {
      const r = await rig.localCompletion(c, i);
      assert.ok(r.multiLine, `run ${i}: a multi-line completion (budget ${r.maxTokens})`);
      assertLocalStopped(r, `run ${i}`);
    }
  });

  it('a cancelled chat to a closed provider hangs up on it', async () => {
    c = await rig.connect({ models: { chat: 'fake/m' } });
    for (let i = 0; i < RUNS; i++) assertHungUp(await rig.remoteChat(c, i), `run ${i}`);
  });

  it('a cancelled inline completion on a closed provider hangs up on it', async () => {
    c = await rig.connect({ models: { completion: 'fake/m' } });
    await rig.openDocument(c);
    for (let i = 0; i < RUNS; i++) assertHungUp(await rig.remoteCompletion(c), `run ${i}`);
  });

  it('a client that disconnects mid-chat stops the upstream (provider and model host)', async () => {
    const remote = await rig.disconnectMidChat('fake/m');
    assert.ok(remote.upstream && 'chunksSent' in remote.upstream, 'the provider saw the hang-up');
    assert.ok(remote.upstream.chunksSent < REMOTE_CHUNKS, `cut mid-stream (${remote.upstream.chunksSent} chunks)`);
    const local = await rig.disconnectMidChat('local/tiny');
    assert.ok(local.upstream && 'stoppedAt' in local.upstream, 'the model host stopped the generation');
  });
});
