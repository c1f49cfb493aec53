import type { LlamaCompletion, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { defaultThreadCount } from '../daemon/model-host/threads';
import { fimScenarios, type FimPrompt, type FimScenarios } from './lib/fim-prompt';
import { nativeBin, serverComplete, startLlamaServer, type LlamaServer } from './lib/llama-native';
import { benchModel, cpuLlama, shapeFromArgs, startBenchModelHost } from './lib/model';
import { median, outName, printTable, summarize, writeResult } from './lib/report';

const argv = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const shape = shapeFromArgs(argv);
const threads = flag('--threads', Math.min(2, defaultThreadCount()));
const runs = flag('--runs', 7);
const modelPath = benchModel(shape);
/** Round r's prompts (a different file per round; round -1 warms up). */
const scenariosOf = (r: number) => fimScenarios(r + 1);
const scenarios = scenariosOf(0);
type Name = Exclude<keyof FimScenarios, 'coldExtra'>;
const names: Name[] = ['cold', 'sameLine', 'nextLine', 'farEdit', 'farDelete', 'sameLineExtra'];
/** What is cached before each warm scenario's request. */
const baseOf = (s: FimScenarios, n: Name): FimPrompt => (n === 'sameLineExtra' ? s.coldExtra : s.cold);
/** The extension's debounce: the daemon's prefill starts at the edit, the request comes this much later. */
const DEBOUNCE_MS = 75;

interface Sample {
  ms: number;
  evaluated?: number;
}
type Results = Record<Name, Sample[]>;
const empty = (): Results => ({
  cold: [],
  sameLine: [],
  nextLine: [],
  farEdit: [],
  farDelete: [],
  sameLineExtra: [],
});
/** One completion with maxTokens 1; `fresh` = nothing cached; `edit` = a warm scenario right after its edit. */
type Once = (p: FimPrompt, fresh: boolean, edit: boolean) => Promise<Sample>;

interface Engine {
  label: string;
  once: Once;
  results: Results;
  close(): Promise<void>;
}

/** One round: the cold prompt from nothing, then each warm scenario from the cold prompt cached. */
async function round(e: Engine, s: FimScenarios): Promise<void> {
  e.results.cold.push(await e.once(s.cold, true, false));
  for (const name of names.slice(1)) {
    await e.once(baseOf(s, name), false, false);
    e.results[name].push(await e.once(s[name], false, true));
  }
}

// ---------- node-llama-cpp, directly ----------
async function direct(): Promise<
  Engine & { tokens: Record<Name, number[]>; ids: (p: FimPrompt) => number[]; binary: string }
> {
  const { nlc, llama } = await cpuLlama(threads);
  const model: LlamaModel = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ sequences: 1, contextSize: 4096, threads });
  const seq: LlamaContextSequence = context.getSequence();
  const completion: LlamaCompletion = new nlc.LlamaCompletion({ contextSequence: seq });
  const tok = (t: string): Token[] => model.tokenize(t, false, 'trimLeadingSpace');
  const ids = (p: FimPrompt): number[] => {
    const t = model.tokens;
    const bos = t.shouldPrependBosToken && t.bos != null ? [t.bos] : [];
    return [...bos, t.infill.prefix!, ...tok(p.prefix), t.infill.suffix!, ...tok(p.suffix), t.infill.middle!];
  };
  return {
    label: 'node-llama-cpp direct',
    results: empty(),
    once: async (p, fresh) => {
      if (fresh) await seq.clearHistory();
      const before = seq.tokenMeter.getState();
      const started = performance.now();
      let first = 0;
      await completion.generateInfillCompletion(p.prefix, p.suffix, {
        maxTokens: 1,
        temperature: 0,
        repeatPenalty: false,
        onToken: () => (first ||= performance.now()),
      });
      return { ms: (first || performance.now()) - started, evaluated: seq.tokenMeter.diff(before).usedInputTokens };
    },
    tokens: Object.fromEntries(names.map((n) => [n, ids(scenarios[n])])) as Record<Name, number[]>,
    ids,
    binary: `${llama.buildType} ${llama.gpu === false ? 'cpu' : llama.gpu}`,
    close: async () => {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

// ---------- the daemon's inference path: model-host child over IPC ----------
async function daemonHost(): Promise<{ plain: Engine; prefilled: Engine }> {
  const host = await startBenchModelHost(modelPath, threads);
  let session = 0;
  const once =
    (prefill: boolean): Once =>
    async (p, fresh, edit) => {
      if (fresh) session++;
      const key = `s${session}`;
      if (prefill && edit) {
        // As the daemon does after an edit: warm the cache at once; the request follows the debounce.
        void host.prefill({ modelId: 'bench', sessionKey: key, prefix: p.prefix, suffix: p.suffix }).catch(() => {});
        await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
      }
      const started = performance.now();
      // With maxTokens 1 the reply marks the first token.
      const r = await host.complete(
        { modelId: 'bench', sessionKey: key, prefix: p.prefix, suffix: p.suffix, maxTokens: 1, temperature: 0 },
        () => {},
      );
      return { ms: performance.now() - started, evaluated: r.usage.evaluatedPromptTokens };
    };
  return {
    plain: { label: 'daemon (model host)', results: empty(), once: once(false), close: async () => {} },
    prefilled: {
      label: `daemon, prefilled during the ${DEBOUNCE_MS} ms debounce`,
      results: empty(),
      once: once(true),
      close: () => host.dispose(),
    },
  };
}

// ---------- llama.cpp's own server, same token ids ----------
async function llamaServer(ids: (p: FimPrompt) => number[]): Promise<Engine | undefined> {
  if (!nativeBin('llama-server')) {
    console.log('llama-server: not built (npm run bench:native), skipped');
    return undefined;
  }
  // --cache-reuse as llama.vscode recommends it, with the daemon's minimum chunk (64 tokens).
  const server: LlamaServer = await startLlamaServer(modelPath, threads, 4096, ['--cache-reuse', '64']);
  return {
    label: 'llama-server (native)',
    results: empty(),
    once: async (p, fresh) => {
      const r = await serverComplete(server, ids(p), 1, !fresh);
      return { ms: r.wallMs, evaluated: r.promptN };
    },
    close: () => server.stop(),
  };
}

const d = await direct();
const { plain, prefilled } = await daemonHost();
const server = await llamaServer(d.ids);
const engines = [d, plain, prefilled, ...(server ? [server] : [])];
// Warm-up: page the weights in, JIT the paths; then interleaved rounds.
for (const e of engines) await e.once(scenariosOf(-1).cold, true, false);
for (let r = 0; r < runs; r++) for (const e of engines) await round(e, scenariosOf(r));
for (const e of engines) await e.close();

const med = (r: Results, n: Name, k: 'ms' | 'evaluated') => median(r[n].map((s) => s[k] ?? NaN));
printTable(
  `FIM time to first token, ms (median of ${runs} interleaved rounds; ${threads} thread(s); ` +
    `prompt ${d.tokens.cold.length} tokens, ${shape}; "eval" = prompt tokens evaluated by the request)`,
  [
    ['path', ...names.flatMap((n) => [n, 'eval'])],
    ...engines.map((e) => [
      e.label,
      ...names.flatMap((n) => [med(e.results, n, 'ms'), med(e.results, n, 'evaluated')]),
    ]),
  ],
);
const stats = (r: Results) =>
  Object.fromEntries(
    names.map((n) => [n, { ms: summarize(r[n].map((s) => s.ms)), evaluatedTokens: med(r, n, 'evaluated') }]),
  );
const ratio = (a: Engine, n: Name) => (server ? med(a.results, n, 'ms') / med(server.results, n, 'ms') : null);
const ratios = Object.fromEntries(
  names.map((n) => [
    n,
    { daemon: ratio(plain, n), daemonPrefilled: n === 'cold' ? null : ratio(prefilled, n), direct: ratio(d, n) },
  ]),
);
const over = (e: Engine, a: Name, b: Name) => med(e.results, a, 'ms') / med(e.results, b, 'ms');
const targets = {
  farDeleteOverCold: over(plain, 'farDelete', 'cold'),
  farEditOverCold: over(plain, 'farEdit', 'cold'),
  sameLineExtraOverSameLine: over(plain, 'sameLineExtra', 'sameLine'),
};
console.log(
  `\ndaemon: far deletion / cold ${targets.farDeleteOverCold.toFixed(2)}× (target ≤ 0.25), far rename / cold ` +
    `${targets.farEditOverCold.toFixed(2)}×, same-line with a full context ring / without ` +
    `${targets.sameLineExtraOverSameLine.toFixed(2)}× (target ≤ 1.10)`,
);
if (server) {
  console.log(
    `\nwarm same-line TTFT / llama-server's: daemon ${ratios.sameLine!.daemon!.toFixed(2)}×, ` +
      `daemon with prefill ${ratios.sameLine!.daemonPrefilled!.toFixed(2)}×, ` +
      `node-llama-cpp direct ${ratios.sameLine!.direct!.toFixed(2)}× (target ≤ 1)`,
  );
}
writeResult(outName('fim'), {
  model: shape,
  threads,
  runs,
  promptTokens: Object.fromEntries(names.map((n) => [n, d.tokens[n].length])),
  nodeLlamaCppBinary: d.binary,
  direct: stats(d.results),
  daemonModelHost: stats(plain.results),
  daemonModelHostPrefilled: stats(prefilled.results),
  prefillNote:
    `the daemon's prefill started at the edit; the request followed ${DEBOUNCE_MS} ms later ` +
    "(the extension's debounce); times are from the request",
  llamaServer: server ? stats(server.results) : null,
  overLlamaServer: server ? ratios : null,
  daemonRatios: targets,
  targets: {
    sameLineDaemonOverLlamaServer: '≤ 1',
    farDeleteOverCold: '≤ 0.25',
    sameLineExtraOverSameLine: '≤ 1.10',
  },
});
