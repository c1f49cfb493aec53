// The `gearbox` CLI as a new user types it, against the built bundle: a detached daemon with a
// generated local GGUF model and a fake OpenAI-compatible server. Also: the model host killed
// mid-request gives that request a clear error and the next one works.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connectToDaemon } from '../../daemon/cli/client';
import { ErrorCodes } from '../../shared/protocol';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { makeTestModel } from '../fixtures/make-test-model';
import { tempDir } from '../helpers/daemon-harness';
import { buildBundles, type CliRun, runCli } from '../helpers/cli';

function gearbox(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliRun> {
  return runCli(args, { env, stdin });
}

describe('gearbox CLI (built bundle)', function () {
  this.timeout(300_000); // a hang guard: doctor runs the CLI four times (42 s under load)
  let fake: FakeServer;
  let env: NodeJS.ProcessEnv;
  let runtimeDir: string;
  let work: string;

  before(async () => {
    await buildBundles();
    const model = makeTestModel({ shape: 'tiny' });
    fake = await startFakeOpenAI({ apiKey: 'fake-key-1234567890' });
    work = tempDir('gearbox-cli-');
    runtimeDir = path.join(work, 'run');
    const config = {
      localModels: [{ id: 'local/tiny', source: model, contextSize: 4096 }],
      modelDirs: [path.dirname(model)],
      providers: [
        {
          id: 'fake',
          kind: 'openai-compatible',
          baseUrl: fake.url,
          apiKeyEnv: 'FAKE_PROVIDER_KEY',
          models: [
            { name: 'fake-large', tier: 3, contextWindow: 128000, inputPricePerMTok: 3, outputPricePerMTok: 15 },
          ],
        },
      ],
      threads: 1,
      gpu: false,
      logLevel: 'debug',
    };
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify(config));
    env = {
      PATH: process.env.PATH,
      HOME: work,
      GEARBOX_RUNTIME_DIR: runtimeDir,
      GEARBOX_CONFIG: path.join(work, 'config.json'),
      FAKE_PROVIDER_KEY: 'fake-key-1234567890',
    };
    const start = await gearbox(['start', '--detach'], env);
    assert.equal(start.code, 0, start.stderr + start.stdout);
    assert.match(start.stdout, /started: pid \d+, port \d+/);
  });

  after(async () => {
    if (env) await gearbox(['stop'], env);
    await fake?.close();
  });

  it('start is idempotent: a second start finds the running daemon', async () => {
    const again = await gearbox(['start', '--detach'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already running/);
  });

  it('status shows version, port, runtime and memory', async () => {
    const st = await gearbox(['status'], env);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /Gearbox daemon 0\.1\.0/);
    assert.match(st.stdout, /port \d+/);
    assert.match(st.stdout, /runtime: node/);
    const json = JSON.parse((await gearbox(['status', '--json'], env)).stdout);
    assert.ok(json.memory.daemonRssBytes > 0);
    assert.deepEqual(json.providersWithKeys.includes('fake'), true);
  });

  it('models lists the local model and the configured endpoint', async () => {
    const m = await gearbox(['models'], env);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /local\/tiny\s+local/);
    assert.match(m.stdout, /fake\/fake-large/);
    assert.match(m.stdout, /openai\/\S+.*no: /, 'closed models without a key are listed as unavailable');
  });

  it('complete returns text from the local GGUF model', async () => {
    const file = path.join(work, 'demo.py');
    fs.writeFileSync(file, 'def add(a, b):\n    return a + b\n\nprint(add(1, \n');
    const r = await gearbox(['complete', '--file', file, '--line', '4', '--col', '14', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(typeof out.insertText, 'string');
    const st = JSON.parse((await gearbox(['status', '--json'], env)).stdout);
    assert.ok(
      st.loadedModels.some((m: { id: string }) => m.id === 'local/tiny'),
      'the model was loaded by the completion',
    );
    assert.ok(!out.insertText.includes('\n'), 'mid-line completion is one line');
  });

  it('complete rejects a position outside the file with a clear error', async () => {
    const file = path.join(work, 'short.py');
    fs.writeFileSync(file, 'x = 1\n');
    const r = await gearbox(['complete', '--file', file, '--line', '9', '--col', '1'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /past the end/);
  });

  it('chat streams from the OpenAI-compatible endpoint and reports model, reason, tokens and cost', async () => {
    const r = await gearbox(['chat', 'What does this do?', '--model', 'fake/fake-large'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Fake .* answer to "What does this do\?"/);
    assert.match(r.stderr, /fake\/fake-large/);
    assert.match(r.stderr, /\d+ in \/ \d+ out · \$0\.\d+/);
    const req = fake.requests.at(-1)!;
    assert.equal(req.headers.authorization, 'Bearer fake-key-1234567890');
    assert.equal(req.body.model, 'fake-large');
    assert.equal(req.body.stream, true);
  });

  it('chat attaches a file as context', async () => {
    const file = path.join(work, 'ctx.ts');
    fs.writeFileSync(file, 'export const answer = 42;\n');
    const r = await gearbox(['chat', 'explain', '--file', file, '--model', 'fake/fake-large'], env);
    assert.equal(r.code, 0, r.stderr);
    const sent = JSON.stringify(fake.requests.at(-1)!.body.messages);
    assert.ok(sent.includes('export const answer = 42;'));
  });

  it('route --json reads the prompt from stdin and prints the decision', async () => {
    const easy = JSON.parse((await gearbox(['route', '--task', 'chat', '--json'], env, 'rename this variable')).stdout);
    assert.equal(easy.task, 'chat');
    assert.equal(easy.model, 'local/tiny');
    const hard = JSON.parse(
      (
        await gearbox(
          ['route', '--task', 'chat', '--json'],
          env,
          'Design a lock-free concurrent queue and prove it has no race condition or deadlock under contention. @best',
        )
      ).stdout,
    );
    assert.equal(hard.model, 'fake/fake-large');
    assert.ok(hard.difficulty > easy.difficulty);
    assert.ok(hard.reasons.length > 0);
    const text = await gearbox(['route', '--task', 'completion'], env, 'x = ');
    assert.equal(text.code, 0);
    assert.match(text.stdout, /completion: local\/tiny/);
    const explained = await gearbox(
      ['route', '--task', 'chat', '--explain'],
      env,
      'Design a lock-free queue with no race condition @best',
    );
    assert.equal(explained.code, 0);
    assert.match(explained.stdout, /difficulty \d\.\d\d → tier 3/);
    assert.match(explained.stdout, /rejected:/);
    assert.match(
      explained.stdout,
      /no-key \(no API key for (anthropic|gemini|openai)\)/,
      'rejected candidates say why',
    );
  });

  it('bad usage exits 2 with help', async () => {
    const r = await gearbox(['route', '--task', 'nope'], env, 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--task completion\|chat\|refactor/);
    const u = await gearbox(['frobnicate'], env);
    assert.equal(u.code, 2);
  });

  it('doctor reports the inference binary, cores and threads; its build flags are exclusive', async () => {
    const r = await gearbox(['doctor', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.nodeLlamaCpp.version, '3.21.1');
    assert.ok(['prebuilt', 'localBuild'].includes(report.binary.type), JSON.stringify(report.binary));
    assert.match(report.binary.gpu, /^(cpu|cuda|vulkan|metal)$/);
    assert.ok(report.defaultThreads >= 1 && report.defaultThreads <= (report.physicalCores ?? report.logicalCores));
    const text = await gearbox(['doctor'], env);
    assert.match(text.stdout, /binary\s+(prebuilt|localBuild) \(\w+\)/);
    // The check --build-native runs on a fresh build: load a model and evaluate a prompt in a child.
    const smoke = await gearbox(['doctor', '--smoke', makeTestModel({ shape: 'tiny' })], env);
    assert.equal(smoke.code, 0, smoke.stderr);
    assert.match(smoke.stdout, /(prebuilt|localBuild) binary, \d+ tokens in \d+ ms/);
    const both = await gearbox(['doctor', '--build-native', '--clear-native'], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exclusive/);
  });

  it('a model host killed mid-request fails that request clearly; the next one succeeds', async () => {
    const client = await connectToDaemon({ runtimeDir });
    try {
      let killed = false;
      const firstChunk = new Promise<void>((resolve) => client.onNotification('gearbox/chatChunk', () => resolve()));
      const chat = client.request('gearbox/chat', {
        streamId: 'kill-test',
        model: 'local/tiny',
        maxTokens: 4000,
        messages: [{ role: 'user', content: 'Tell me a very long story.' }],
      });
      chat.catch(() => {});
      await firstChunk;
      const st = await client.request('gearbox/status', {});
      assert.ok(st.modelHost.pid, 'model host is running');
      process.kill(st.modelHost.pid!, 'SIGKILL');
      killed = true;
      await assert.rejects(chat, (e: any) => {
        assert.ok(killed);
        assert.ok(
          [ErrorCodes.ModelHostCrashed, ErrorCodes.StreamInterrupted].includes(e.code),
          `code ${e.code}: ${e.message}`,
        );
        assert.match(e.message, /model host crashed/i);
        return true;
      });
      const next = await client.request('gearbox/chat', {
        streamId: 'after',
        model: 'local/tiny',
        maxTokens: 8,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(next.model, 'local/tiny');
      const st2 = await client.request('gearbox/status', {});
      assert.equal(st2.modelHost.restarts, 1);
      assert.notEqual(st2.modelHost.pid, st.modelHost.pid);
    } finally {
      await client.close();
    }
  });

  it('stop shuts the daemon down and removes its discovery file', async () => {
    const r = await gearbox(['stop'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped/);
    assert.equal(fs.existsSync(path.join(runtimeDir, 'daemon.json')), false);
    const s = await gearbox(['status'], env);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /No Gearbox daemon is running/);
  });
});

describe('gearbox start --detach: the daemon writes its own log', function () {
  this.timeout(60_000);

  it('a daemon that cannot start says why in daemon.log, since its stdio points nowhere', async () => {
    const work = tempDir('gearbox-cli-log-');
    const config = path.join(work, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ host: '0.0.0.0' }));
    const runtimeDir = path.join(work, 'run');
    const env = { PATH: process.env.PATH, HOME: work, GEARBOX_RUNTIME_DIR: runtimeDir, GEARBOX_CONFIG: config };
    const r = await gearbox(['start', '--detach'], env);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /exited during start .*daemon\.log/);
    const lines = fs
      .readFileSync(path.join(runtimeDir, 'daemon.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      lines.some((l) => l.msg === 'daemon failed to start' && /Refusing to listen on "0\.0\.0\.0"/.test(l.error)),
      JSON.stringify(lines),
    );
  });
});
