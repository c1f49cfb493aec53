// Memory with one client and with three: the daemon in its own process (node dist/daemon/gearbox.mjs
// start) with one local model, the benchmark model (Qwen2.5-Coder-0.5B shape, Q8_0), on the CPU.
// One client opens a file and runs a few inline completions; RSS of the daemon and of its model host
// is sampled. Two more clients connect, each opening its own file and completing; RSS again. The
// target (three clients ≤ 1.1 × one client) is recorded, never asserted.
//
//   node --import tsx bench/memory.ts [--model tiny] [--threads 2] [--completions 3] [--context N] [--no-build]
import os from 'node:os';
import path from 'node:path';
import { connectToDaemon, type DaemonClient } from '../daemon/cli/client';
import {
  cpuMsOf,
  ensureBuilt,
  flag,
  hasFlag,
  numFlag,
  rssBreakdown,
  spawnDaemon,
  type DaemonProcess,
} from './lib/daemon-process';
import { benchModel, shapeFromArgs } from './lib/model';
import { childPids, machine, MiB, printTable, rssOf, summarize, writeResult } from './lib/report';

const SHAPE = shapeFromArgs();
const COMPLETIONS = Math.max(1, numFlag('completions', 3));
// Never more threads than physical cores (slower, not faster); this machine has 2.
const THREADS = Math.max(1, numFlag('threads', Math.min(2, machine().physicalCores ?? os.cpus().length)));
const CONTEXT = flag('context') ? numFlag('context', 0) : undefined;
const TARGET = {
  threeClientsOverOneClientRss: 1.1,
  note: 'total RSS (daemon + model host) with three clients ≤ 1.1 × with one',
};
const SEQUENCES_PER_MODEL = 4; // ModelHostClient's default (daemon/model-host/client.ts); not in the config schema

/** A small Python file; each client gets its own variant so that no prompt is shared. */
function sourceFor(client: number): string {
  const lines = [
    `"""Inventory helpers for warehouse ${client}."""`,
    'from dataclasses import dataclass, field',
    'from typing import Dict, List, Optional',
    '',
    '',
    '@dataclass',
    'class Item:',
    '    sku: str',
    '    name: str',
    '    quantity: int = 0',
    '    price_cents: int = 0',
    '    tags: List[str] = field(default_factory=list)',
    '',
    '',
    `class Warehouse${client}:`,
    '    def __init__(self) -> None:',
    '        self.items: Dict[str, Item] = {}',
    '',
    '    def add(self, item: Item) -> None:',
    '        if item.sku in self.items:',
    '            self.items[item.sku].quantity += item.quantity',
    '        else:',
    '            self.items[item.sku] = item',
    '',
    '    def remove(self, sku: str, quantity: int) -> Optional[Item]:',
    '        item = self.items.get(sku)',
    '        if item is None:',
    '            return None',
    '        item.quantity = max(0, item.quantity - quantity)',
    '        return item',
    '',
    '    def total_value(self) -> int:',
    '        return ',
    '',
    '    def by_tag(self, tag: str) -> List[Item]:',
    '        ',
    '',
    '',
    'def main() -> None:',
    `    w = Warehouse${client}()`,
    '    w.add(Item("A-1", "bolt", 10, 25))',
    '    print(w.total_value())',
    '',
  ];
  return lines.join('\n');
}

/** Cursor positions to complete at: the end of the two unfinished lines, alternating. */
function cursors(text: string): { line: number; character: number }[] {
  const lines = text.split('\n');
  const a = lines.indexOf('        return ');
  const b = lines.indexOf('        ');
  return [
    { line: a, character: lines[a]!.length },
    { line: b, character: lines[b]!.length },
  ];
}

interface ClientRun {
  client: number;
  uri: string;
  completionMs: number[];
  /** Characters of ghost text per completion (random weights: gibberish, but it must answer). */
  chars: number[];
}

async function openAndComplete(c: DaemonClient, client: number): Promise<ClientRun> {
  const uri = `file:///bench/memory/client${client}/inventory.py`;
  const text = sourceFor(client);
  await c.connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  const run: ClientRun = { client, uri, completionMs: [], chars: [] };
  const at = cursors(text);
  for (let i = 0; i < COMPLETIONS; i++) {
    const position = at[i % at.length]!;
    const t0 = performance.now();
    const res = (await c.connection.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position,
      context: { triggerKind: 1 },
    })) as { items: { insertText: string | { value: string } }[] } | null;
    run.completionMs.push(performance.now() - t0);
    const first = res?.items[0]?.insertText;
    run.chars.push(typeof first === 'string' ? first.length : (first?.value.length ?? 0));
  }
  return run;
}

interface Sample {
  daemonRss: number;
  modelHostRss: number;
  total: number;
  /** The model host's RSS split: anonymous (heap, KV cache, compute buffers) and file-backed (mmapped weights). */
  modelHostSplit?: { anon: number; file: number; shmem: number };
}

/** RSS of the daemon and its model host: the median of `n` samples `everyMs` apart (after the work settled). */
async function sampleRss(daemonPid: number, hostPid: number, n = 5, everyMs = 200): Promise<Sample> {
  const d: number[] = [];
  const h: number[] = [];
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    const dr = rssOf(daemonPid);
    const hr = rssOf(hostPid);
    if (dr === undefined || hr === undefined)
      throw new Error(`cannot read the RSS of the daemon (${daemonPid}) or the model host (${hostPid})`);
    d.push(dr);
    h.push(hr);
  }
  const daemonRss = summarize(d).p50;
  const modelHostRss = summarize(h).p50;
  const split = rssBreakdown(hostPid);
  return {
    daemonRss,
    modelHostRss,
    total: daemonRss + modelHostRss,
    ...(split ? { modelHostSplit: { anon: split.anon, file: split.file, shmem: split.shmem } } : {}),
  };
}

async function main(): Promise<void> {
  if (!hasFlag('no-build')) ensureBuilt();
  const modelFile = benchModel(SHAPE);
  const config = {
    localModels: [
      {
        id: 'local/bench',
        source: modelFile,
        tier: 0,
        tasks: ['completion'],
        ...(CONTEXT ? { contextSize: CONTEXT } : {}),
      },
    ],
    modelDirs: [path.dirname(modelFile)],
    threads: THREADS,
    gpu: false,
    idleUnloadMinutes: 60,
    // The first completion loads the model; a loaded machine can be slow: keep the deadline out of the way.
    timeouts: { completionMs: 300_000 },
  };
  let daemon: DaemonProcess | undefined;
  const clients: DaemonClient[] = [];
  try {
    daemon = await spawnDaemon({ config, readyTimeoutMs: 60_000 });
    const d = daemon;
    const idleDaemonRss = rssOf(d.pid);
    console.log(
      `daemon pid ${d.pid}; model ${path.basename(modelFile)} (${SHAPE}); ${THREADS} threads, CPU only; ` +
        `${COMPLETIONS} completions per client`,
    );

    // One client.
    clients.push(await connectToDaemon({ runtimeDir: d.runtimeDir, clientName: 'bench-memory-1' }));
    const runs: ClientRun[] = [await openAndComplete(clients[0]!, 1)];
    const st1 = await clients[0]!.request('gearbox/status', {});
    const hostPid = st1.modelHost.pid ?? childPids(d.pid)[0];
    if (!hostPid) throw new Error('the model host is not running after the completions');
    if (!childPids(d.pid).includes(hostPid))
      throw new Error(`model host pid ${hostPid} is not a child of the daemon (${d.pid})`);
    const one = await sampleRss(d.pid, hostPid);
    console.log(
      `one client:    daemon ${(one.daemonRss / MiB).toFixed(1)} MiB, ` +
        `model host ${(one.modelHostRss / MiB).toFixed(1)} MiB`,
    );

    // Two more clients, each with its own file, completing at the same time.
    clients.push(
      await connectToDaemon({ runtimeDir: d.runtimeDir, clientName: 'bench-memory-2' }),
      await connectToDaemon({ runtimeDir: d.runtimeDir, clientName: 'bench-memory-3' }),
    );
    runs.push(...(await Promise.all([openAndComplete(clients[1]!, 2), openAndComplete(clients[2]!, 3)])));
    // And the first client once more, so that all three sessions are live and used.
    runs[0]!.completionMs.push(...(await openAndCompleteAgain(clients[0]!, runs[0]!)));
    const st3 = await clients[0]!.request('gearbox/status', {});
    const three = await sampleRss(d.pid, hostPid);
    console.log(
      `three clients: daemon ${(three.daemonRss / MiB).toFixed(1)} MiB, ` +
        `model host ${(three.modelHostRss / MiB).toFixed(1)} MiB`,
    );

    const ratio = Math.round((three.total / one.total) * 1000) / 1000;
    const mib = (b: number) => Math.round((b / MiB) * 10) / 10;
    printTable(`RSS (MiB), daemon + model host, ${SHAPE} model, ${THREADS} threads`, [
      ['', 'daemon', 'model host', 'total'],
      ['daemon started, no client', mib(idleDaemonRss ?? NaN), '-', mib(idleDaemonRss ?? NaN)],
      ['1 client (1 file, completions)', mib(one.daemonRss), mib(one.modelHostRss), mib(one.total)],
      ['3 clients (3 files, completions)', mib(three.daemonRss), mib(three.modelHostRss), mib(three.total)],
      [
        '3 clients / 1 client',
        Math.round((three.daemonRss / one.daemonRss) * 1000) / 1000,
        Math.round((three.modelHostRss / one.modelHostRss) * 1000) / 1000,
        ratio,
      ],
    ]);
    if (three.modelHostSplit) {
      const sp = three.modelHostSplit;
      console.log(
        `model host RSS with three clients: ${mib(sp.anon)} MiB anonymous (heap, KV cache, compute buffers), ` +
          `${mib(sp.file)} MiB file-backed ` +
          `(mmapped weights; model file ${mib(st1.loadedModels[0]?.sizeBytes ?? NaN)} MiB)`,
      );
    }
    const all = runs.flatMap((r) => r.completionMs);
    const first = runs[0]!.completionMs[0]!;
    const later = runs.flatMap((r, i) => (i === 0 ? r.completionMs.slice(1) : r.completionMs));
    const lat = summarize(later);
    console.log(
      `\ncompletions: ${all.length}; first (loads the model) ${first.toFixed(0)} ms; ` +
        `the others p50 ${lat.p50.toFixed(0)} ms, max ${lat.max.toFixed(0)} ms`,
    );
    console.log(`target: three clients ≤ ${TARGET.threeClientsOverOneClientRss} × one client; measured ${ratio}`);

    writeResult('memory', {
      targets: TARGET,
      setup: {
        daemon: 'separate process: node dist/daemon/gearbox.mjs start (temp runtime dir and config)',
        model: { shape: SHAPE, file: path.basename(modelFile), bytes: st1.loadedModels[0]?.sizeBytes ?? null },
        threads: THREADS,
        gpu: false,
        contextSize: CONTEXT ?? 'default (model host default, capped by the model)',
        sequencesPerModel: `${SEQUENCES_PER_MODEL} (ModelHostClient default; not configurable in DaemonConfig)`,
        completionsPerClient: COMPLETIONS,
        rss: 'VmRSS from /proc, median of 5 samples 200 ms apart, after the completions finished',
      },
      rssBytes: {
        idleDaemon: idleDaemonRss ?? null,
        oneClient: one,
        threeClients: three,
      },
      ratioThreeOverOne: ratio,
      loadedModels: st3.loadedModels,
      statusMemory: { oneClient: st1.memory, threeClients: st3.memory },
      completions: {
        firstMs: Math.round(first),
        othersMs: lat,
        perClient: runs.map((r) => ({ client: r.client, ms: r.completionMs.map(Math.round), chars: r.chars })),
      },
      cpuMs: { daemon: cpuMsOf(d.pid) ?? null, modelHost: cpuMsOf(hostPid) ?? null },
    });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await daemon?.stop();
  }
}

/** One more completion on a client's already-open file (its session stays live). */
async function openAndCompleteAgain(c: DaemonClient, run: ClientRun): Promise<number[]> {
  const at = cursors(sourceFor(run.client));
  const t0 = performance.now();
  await c.connection.sendRequest('textDocument/inlineCompletion', {
    textDocument: { uri: run.uri },
    position: at[0]!,
    context: { triggerKind: 1 },
  });
  return [performance.now() - t0];
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`memory bench failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
