// The `gearbox` command: runs the daemon, and is a client of it for everything else.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { InlineCompletionList } from 'vscode-languageserver';
import {
  TaskKind,
  UsageSince,
  type CodeContext,
  type ModelInfo,
  type RouteDecision,
  type StatusResult,
  type UsageResult,
} from '../../shared/protocol';
import { defaultConfigPath, loadConfig } from '../config';
import { AlreadyRunningError, startDaemon } from '../daemon';
import { redact } from '../log';
import { RotatingLog } from '../rotating-log';
import { VERSION } from '../version';
import { defaultRuntimeDir, ensureRuntimeDir, readDiscovery, runtimePaths } from '../../shared/discovery';
import { connectToDaemon, type DaemonClient } from './client';
import { buildNative, clearNative, doctorReport, formatDoctor, runSmoke } from './doctor';
import { languageIdOf } from './language';

const USAGE = `gearbox ${VERSION} — hybrid local + cloud AI coding daemon

Usage:
  gearbox start [--detach] [--port N] [--config FILE] [--log-level debug|info|warn|error] [--log-file F]
  gearbox stop
  gearbox status [--json]
  gearbox models [--task completion|chat|refactor] [--json]
  gearbox complete --file F --line L --col C [--json]      (1-based line and column)
  gearbox chat "message" [--file F] [--model M] [--json]
  gearbox route --task chat|refactor|completion [--explain] [--json]   (prompt on stdin)
  gearbox usage [--since 7d|30d|YYYY-MM-DD] [--workspace all|current] [--json]
  gearbox doctor [--json] [--build-native [--amx] | --clear-native]   (inference binary; opt-in build for this CPU)

Environment: GEARBOX_RUNTIME_DIR (lock, token, discovery), GEARBOX_CONFIG (config file),
OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY (keys, unless set by the editor).`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const runtimeDir = defaultRuntimeDir();
  try {
    switch (cmd) {
      case 'start':
        return await cmdStart(rest, runtimeDir);
      case 'stop':
        return await cmdStop(runtimeDir);
      case 'status':
        return await cmdStatus(rest, runtimeDir);
      case 'models':
        return await cmdModels(rest, runtimeDir);
      case 'complete':
        return await cmdComplete(rest, runtimeDir);
      case 'chat':
        return await cmdChat(rest, runtimeDir);
      case 'route':
        return await cmdRoute(rest, runtimeDir);
      case 'usage':
        return await cmdUsage(rest, runtimeDir);
      case 'doctor':
        return await cmdDoctor(rest);
      case 'version':
      case '--version':
        console.log(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      default:
        throw new UsageError(`Unknown command "${cmd}".`);
    }
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      console.error(`gearbox: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    const message = (err as Error).message ?? String(err);
    console.error(`gearbox: ${message}${typeof code === 'number' ? ` (code ${code})` : ''}`);
    return 1;
  }
}

async function cmdStart(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      detach: { type: 'boolean', default: false },
      port: { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      // Set by the spawners of a detached daemon: it writes and rotates its log itself.
      'log-file': { type: 'string' },
    },
  });
  const port = values.port ? Number(values.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new UsageError(`--port must be 0..65535`);
  const logLevel = values['log-level'] as 'debug' | 'info' | 'warn' | 'error' | undefined;
  if (logLevel && !['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new UsageError('--log-level must be debug, info, warn or error');
  const configPath = values.config ? path.resolve(values.config) : defaultConfigPath();

  const existing = readDiscovery(runtimePaths(runtimeDir));
  if (existing) {
    console.log(`Gearbox daemon already running: pid ${existing.pid}, port ${existing.port}`);
    return 0;
  }
  if (values.detach)
    return detach(
      args.filter((a) => a !== '--detach'),
      runtimeDir,
    );

  const logFile = values['log-file'] ? new RotatingLog(path.resolve(values['log-file'])) : undefined;
  // With a log file nobody reads this process's stderr: a fatal error must land in the log.
  const logFatal = (msg: string, err: unknown) =>
    logFile?.write(
      redact(JSON.stringify({ t: new Date().toISOString(), level: 'error', msg, pid: process.pid, error: `${err}` })),
    );
  if (logFile)
    process.once('uncaughtException', (err) => {
      logFatal('daemon crashed', err.stack ?? err);
      process.exit(1);
    });
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon({
      runtimeDir,
      configPath,
      port,
      logLevel,
      logWrite: logFile && ((l) => logFile.write(l)),
    });
  } catch (err) {
    if (err instanceof AlreadyRunningError) {
      console.log(`Gearbox daemon already running${err.pid ? `: pid ${err.pid}` : ''}`);
      return 0;
    }
    logFatal('daemon failed to start', (err as Error).message ?? err);
    throw err;
  }
  console.log(`Gearbox daemon ${VERSION} listening on 127.0.0.1:${daemon.port} (pid ${process.pid})`);
  const onSignal = (sig: string) => void daemon.stop(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await daemon.stopped;
  return 0;
}

/** Re-runs `start` in a detached child (same runtime: Node or Electron-as-Node) that logs to its own file. */
async function detach(args: string[], runtimeDir: string): Promise<number> {
  ensureRuntimeDir(runtimeDir);
  const paths = runtimePaths(runtimeDir);
  const script = process.argv[1]!;
  const child = spawn(process.execPath, [...process.execArgv, script, 'start', ...args, '--log-file', paths.log], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const d = readDiscovery(paths);
    if (d) {
      child.unref();
      console.log(`Gearbox daemon ${VERSION} started: pid ${d.pid}, port ${d.port} (log: ${paths.log})`);
      return 0;
    }
    if (exited !== null) {
      console.error(`gearbox: the daemon exited during start (code ${exited}); see ${paths.log}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.unref();
  console.error(`gearbox: the daemon did not become ready within 20 s; see ${paths.log}`);
  return 1;
}

async function cmdStop(runtimeDir: string): Promise<number> {
  const paths = runtimePaths(runtimeDir);
  const d = readDiscovery(paths);
  if (!d) {
    console.log('No Gearbox daemon is running.');
    return 0;
  }
  const client = await connectToDaemon({ runtimeDir });
  await client.request('gearbox/shutdown', {}).catch(() => undefined);
  await client.close();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!isAlive(d.pid)) {
      console.log(`Gearbox daemon stopped (pid ${d.pid}).`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  console.error(`gearbox: daemon pid ${d.pid} did not exit within 10 s`);
  return 1;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(runtimeDir: string, fn: (c: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connectToDaemon({ runtimeDir });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function cmdStatus(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const st = await withClient(runtimeDir, (c) => c.request('gearbox/status', {}));
  if (values.json) console.log(JSON.stringify(st, null, 2));
  else console.log(formatStatus(st));
  return 0;
}

export function formatStatus(st: StatusResult): string {
  const mb = (n: number | null) => (n === null ? '-' : `${(n / 1024 / 1024).toFixed(0)} MB`);
  const lines = [
    `Gearbox daemon ${st.version} (protocol ${st.protocolVersion})`,
    `  pid ${st.pid}, port ${st.port}, up ${(st.uptimeMs / 1000).toFixed(0)} s, ${st.clients} client(s)`,
    `  runtime: ${st.runtime}`,
    `  GPU: ${st.gpu}`,
    `  memory: daemon ${mb(st.memory.daemonRssBytes)}, model host ${mb(st.memory.modelHostRssBytes)}, system free ${mb(st.memory.systemFreeBytes)} of ${mb(st.memory.systemTotalBytes)}`,
    `  model host: ${st.modelHost.state}${st.modelHost.pid ? ` (pid ${st.modelHost.pid})` : ''}, ${st.modelHost.restarts} restart(s)`,
    `  loaded models: ${st.loadedModels.length ? st.loadedModels.map((m) => `${m.id} (${mb(m.sizeBytes)}, ${m.gpuLayers} GPU layers, ${m.sequences} seq)`).join(', ') : 'none'}`,
    `  API keys for: ${st.providersWithKeys.length ? st.providersWithKeys.join(', ') : 'none'}`,
  ];
  return lines.join('\n');
}

async function cmdModels(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, task: { type: 'string' } },
  });
  const task = values.task === undefined ? undefined : TaskKind.safeParse(values.task);
  if (task && !task.success) throw new UsageError('--task must be completion, chat or refactor');
  const res = await withClient(runtimeDir, (c) => c.request('gearbox/models', task ? { task: task.data } : {}));
  if (values.json) {
    console.log(JSON.stringify(res, null, 2));
    return 0;
  }
  console.log(formatModels(res.models));
  return 0;
}

export function formatModels(models: ModelInfo[]): string {
  const rows = models.map((m) => [
    m.id,
    m.local ? 'local' : m.providerKind,
    String(m.tier),
    m.contextWindow >= 1000 ? `${Math.round(m.contextWindow / 1000)}k` : String(m.contextWindow),
    m.local ? 'free' : `$${fmtPrice(m.inputPricePerMTok)}/$${fmtPrice(m.outputPricePerMTok)}`,
    m.available ? (m.loaded ? 'loaded' : 'yes') : `no: ${m.unavailableReason ?? ''}`,
  ]);
  const header = ['MODEL', 'KIND', 'TIER', 'CONTEXT', 'PRICE/MTok in/out', 'AVAILABLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function fmtPrice(n: number): string {
  return n >= 1 ? n.toFixed(2) : n.toPrecision(2);
}

async function cmdComplete(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string' },
      line: { type: 'string' },
      col: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.file || !values.line || !values.col) throw new UsageError('complete needs --file, --line and --col');
  const line = Number(values.line);
  const col = Number(values.col);
  if (!Number.isInteger(line) || line < 1 || !Number.isInteger(col) || col < 1)
    throw new UsageError('--line and --col are 1-based positive integers');
  const file = path.resolve(values.file);
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (line > lines.length)
    throw new UsageError(`--line ${line} is past the end of ${values.file} (${lines.length} lines)`);
  if (col > lines[line - 1]!.length + 1)
    throw new UsageError(`--col ${col} is past the end of line ${line} (${lines[line - 1]!.length} characters)`);
  const uri = pathToFileURL(file).href;
  const position = { line: line - 1, character: col - 1 };
  const started = Date.now();
  const result = await withClient(runtimeDir, async (c) => {
    await c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: languageIdOf(file), version: 1, text },
    });
    return (await c.connection.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position,
      context: { triggerKind: 1 },
    })) as InlineCompletionList | null;
  });
  const item = result?.items[0];
  const insert = typeof item?.insertText === 'string' ? item.insertText : (item?.insertText.value ?? '');
  if (values.json) console.log(JSON.stringify({ insertText: insert, latencyMs: Date.now() - started }, null, 2));
  else process.stdout.write(`${insert}\n`);
  return 0;
}

async function cmdChat(args: string[], runtimeDir: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { file: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const message = positionals.join(' ').trim();
  if (!message) throw new UsageError('chat needs a message, e.g. gearbox chat "explain this" --file src/x.ts');
  let context: CodeContext | undefined;
  if (values.file) {
    const file = path.resolve(values.file);
    context = { uri: pathToFileURL(file).href, text: fs.readFileSync(file, 'utf8'), languageId: languageIdOf(file) };
  }
  const streamId = randomUUID();
  const cts = new CancellationTokenSource();
  const result = await withClient(runtimeDir, async (c) => {
    c.onNotification('gearbox/chatChunk', (p) => {
      if (p.streamId === streamId && !values.json) process.stdout.write(p.delta);
    });
    const onSigint = () => cts.cancel();
    process.once('SIGINT', onSigint);
    try {
      return await c.request(
        'gearbox/chat',
        { streamId, messages: [{ role: 'user', content: message }], context, model: values.model },
        cts,
      );
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    process.stdout.write('\n');
    console.error(
      `— ${result.model} · ${result.route.summary} · ${result.usage.inputTokens} in / ${result.usage.outputTokens} out · $${result.costUsd.toFixed(6)} · ${result.latencyMs} ms`,
    );
  }
  return 0;
}

async function cmdRoute(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      task: { type: 'string' },
      json: { type: 'boolean', default: false },
      explain: { type: 'boolean', default: false },
      model: { type: 'string' },
    },
  });
  const task = TaskKind.safeParse(values.task);
  if (!task.success) throw new UsageError('route needs --task completion|chat|refactor');
  const prompt = await readStdin();
  if (!prompt.trim())
    throw new UsageError(
      'route reads the prompt from stdin, e.g. echo "fix this race" | gearbox route --task chat --json',
    );
  const decision = await withClient(runtimeDir, (c) =>
    c.request('gearbox/route', { task: task.data, prompt, model: values.model }),
  );
  if (values.json) console.log(JSON.stringify(decision, null, 2));
  else if (values.explain) console.log(formatDecision(decision));
  else
    console.log(
      `${decision.task}: ${decision.model ?? 'no model'}${decision.pinned ? ' (pinned)' : ''} — ${decision.summary}`,
    );
  return 0;
}

export function formatDecision(d: RouteDecision): string {
  const lines = [
    `${d.task}: ${d.model ?? 'no model'}${d.pinned ? ' (pinned)' : ''}`,
    `  ${d.summary}`,
    `  difficulty ${d.difficulty.toFixed(2)} → tier ${d.requiredTier}, ~${d.estimatedInputTokens} input tokens`,
    ...d.reasons.map((r) => `  ${r.weight >= 0 ? '+' : ''}${r.weight.toFixed(2)} ${r.feature}: ${r.detail}`),
  ];
  if (d.fallbacks.length) lines.push(`  fallbacks: ${d.fallbacks.join(', ')}`);
  if (d.rejected.length) lines.push('  rejected:', ...rejectedLines(d.rejected));
  return lines.join('\n');
}

/** Rejections grouped: dozens of "no API key" lines for one provider say less than one line. */
function rejectedLines(rejected: RouteDecision['rejected']): string[] {
  const groups = new Map<string, RouteDecision['rejected']>();
  for (const r of rejected) {
    const key = `${r.reason}\u0000${r.detail}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0]!;
    if (g.length <= 2) return g.map((r) => `    ${r.model}: ${r.reason} (${r.detail})`).join('\n');
    return `    ${first.model}, ${g[1]!.model} and ${g.length - 2} more: ${first.reason} (${first.detail})`;
  });
}

async function cmdUsage(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string', default: '7d' },
      workspace: { type: 'string', default: 'all' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!UsageSince.safeParse(values.since).success)
    throw new UsageError('--since takes a number of days (7d, 30d) or a date (2024-05-01)');
  if (values.workspace !== 'all' && values.workspace !== 'current')
    throw new UsageError('--workspace must be all or current');
  const res = await withClient(runtimeDir, (c) =>
    c.request('gearbox/usage', { since: values.since, workspace: values.workspace as 'all' | 'current' }),
  );
  if (values.json) console.log(JSON.stringify(res, null, 2));
  else console.log(formatUsage(res));
  return 0;
}

const money = (n: number): string => {
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  return `${sign}$${a === 0 ? '0.00' : a >= 1 ? a.toFixed(2) : a >= 0.01 ? a.toFixed(3) : a.toFixed(5)}`;
};

/** A text bar: `[######······]  $1.20 of $5.00 (24%)`, or "no cap". */
export function budgetBar(label: string, spent: number, cap: number, width = 24): string {
  if (cap <= 0) return `${label}  no cap (${money(spent)} spent)`;
  const ratio = spent / cap;
  const filled = Math.max(0, Math.min(width, Math.round(ratio * width)));
  const over = ratio >= 1 ? '  AT CAP: only local models' : '';
  return `${label}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]  ${money(spent)} of ${money(cap)} (${Math.round(ratio * 100)}%)${over}`;
}

export function formatUsage(u: UsageResult): string {
  const table = (header: string[], rows: string[][], right: Set<number>): string[] => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    return [header, ...rows].map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  };
  const scope = u.workspace === 'all' ? 'all workspaces' : `workspace ${u.workspaceId}`;
  const lines = [`Gearbox usage ${u.since} .. ${u.until} (${scope})`, ''];
  const dayRows = u.days.map((d) => [
    d.date,
    String(d.requests),
    String(d.localRequests),
    String(d.closedRequests),
    money(d.costUsd),
    money(d.counterfactualUsd),
    money(d.counterfactualUsd - d.costUsd),
  ]);
  const t = u.totals;
  dayRows.push([
    'TOTAL',
    String(t.requests),
    String(t.localRequests),
    String(t.closedRequests),
    money(t.costUsd),
    money(t.counterfactualUsd),
    money(t.savingsUsd),
  ]);
  lines.push(
    ...table(
      ['DATE', 'REQUESTS', 'LOCAL', 'CLOSED', 'COST', 'ON FRONTIER', 'SAVED'],
      dayRows,
      new Set([1, 2, 3, 4, 5, 6]),
    ),
  );
  const pct = t.requests ? Math.round((t.localRequests / t.requests) * 100) : 0;
  lines.push(
    '',
    `Local ${t.localRequests} / closed ${t.closedRequests} requests (${pct}% local); ${t.inputTokens} tokens in, ${t.outputTokens} out.`,
  );
  if (t.errorRequests || t.cancelledRequests)
    lines.push(`${t.errorRequests} failed, ${t.cancelledRequests} cancelled.`);
  lines.push(
    `Saved ${money(u.savingsUsd)} against the strongest available closed model (${money(t.counterfactualUsd)}).`,
  );
  if (u.byModel.length) {
    lines.push(
      '',
      ...table(
        ['MODEL', 'REQUESTS', 'COST'],
        u.byModel.map((m) => [`${m.key}${m.local ? ' (local)' : ''}`, String(m.requests), money(m.costUsd)]),
        new Set([1, 2]),
      ),
    );
  }
  if (u.byTask.length) {
    lines.push(
      '',
      ...table(
        ['TASK', 'REQUESTS', 'COST'],
        u.byTask.map((m) => [m.key, String(m.requests), money(m.costUsd)]),
        new Set([1, 2]),
      ),
    );
  }
  lines.push(
    '',
    'Budget (every workspace, local time):',
    budgetBar('  today     ', u.budget.spentTodayUsd, u.budget.dailyUsd),
    budgetBar('  this month', u.budget.spentMonthUsd, u.budget.monthlyUsd),
  );
  if (u.ledger.skippedLines)
    lines.push(`Note: ${u.ledger.skippedLines} damaged line(s) in ${u.ledger.path ?? 'the ledger'} were skipped.`);
  if (u.ledger.path === null) lines.push('Note: the ledger file could not be opened; usage is counted in memory only.');
  return lines.join('\n');
}

async function cmdDoctor(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      'build-native': { type: 'boolean' },
      'clear-native': { type: 'boolean' },
      amx: { type: 'boolean' },
      smoke: { type: 'string' },
      config: { type: 'string' },
    },
  });
  if (values.smoke) return runSmoke(values.smoke);
  if (values['build-native'] && values['clear-native'])
    throw new UsageError('--build-native and --clear-native are exclusive.');
  if (values['build-native']) {
    // The first configured local model that is a plain file checks the build (hf: ones may not be downloaded).
    const configPath = values.config ?? process.env.GEARBOX_CONFIG ?? defaultConfigPath();
    const config = fs.existsSync(configPath) ? loadConfig(configPath) : undefined;
    const smokeModel = config?.localModels
      .map((m) => path.resolve(path.dirname(configPath), m.source))
      .find((f) => !f.includes('hf:') && fs.existsSync(f));
    return buildNative({ amx: values.amx, smokeModel });
  }
  if (values['clear-native']) return clearNative();
  const report = await doctorReport();
  console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  return 0;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
