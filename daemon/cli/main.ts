// The `gearbox` command: parses the command line and dispatches. It runs the daemon (lifecycle.ts)
// and is a client of it for everything else; what it prints is in format.ts.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { InlineCompletionList } from 'vscode-languageserver';
import { defaultRuntimeDir } from '../../shared/discovery';
import { TaskKind, UsageSince, type CodeContext } from '../../shared/protocol';
import { defaultConfigPath, loadConfig } from '../config';
import type { LogLevel } from '../log';
import { VERSION } from '../version';
import { ApiKeyUsageError, apiKeyCommand } from './api-key-command';
import { connectToDaemon, type DaemonClient } from './client';
import { lspCommand } from './lsp-command';
import { buildNative, clearNative, doctorReport, formatDoctor, runSmoke } from './doctor';
import { formatChatFooter, formatDecision, formatModels, formatRouteLine, formatStatus, formatUsage } from './format';
import { formatRoutingReset, formatRoutingStats } from './routing-format';
import { INDEX_USAGE, runIndexCommand } from './index-command';
import { languageIdOf } from './language';
import { cliWorkspaceFolder } from './workspace';
import * as lifecycle from './lifecycle';
import { isModelsSubcommand, MODELS_USAGE, runModelsCommand } from './models';

const USAGE = `gearbox ${VERSION} — hybrid local + cloud AI coding daemon

Usage:
  gearbox start [--detach] [--port N] [--config FILE] [--log-level debug|info|warn|error] [--log-file F]
  gearbox stop
  gearbox status [--json]
  gearbox models [--task completion|chat|refactor] [--json]   (the catalog: local and closed models)
${MODELS_USAGE}
  gearbox complete --file F --line L --col C [--json]      (1-based line and column)
  gearbox chat "message" [--file F] [--model M] [--json]
  gearbox route --task chat|refactor|completion [--file F] [--explain] [--json]   (prompt on stdin)
  gearbox usage [--since 7d|30d|YYYY-MM-DD] [--workspace all|current] [--routing] [--json]
  gearbox usage --reset-routing      (forget what routing learned from your feedback)
${INDEX_USAGE}
  gearbox doctor [--json] [--build-native [--amx] | --clear-native]   (inference binary; opt-in build for this CPU)
  gearbox api-key [--label NAME] [--rotate] [--list] [--config FILE]   (key of the HTTP API under /v1)
  gearbox lsp [--config FILE]      (language server on stdio for other editors; starts the daemon if needed)

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
        return await lifecycle.stop(runtimeDir);
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
      case 'api-key':
        return apiKeyCommand(rest);
      case 'lsp':
        return await lspCommand(rest, runtimeDir);
      case 'index':
        return await runIndexCommand(rest, runtimeDir);
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
      err instanceof ApiKeyUsageError ||
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
  const logLevel = values['log-level'] as LogLevel | undefined;
  if (logLevel && !['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new UsageError('--log-level must be debug, info, warn or error');
  const configPath = values.config ? path.resolve(values.config) : defaultConfigPath();
  return lifecycle.start({
    runtimeDir,
    configPath,
    port,
    logLevel,
    logFile: values['log-file'] ? path.resolve(values['log-file']) : undefined,
    detachArgs: values.detach ? args.filter((a) => a !== '--detach') : undefined,
  });
}

async function withClient<T>(runtimeDir: string, fn: (c: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connectToDaemon({ runtimeDir, rootUri: cliWorkspaceFolder() });
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

async function cmdModels(args: string[], runtimeDir: string): Promise<number> {
  if (isModelsSubcommand(args[0])) return runModelsCommand(args, runtimeDir);
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
  const context = values.file ? fileContext(values.file) : undefined;
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
    console.error(formatChatFooter(result));
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
      file: { type: 'string' },
    },
  });
  const task = TaskKind.safeParse(values.task);
  if (!task.success) throw new UsageError('route needs --task completion|chat|refactor');
  const prompt = await readStdin();
  if (!prompt.trim())
    throw new UsageError(
      'route reads the prompt from stdin, e.g. echo "fix this race" | gearbox route --task chat --json',
    );
  // The file the prompt is about: its size, its language and the privacy rules for it count.
  const context = values.file ? fileContext(values.file) : undefined;
  const decision = await withClient(runtimeDir, (c) =>
    c.request('gearbox/route', { task: task.data, prompt, model: values.model, context }),
  );
  if (values.json) console.log(JSON.stringify(decision, null, 2));
  else if (values.explain) console.log(formatDecision(decision));
  else console.log(formatRouteLine(decision));
  return 0;
}

/** A file as request context: its URI (privacy rules), text and language. */
function fileContext(name: string): CodeContext {
  const file = path.resolve(name);
  return { uri: pathToFileURL(file).href, text: fs.readFileSync(file, 'utf8'), languageId: languageIdOf(file) };
}

async function cmdUsage(args: string[], runtimeDir: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string', default: '7d' },
      workspace: { type: 'string', default: 'all' },
      json: { type: 'boolean', default: false },
      routing: { type: 'boolean', default: false },
      'reset-routing': { type: 'boolean', default: false },
    },
  });
  if (!UsageSince.safeParse(values.since).success)
    throw new UsageError('--since takes a number of days (7d, 30d) or a date (2024-05-01)');
  if (values.workspace !== 'all' && values.workspace !== 'current')
    throw new UsageError('--workspace must be all or current');
  if (values['reset-routing']) {
    const reset = await withClient(runtimeDir, (c) => c.request('gearbox/routing/reset', {}));
    console.log(values.json ? JSON.stringify(reset, null, 2) : formatRoutingReset(reset));
    return 0;
  }
  const range = { since: values.since, workspace: values.workspace as 'all' | 'current' };
  if (values.routing) {
    const stats = await withClient(runtimeDir, (c) => c.request('gearbox/routing/stats', range));
    console.log(values.json ? JSON.stringify(stats, null, 2) : formatRoutingStats(stats));
    return 0;
  }
  const res = await withClient(runtimeDir, (c) => c.request('gearbox/usage', range));
  if (values.json) console.log(JSON.stringify(res, null, 2));
  else console.log(formatUsage(res));
  return 0;
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
