// The README's setup recipes for other tools, run as written against a test daemon: each
// `<!-- recipe:NAME -->` block is read from README.md, its port (4141) and key placeholder
// (gbx-YOUR-KEY) replaced with the test daemon's, and its settings drive the official clients the
// way each tool uses them (Continue's chat with tools and its legacy-completions autocomplete; Cline;
// Aider through LiteLLM's openai/ prefix; Claude Code's beta Messages stream). The shell recipes run
// in bash with a `gearbox` on PATH (this checkout's CLI); the curl block runs as is. The local model
// is the generated tiny GGUF on the real model host; closed models are fake providers on loopback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { load } from 'js-yaml';
import OpenAI from 'openai';
import { startFakeAnthropic } from '../fakes/fake-anthropic';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { makeTestModel } from '../fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const README = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const WEATHER = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The fenced block right after `<!-- recipe:NAME -->` in the README. */
function recipe(name: string): string {
  const m = new RegExp(`<!-- recipe:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  assert.ok(m, `README has no recipe:${name} block`);
  return m[1]!;
}

/** Runs bash with `gearbox` on PATH; resolves with stdout. */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bash exited ${code}: ${err}`))));
  });
}

/** The environment a shell recipe's `export` lines make (its last line, the tool itself, is left out). */
async function exportsOf(
  block: string,
  env: NodeJS.ProcessEnv,
): Promise<{ env: Record<string, string>; tool: string }> {
  const lines = block.split('\n');
  const tool = lines.pop()!;
  const names = lines.map((l) => /^export ([A-Z_]+)=/.exec(l)?.[1]).filter((n): n is string => !!n);
  const printed = await bash(`${lines.join('\n')}\nnode -e 'console.log(JSON.stringify(process.env))'`, env);
  const all = JSON.parse(printed) as Record<string, string>;
  return { env: Object.fromEntries(names.map((n) => [n, all[n] ?? ''])), tool };
}

/** JSON values printed back to back (curl prints each body without a newline). */
function jsonValues(text: string): any[] {
  const out: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

describe('HTTP API: the README recipes, as written', function () {
  this.timeout(180_000);
  let fake: FakeServer;
  let anthropic: FakeServer;
  let d: TestDaemon;
  let env: NodeJS.ProcessEnv;
  let port: string;
  /** What `gearbox api-key --label L` prints, through the CLI on PATH. */
  const apiKey = async (label = 'default') => (await bash(`gearbox api-key --label ${label}`, env)).trim();
  const fill = (text: string, key: string) => text.replaceAll('4141', port).replaceAll('gbx-YOUR-KEY', key);

  before(async () => {
    const model = makeTestModel({ shape: 'tiny' });
    // A closed model answers with a tool call whenever it is offered tools.
    const toolCall = (body: any) =>
      body?.tools?.length
        ? { kind: 'reply' as const, toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' }] }
        : { kind: 'reply' as const };
    fake = await startFakeOpenAI({ reply: toolCall });
    anthropic = await startFakeAnthropic({ reply: toolCall });
    d = await startTestDaemon({
      localModels: [{ id: 'local/tiny', source: model, contextSize: 4096, tasks: ['completion', 'chat', 'refactor'] }],
      modelDirs: [path.dirname(model)],
      providers: [
        {
          id: 'fake',
          kind: 'openai-compatible',
          baseUrl: fake.url,
          noKey: true,
          models: [
            { name: 'fake-large', tier: 3, contextWindow: 128000, inputPricePerMTok: 3, outputPricePerMTok: 15 },
          ],
        },
        {
          id: 'claude',
          kind: 'anthropic',
          baseUrl: anthropic.url,
          noKey: true,
          models: [
            { name: 'claude-test', tier: 3, contextWindow: 200000, inputPricePerMTok: 3, outputPricePerMTok: 15 },
          ],
        },
      ],
      threads: 1,
      gpu: false,
    });
    port = String(d.port);
    const bin = tempDir('gearbox-bin-');
    const shim = path.join(bin, 'gearbox');
    fs.writeFileSync(
      shim,
      `#!/bin/sh\nexec "${process.execPath}" --import tsx "${path.join(root, 'daemon', 'gearbox.ts')}" "$@"\n`,
      { mode: 0o755 },
    );
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: path.dirname(d.runtimeDir),
      GEARBOX_CONFIG: path.join(d.runtimeDir, 'unused-config.json'),
      GEARBOX_RUNTIME_DIR: d.runtimeDir,
    };
  });
  after(async () => {
    await d?.stop();
    await fake?.close();
    await anthropic?.close();
  });

  it('gearbox api-key: a stable key per label in a 0600 file; --rotate retires the old one', async () => {
    const first = await apiKey();
    assert.match(first, /^gbx-[A-Za-z0-9_-]{43}$/);
    assert.equal(await apiKey(), first);
    const file = path.join(d.runtimeDir, 'api-keys.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const aider = await apiKey('aider');
    assert.notEqual(aider, first);
    const rotated = (await bash('gearbox api-key --label aider --rotate', env)).trim();
    assert.notEqual(rotated, aider);
    const old = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: aider, maxRetries: 0 });
    await assert.rejects(old.models.list(), (e: InstanceType<typeof OpenAI.AuthenticationError>) => e.status === 401);
    assert.ok(!d.logs.join('\n').includes(first));
  });

  it('Continue: chat with tools, and autocomplete through /v1/completions with suffix on the local model', async () => {
    const key = await apiKey('continue');
    const cfg = load(fill(recipe('continue'), key)) as {
      models: {
        model: string;
        apiBase: string;
        apiKey: string;
        roles: string[];
        capabilities?: string[];
        useLegacyCompletionsEndpoint?: boolean;
      }[];
    };
    const chat = cfg.models.find((m) => m.roles.includes('chat'))!;
    assert.ok(chat.capabilities?.includes('tool_use'));
    const client = new OpenAI({ baseURL: chat.apiBase, apiKey: chat.apiKey });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: chat.model,
        stream: true,
        messages: [
          { role: 'system', content: 'You are a coding assistant.' },
          { role: 'user', content: 'What is the weather in Paris? Use the tool.' },
        ],
        tools: [{ type: 'function', function: WEATHER }],
      })
      .withResponse();
    const answered = response.headers.get('x-gearbox-model');
    let calls = 0;
    let text = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      calls += c.choices[0]?.delta.tool_calls?.length ?? 0;
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    // A closed model gets the tools (the fakes answer with a call); the local one answers in text.
    if (answered === 'local/tiny') assert.ok(finish === 'stop' || finish === 'length');
    else assert.deepEqual([calls, finish, text], [1, 'tool_calls', '']);

    const auto = cfg.models.find((m) => m.roles.includes('autocomplete'))!;
    assert.equal(auto.useLegacyCompletionsEndpoint, true);
    const fim = new OpenAI({ baseURL: auto.apiBase, apiKey: auto.apiKey });
    const { data: completion, response: r2 } = await fim.completions
      .create({
        model: auto.model,
        prompt: 'def fibonacci(n):\n    ',
        suffix: '\n\nprint(fibonacci(10))\n',
        max_tokens: 16,
        temperature: 0,
        stream: true,
        stop: ['\n\n'],
      })
      .withResponse();
    let finishFim: string | null | undefined;
    for await (const c of completion) finishFim = c.choices[0]?.finish_reason ?? finishFim;
    assert.equal(r2.headers.get('x-gearbox-model'), 'local/tiny');
    assert.ok(finishFim === 'stop' || finishFim === 'length');
    const status = await d.engine.status({ port: d.port, clients: 0 });
    assert.ok(
      status.loadedModels.some((m) => m.id === 'local/tiny'),
      'the generated model ran in the model host',
    );
  });

  it('Cline: OpenAI Compatible provider, streamed with usage', async () => {
    const key = await apiKey('cline');
    const settings = Object.fromEntries(
      fill(recipe('cline'), key)
        .split('\n')
        .map((l) => /^([^:]+):\s*(.*)$/.exec(l)!.slice(1, 3) as [string, string]),
    );
    assert.equal(settings['API Provider'], 'OpenAI Compatible');
    const client = new OpenAI({ baseURL: settings['Base URL'], apiKey: settings['API Key'] });
    const stream = await client.chat.completions.create({
      model: settings['Model ID']!,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'user', content: 'Refactor this loop into a list comprehension: for x in xs: ys.append(x*2)' },
      ],
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) usage = c.usage ?? usage;
    assert.ok((usage?.completion_tokens ?? 0) > 0);
  });

  it('Aider: OPENAI_API_BASE / OPENAI_API_KEY and the openai/ model prefix', async () => {
    const block = recipe('aider').replaceAll('4141', port);
    const { env: vars, tool } = await exportsOf(block, env);
    const model = /--model (\S+)/.exec(tool)?.[1];
    // LiteLLM drops its provider prefix and sends the rest as the model name.
    assert.equal(model, 'openai/gearbox/auto');
    const client = new OpenAI({ baseURL: vars.OPENAI_API_BASE, apiKey: vars.OPENAI_API_KEY });
    const r = await client.chat.completions.create({
      model: model!.replace(/^openai\//, ''),
      messages: [{ role: 'user', content: 'Add a docstring to def f(): pass' }],
    });
    assert.ok(r.choices[0]?.message.content);
    assert.equal(vars.OPENAI_API_KEY, await apiKey('aider'));
  });

  it('Claude Code: ANTHROPIC_BASE_URL + AUTH_TOKEN, its model variables, beta Messages with tools', async () => {
    const { env: vars } = await exportsOf(recipe('claude-code').replaceAll('4141', port), env);
    assert.equal(vars.ANTHROPIC_API_KEY, '');
    const client = new Anthropic({
      baseURL: vars.ANTHROPIC_BASE_URL,
      authToken: vars.ANTHROPIC_AUTH_TOKEN,
      apiKey: vars.ANTHROPIC_API_KEY || null,
    });
    // The main model: streamed, with tools, on /v1/messages?beta=true as Claude Code sends it.
    const stream = client.beta.messages.stream({
      model: vars.ANTHROPIC_MODEL!,
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You are Claude Code.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris? Use the tool.' }] }],
      tools: [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters as never }],
    });
    const msg = await stream.finalMessage();
    const used = msg.content.find((b) => b.type === 'tool_use');
    if (msg.model === 'local/tiny') assert.equal(msg.stop_reason, 'end_turn');
    else assert.deepEqual([msg.stop_reason, used?.type === 'tool_use' && used.input], ['tool_use', { city: 'Paris' }]);
    // The small model (titles, summaries): local.
    const small = await client.messages.create({
      model: vars.ANTHROPIC_DEFAULT_HAIKU_MODEL!,
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Title for: fix the login bug' }],
    });
    assert.equal(small.model, 'local/tiny');
    for (const v of ['ANTHROPIC_DEFAULT_OPUS_MODEL', 'ANTHROPIC_DEFAULT_SONNET_MODEL'])
      assert.equal(vars[v], 'gearbox/auto', v);
  });

  it('curl: both commands, as written', async () => {
    const out = await bash(recipe('curl').replaceAll('4141', port), env);
    const [chat, message] = jsonValues(out);
    assert.equal(chat.object, 'chat.completion');
    assert.ok(chat.choices[0].message.content);
    assert.ok(chat.gearbox.route.summary);
    assert.equal(message.type, 'message');
    assert.equal(message.model, 'local/tiny');
  });
});
