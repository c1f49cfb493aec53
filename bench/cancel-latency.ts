// Cancellation latency through the daemon: from a client's $/cancelRequest (or its disconnect) to
// the upstream stopping. Local: when the model host child had stopped generating (its clock; the same
// machine clock) and when the daemon heard of it. Closed provider: when the fake provider saw the
// HTTP client hang up. The scenarios are test/helpers/cancel-rig.ts's, which
// test/integration/cancellation.test.ts asserts the behaviour of; here they are timed, never asserted.
//
//   node --import tsx bench/cancel-latency.ts [--runs 20]
import { numFlag } from './lib/daemon-process';
import { printTable, summarize, writeResult, type Summary } from './lib/report';
import { startCancelRig } from '../test/helpers/cancel-rig';

const RUNS = Math.max(1, numFlag('runs', 20));

async function main(): Promise<void> {
  const rig = await startCancelRig();
  const samples: Record<string, number[]> = {
    'local chat: stopped in the model host': [],
    'local chat: stop reported to the daemon': [],
    'local completion: stopped in the model host': [],
    'local completion: stop reported to the daemon': [],
    'remote chat: provider saw the hang-up': [],
    'remote completion: provider saw the hang-up': [],
    'disconnect mid-chat: provider saw the hang-up': [],
    'disconnect mid-chat: model host stop reported': [],
  };
  const add = (name: string, ms: number | undefined) => {
    if (ms !== undefined) samples[name]!.push(ms);
  };
  let missed = 0;
  try {
    const localChat = await rig.connect({ models: { chat: 'local/tiny' } });
    for (let i = 0; i < RUNS; i++) {
      const r = await rig.localChat(localChat, i);
      if (!r.stopped) missed++;
      add('local chat: stopped in the model host', r.stopped && r.stopped.stoppedAt - r.cancelAt);
      add('local chat: stop reported to the daemon', r.stopped && r.stopped.reportedAt - r.cancelAt);
    }
    await localChat.close();

    const localCompletion = await rig.connect({ models: { completion: 'local/tiny' } });
    await rig.openDocument(localCompletion);
    for (let i = 0; i < RUNS; i++) {
      const r = await rig.localCompletion(localCompletion, i);
      if (!r.stopped) missed++;
      add('local completion: stopped in the model host', r.stopped && r.stopped.stoppedAt - r.cancelAt);
      add('local completion: stop reported to the daemon', r.stopped && r.stopped.reportedAt - r.cancelAt);
    }
    await localCompletion.close();

    const remoteChat = await rig.connect({ models: { chat: 'fake/m' } });
    for (let i = 0; i < RUNS; i++) {
      const r = await rig.remoteChat(remoteChat, i);
      if (!r.hangUp) missed++;
      add('remote chat: provider saw the hang-up', r.hangUp && r.hangUp.at - r.cancelAt);
    }
    await remoteChat.close();

    const remoteCompletion = await rig.connect({ models: { completion: 'fake/m' } });
    await rig.openDocument(remoteCompletion);
    for (let i = 0; i < RUNS; i++) {
      const r = await rig.remoteCompletion(remoteCompletion);
      if (!r.hangUp) missed++;
      add('remote completion: provider saw the hang-up', r.hangUp && r.hangUp.at - r.cancelAt);
    }
    await remoteCompletion.close();

    for (let i = 0; i < RUNS; i++) {
      const remote = await rig.disconnectMidChat('fake/m');
      const local = await rig.disconnectMidChat('local/tiny');
      if (!remote.upstream || !local.upstream) missed++;
      // The fake's clock is performance.now() of this process; the close is in epoch ms.
      if (remote.upstream && 'chunksSent' in remote.upstream)
        add(
          'disconnect mid-chat: provider saw the hang-up',
          performance.timeOrigin + remote.upstream.at - remote.closeAt,
        );
      if (local.upstream && 'reportedAt' in local.upstream)
        add('disconnect mid-chat: model host stop reported', local.upstream.reportedAt - local.closeAt);
    }
  } finally {
    await rig.stop();
  }

  const results: Record<string, Summary> = {};
  for (const [name, ms] of Object.entries(samples)) results[name] = summarize(ms);
  printTable(`cancel → upstream stopped, ms (${RUNS} runs each; model host threads: 1)`, [
    ['path', 'n', 'p50', 'p90', 'max'],
    ...Object.entries(results).map(([name, s]) => [name, s.n, s.p50, s.p90, s.max]),
  ]);
  if (missed) console.log(`\n${missed} run(s) ended before the cancel reached the upstream (not timed)`);
  writeResult('cancel-latency', {
    runs: RUNS,
    threads: 1,
    missed,
    results,
    samples: Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, v.map((x) => Math.round(x * 1000) / 1000)]),
    ),
  });
}

await main();
