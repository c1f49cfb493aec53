// What scanning an inline completion's prompt for secrets costs per keystroke (issue 9): typing in a
// ~20 KB file, each keystroke builds the prompt (completion-context.ts: ~6 KB of prefix, 640 chars
// of suffix, recent edits in other files) and the engine's privacy step scans exactly that
// (request-privacy.ts, line by line through SecretScanCache). Compared with scanning the same text
// from scratch (findSecrets) and the whole file; then route() as the engine calls it for a
// completion (secrets already found) against route() scanning the 20 KB file itself. Writes
// bench/results/completion-privacy.json. Not a test: timings vary by machine.
//   node --import tsx bench/completion-privacy.ts [keystrokes]
import fs from 'node:fs';
import path from 'node:path';
import { buildCatalog } from '../daemon/catalog/catalog';
import { buildCompletionPrompt } from '../daemon/completion-context';
import { DocumentStore } from '../daemon/documents';
import { completionPrivacy } from '../daemon/request-privacy';
import { findSecrets, route, SecretScanCache, type RouteInput } from '../daemon/routing';
import { WorkspaceSettings } from '../shared/protocol';
import { machine, printTable, repoRoot, resultsDir, summarize, type Summary } from './lib/report';

const KEYSTROKES = Number(process.argv[2] ?? 5000);

// ~20 KB of real TypeScript (the daemon's own session), the cursor typing a new line in the middle.
const source = fs.readFileSync(path.join(repoRoot, 'daemon', 'session.ts'), 'utf8');
const file = source.repeat(Math.ceil(20_000 / source.length)).slice(0, 20_000);
const uri = 'file:///home/dev/app/src/session.ts';
const settings = WorkspaceSettings.parse({ privatePaths: ['internal/**', '.env*'], secrets: 'force-local' });
const scope = { settings, workspaceRoots: ['file:///home/dev/app'] };
const catalog = buildCatalog({
  providers: [],
  localModels: [{ id: 'local/qwen2.5-coder-1.5b', source: 'a.gguf', tier: 0, tasks: ['completion'] }],
  providersWithKeys: new Set(['openai', 'anthropic', 'gemini']),
  loadedLocal: new Set(['local/qwen2.5-coder-1.5b']),
});

// Recent edits in three other files, one of them private: the context a completion carries.
const docs = new DocumentStore();
for (const [name, text] of [
  ['src/util.ts', source.slice(0, 3000)],
  ['internal/billing.ts', source.slice(3000, 6000)],
  ['src/api.ts', source.slice(6000, 9000)],
] as const) {
  const u = `file:///home/dev/app/${name}`;
  docs.open(u, 'typescript', 1, text);
  docs.change(u, 2, [
    { range: { start: { line: 10, character: 0 }, end: { line: 10, character: 0 } }, text: '// x\n' },
  ]);
}

// The picked chunks enter the context ring (the daemon does it when the user is idle).
docs.contextRing.update(Number.POSITIVE_INFINITY);

/** Per keystroke: the prompt at the cursor after typing one more character of a line. */
function* keystrokes(n: number) {
  const line = '    const limit = Math.max(this.host.limits?.requestBurst ?? 0, 16); // typed\n';
  let text = file;
  let at = text.indexOf('\n', text.length / 2) + 1;
  for (let i = 0; i < n; i++) {
    text = text.slice(0, at) + line[i % line.length]! + text.slice(at);
    at++;
    yield buildCompletionPrompt(text, at, uri, docs.completionContext(uri));
  }
}

function time(fn: () => unknown): number {
  const s = performance.now();
  fn();
  return (performance.now() - s) * 1000;
}

const rows: Record<string, Summary> = {};
const warm = (f: () => void) => {
  for (let i = 0; i < 3; i++) f();
};

// The same keystrokes for every variant; each gets its own cache.
const prompts = [...keystrokes(KEYSTROKES)];
const sentChars = summarize(prompts.map((p) => p.filePrefix.length + p.suffix.length)).p50;

warm(() => prompts.slice(0, 200).forEach((p) => findSecrets(p.filePrefix + p.suffix, { fileName: uri })));
rows['findSecrets(prefix + suffix), from scratch'] = summarize(
  prompts.map((p) => time(() => findSecrets(p.filePrefix + p.suffix, { fileName: uri }))),
);
rows['findSecrets(whole 20 KB file)'] = summarize(
  prompts.slice(0, 500).map(() => time(() => findSecrets(file, { fileName: uri }))),
);
{
  const cache = new SecretScanCache();
  warm(() => prompts.slice(0, 200).forEach((p) => cache.find(p.filePrefix + p.suffix, { fileName: uri })));
  const lines = cache.stats.lines;
  const scanned = cache.stats.scanned;
  rows['SecretScanCache.find(prefix + suffix)'] = summarize(
    prompts.map((p) => time(() => cache.find(p.filePrefix + p.suffix, { fileName: uri }))),
  );
  console.log(
    `cache: ${cache.stats.lines - lines} lines looked at, ${cache.stats.scanned - scanned} scanned over ` +
      `${prompts.length} keystrokes`,
  );
}
{
  const cache = new SecretScanCache();
  warm(() => prompts.slice(0, 200).forEach((p) => completionPrivacy({ uri, ...p }, scope, cache)));
  rows['completionPrivacy (file + 3 snippets)'] = summarize(
    prompts.map((p) => time(() => completionPrivacy({ uri, ...p }, scope, cache))),
  );
}
{
  const cache = new SecretScanCache();
  const inputs: RouteInput[] = prompts.map((p) => ({
    task: 'completion',
    prompt: p.prefix.slice(-2000),
    settings,
    filePath: uri,
    workspaceRoots: scope.workspaceRoots,
    scanSecrets: false,
    secrets: completionPrivacy({ uri, ...p }, scope, cache).secrets,
  }));
  warm(() => inputs.slice(0, 500).forEach((x) => route(x, catalog)));
  rows['route(completion), secrets found by the engine'] = summarize(inputs.map((x) => time(() => route(x, catalog))));
  const scanning = inputs.slice(0, 2000).map((x) => ({ ...x, scanSecrets: true, secrets: undefined, fileText: file }));
  rows['route(completion) scanning the 20 KB file itself'] = summarize(
    scanning.map((x) => time(() => route(x, catalog))),
  );
}

printTable(`completion privacy per keystroke (µs), ${KEYSTROKES} keystrokes, ~${sentChars} chars sent`, [
  ['', 'n', 'p50', 'p90', 'p99', 'max'],
  ...Object.entries(rows).map(([k, s]) => [k, s.n, s.p50, s.p90, s.p99, s.max]),
]);
fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(
  path.join(resultsDir, 'completion-privacy.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      command: `node --import tsx bench/completion-privacy.ts ${KEYSTROKES}`,
      machine: machine(),
      fileChars: file.length,
      sentChars,
      unit: 'µs',
      results: rows,
    },
    null,
    2,
  )}\n`,
);
