// `gearbox lsp` as an editor sees it: the CLI started on stdio (this checkout's, through tsx),
// driven by a plain JSON-RPC client over its stdin/stdout. Against a test daemon (fake model host):
// inline completion, the same completion as a completion item, refactor code actions resolved into
// workspace edits or applied through workspace/applyEdit, cancellation passed on to the daemon. And
// with no daemon running: the bridge starts one (the real CLI, detached) and completes through it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { CodeAction, CompletionList, InlineCompletionList, WorkspaceEdit } from 'vscode-languageserver';
import { readDiscovery, runtimePaths } from '../../shared/discovery';
import { ErrorCodes } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = 'def add(a, b):\n    return \n';
const URI = pathToFileURL('/work/project/calc.py').href;
const SIMPLIFIED = 'def add(a, b):\n    return a + b';

/** `gearbox lsp` on stdio, with a JSON-RPC client on its pipes. */
function startLsp(env: NodeJS.ProcessEnv, capabilities: Record<string, unknown> = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'daemon', 'gearbox.ts'), 'lsp', '--stdio'],
    {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const applied: WorkspaceEdit[] = [];
  conn.onRequest('workspace/applyEdit', (p: { edit: WorkspaceEdit }) => {
    applied.push(p.edit);
    return { applied: true };
  });
  conn.onNotification('window/logMessage', () => {});
  conn.onNotification('window/showMessage', () => {});
  conn.listen();
  const init = async () => {
    const r = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL('/work/project').href,
      capabilities,
      clientInfo: { name: 'plain-stdio-client' },
    });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: URI, languageId: 'python', version: 1, text: SOURCE },
    });
    return r as { capabilities: Record<string, any> };
  };
  const stop = async () => {
    await conn.sendRequest('shutdown').catch(() => {});
    await conn.sendNotification('exit').catch(() => {});
    await exited(child);
    conn.dispose();
  };
  return { child, conn, init, stop, applied, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const at = { line: 1, character: 11 };

describe('gearbox lsp (stdio bridge)', function () {
  this.timeout(120_000);
  let d: TestDaemon;
  let host: FakeModelHost;

  before(async () => {
    host = new FakeModelHost();
    host.reply = (req) => ('prefix' in req ? 'a + b' : `\`\`\`python\n${SIMPLIFIED}\n\`\`\`\nShorter.`);
    d = await startTestDaemon(
      { localModels: [{ id: 'local/tiny', source: '/fake/tiny.gguf', tasks: ['completion', 'chat', 'refactor'] }] },
      { modelHost: host },
    );
  });
  after(async () => d?.stop());

  it('serves inline completion, the same text as a completion item, and refactors resolved into edits', async () => {
    const lsp = startLsp(
      { GEARBOX_RUNTIME_DIR: d.runtimeDir },
      {
        textDocument: {
          completion: { completionItem: { snippetSupport: true } },
          codeAction: { resolveSupport: { properties: ['edit'] }, dataSupport: true },
        },
      },
    );
    try {
      const init = await lsp.init();
      assert.equal(init.capabilities.inlineCompletionProvider, true);
      assert.ok(init.capabilities.completionProvider);
      const inline = (await lsp.conn.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri: URI },
        position: at,
        context: { triggerKind: 1 },
      })) as InlineCompletionList;
      assert.equal(inline.items[0]?.insertText, 'a + b');
      const list = (await lsp.conn.sendRequest('textDocument/completion', {
        textDocument: { uri: URI },
        position: at,
      })) as CompletionList;
      assert.equal(list.isIncomplete, true);
      const item = list.items[0]!;
      assert.deepEqual(item.textEdit, { range: { start: at, end: at }, newText: 'a + b' });
      assert.equal(item.label, 'a + b');

      const actions = (await lsp.conn.sendRequest('textDocument/codeAction', {
        textDocument: { uri: URI },
        range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } },
        context: { diagnostics: [] },
      })) as CodeAction[];
      assert.deepEqual(
        actions.map((a) => a.title),
        [
          'Gearbox: Simplify',
          'Gearbox: Add Documentation',
          'Gearbox: Add Types',
          'Gearbox: Generate Tests',
          'Gearbox: Explain',
        ],
      );
      const simplify = actions[0]!;
      assert.equal(simplify.edit, undefined, 'the edit is computed on resolve, not for every listed action');
      const resolved = (await lsp.conn.sendRequest('codeAction/resolve', simplify)) as CodeAction;
      assert.deepEqual(resolved.edit, {
        changes: {
          [URI]: [{ range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, newText: SIMPLIFIED }],
        },
      });
      // An edit after didChange sees the new text: the bridge forwards edits to the daemon.
      await lsp.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri: URI, version: 2 },
        contentChanges: [{ range: { start: at, end: at }, text: 'a' }],
      });
      const after = (await lsp.conn.sendRequest('textDocument/completion', {
        textDocument: { uri: URI },
        position: { line: 1, character: 12 },
      })) as CompletionList;
      assert.equal(after.items[0]?.textEdit?.newText, 'aa + b');
    } finally {
      await lsp.stop();
    }
  });

  it('without codeAction resolve: the action is a command that applies its edit with workspace/applyEdit', async () => {
    const lsp = startLsp({ GEARBOX_RUNTIME_DIR: d.runtimeDir });
    try {
      await lsp.init();
      const actions = (await lsp.conn.sendRequest('textDocument/codeAction', {
        textDocument: { uri: URI },
        range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } },
        context: { diagnostics: [], only: ['refactor.rewrite'] },
      })) as CodeAction[];
      assert.deepEqual(
        actions.map((a) => a.title),
        ['Gearbox: Simplify', 'Gearbox: Add Documentation', 'Gearbox: Add Types'],
      );
      const cmd = actions[0]!.command!;
      await lsp.conn.sendRequest('workspace/executeCommand', { command: cmd.command, arguments: cmd.arguments });
      assert.equal(lsp.applied.length, 1);
      assert.equal(lsp.applied[0]!.changes?.[URI]?.[0]?.newText, SIMPLIFIED);
    } finally {
      await lsp.stop();
    }
  });

  it('passes cancellation on: the daemon stops the completion, the client gets RequestCancelled', async () => {
    const lsp = startLsp({ GEARBOX_RUNTIME_DIR: d.runtimeDir });
    let open!: () => void;
    host.gate = new Promise<void>((r) => (open = r));
    try {
      await lsp.init();
      const started = new Promise<void>((r) => host.onStart(() => r()));
      const aborted = new Promise<void>((r) => host.onAbort(() => r()));
      const cts = new CancellationTokenSource();
      const pending = lsp.conn.sendRequest(
        'textDocument/inlineCompletion',
        { textDocument: { uri: URI }, position: at, context: { triggerKind: 1 } },
        cts.token,
      );
      await started;
      cts.cancel();
      await assert.rejects(pending, (e: { code?: number }) => e.code === ErrorCodes.RequestCancelled);
      await aborted;
    } finally {
      host.gate = undefined;
      open();
      await lsp.stop();
    }
  });
});

describe('gearbox lsp starts the daemon when none runs', function () {
  this.timeout(180_000);
  let child: ReturnType<typeof startLsp> | undefined;
  let runtimeDir: string;

  after(async () => {
    await child?.stop();
    // The daemon the bridge started outlives it, as it should: stop it here.
    const pid = readDiscovery(runtimePaths(runtimeDir))?.pid;
    if (pid) process.kill(pid, 'SIGTERM');
  });

  it('starts `gearbox start --detach` with the config, connects, and completes through it', async () => {
    const fake = await startFakeOpenAI();
    try {
      const work = tempDir('gearbox-lsp-');
      runtimeDir = path.join(work, 'run');
      const config = path.join(work, 'config.json');
      fs.writeFileSync(
        config,
        JSON.stringify({
          providers: [
            {
              id: 'fake',
              kind: 'openai-compatible',
              baseUrl: fake.url,
              noKey: true,
              models: [{ name: 'fake-small', tier: 1, contextWindow: 32000 }],
            },
          ],
          ledgerPath: path.join(work, 'ledger.jsonl'),
        }),
      );
      fake.setScript(() => ({ kind: 'reply', text: 'a + b' }));
      assert.equal(readDiscovery(runtimePaths(runtimeDir)), undefined, 'no daemon runs');
      child = startLsp({ GEARBOX_RUNTIME_DIR: runtimeDir, GEARBOX_CONFIG: config, HOME: work });
      await child.init();
      const list = (await child.conn.sendRequest('textDocument/completion', {
        textDocument: { uri: URI },
        position: at,
      })) as CompletionList;
      assert.equal(list.items[0]?.textEdit?.newText, 'a + b', child.stderr());
      assert.ok(readDiscovery(runtimePaths(runtimeDir))?.pid, 'the bridge started a daemon');
      assert.ok(fake.requests.length >= 1, 'the completion went to the configured provider');
    } finally {
      await fake.close();
    }
  });
});
