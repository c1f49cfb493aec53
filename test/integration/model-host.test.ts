// The model host end to end: a real child process running real node-llama-cpp on a generated tiny qwen2.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes } from '../../shared/protocol';
import type { LocalModelConfig } from '../../daemon/config';
import { GearboxError } from '../../daemon/gearbox-error';
import { createLogger, type Logger } from '../../daemon/log';
import { buildChildEnv } from '../../daemon/model-host/child-env';
import { ModelHostClient, type ModelHostClientOptions } from '../../daemon/model-host/client';
import { resolveModelSource } from '../../daemon/model-host/resolve';
import { physicalCoreCount, resolveThreadCount } from '../../daemon/model-host/threads';
import { makeTestModel } from '../fixtures/make-test-model';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'daemon', 'model-host', 'main.ts');
const FAKE_KEY = 'sk-test-must-not-reach-the-model-host';

/** A logger that records messages, so tests can wait for what the host reports instead of sleeping. */
function recordingLogger(): Logger & { waitFor(msg: string): Promise<Record<string, unknown>> } {
  const seen: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      seen.push(parsed);
      for (const w of [...waiters]) {
        if (w.msg === parsed.msg) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    },
  });
  return Object.assign(logger, {
    waitFor: (msg: string) => {
      const found = seen.find((l) => l.msg === msg);
      if (found) return Promise.resolve(found);
      return new Promise<Record<string, unknown>>((resolve) => waiters.push({ msg, resolve }));
    },
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected a rejection');
}

function longCodePrefix(lines: number): string {
  let out = '';
  for (let i = 0; i < lines; i++) out += `const value${i} = compute(${i}, "item-${i}");\n`;
  return out;
}

describe('model host (real child process, tiny qwen2)', function () {
  // A hang guard: starting the child (tsx) and loading the model took over 30 s under stress-ng.
  this.timeout(120_000);
  let tmp: string;
  let modelPath: string;
  let models: LocalModelConfig[];
  const clients: ModelHostClient[] = [];

  const newClient = (extra: Partial<ModelHostClientOptions> = {}) => {
    const client = new ModelHostClient({
      entry,
      execArgv: ['--import', 'tsx'],
      models,
      modelsDir: tmp,
      threads: 1,
      gpu: false,
      logger: extra.logger ?? recordingLogger(),
      ...extra,
    });
    clients.push(client);
    return client;
  };

  before(function () {
    this.timeout(60_000);
    modelPath = makeTestModel({ shape: 'tiny' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-model-host-'));
    const bytes = fs.readFileSync(modelPath);
    fs.writeFileSync(path.join(tmp, 'truncated.gguf'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    fs.writeFileSync(path.join(tmp, 'garbage.gguf'), 'this is not a model\n'.repeat(100));
    // node-llama-cpp's name for hf:gearbox-test/present/tiny.gguf inside the models dir
    fs.symlinkSync(modelPath, path.join(tmp, 'hf_gearbox-test_present_tiny.gguf'));
    models = [
      { id: 'local/tiny', source: modelPath, contextSize: 2048 },
      { id: 'local/truncated', source: 'truncated.gguf' },
      { id: 'local/garbage', source: path.join(tmp, 'garbage.gguf') },
      { id: 'local/missing', source: path.join(tmp, 'does-not-exist.gguf') },
      { id: 'local/hf-offline', source: 'hf:gearbox-test/not-downloaded/model.gguf' },
      { id: 'local/hf-present', source: 'hf:gearbox-test/present/tiny.gguf', contextSize: 1024 },
      { id: 'local/tiny-256', source: modelPath, contextSize: 256 },
      { id: 'local/tiny-4k', source: modelPath, contextSize: 4096 },
    ];
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('one long-lived host', () => {
    let host: ModelHostClient;
    before(() => {
      host = newClient({
        env: { ...process.env, OPENAI_API_KEY: FAKE_KEY, ANTHROPIC_API_KEY: FAKE_KEY, GGML_SECRET_TOKEN: FAKE_KEY },
      });
    });

    it('loads lazily and reports load progress', async () => {
      assert.equal((await host.status()).state, 'stopped');
      const progress: number[] = [];
      await host.load('local/tiny', (phase, p) => phase === 'load' && progress.push(p));
      assert.ok(progress.length > 0, 'load progress reported');
      assert.equal(progress.at(-1), 1);
      const st = await host.status();
      assert.equal(st.state, 'running');
      assert.equal(st.gpu, 'cpu');
      assert.ok(st.rssBytes && st.rssBytes > 10_000_000, `child RSS ${st.rssBytes}`);
      assert.deepEqual(
        st.loaded.map((m) => m.id),
        ['local/tiny'],
      );
    });

    it('streams a plain completion and reports usage', async () => {
      const deltas: string[] = [];
      const r = await host.complete(
        {
          modelId: 'local/tiny',
          sessionKey: 'c1:plain.ts',
          prefix: 'function add(a, b) {\n  return',
          maxTokens: 12,
          temperature: 0,
        },
        (d) => deltas.push(d),
      );
      assert.equal(r.mode, 'completion');
      assert.ok(r.text.length > 0, 'generated text');
      assert.equal(deltas.join(''), r.text);
      assert.ok(deltas.length > 1, 'streamed in several deltas');
      assert.ok(r.usage.inputTokens >= 8 && r.usage.inputTokens < 20, `inputTokens ${r.usage.inputTokens}`);
      assert.ok(r.usage.outputTokens > 0 && r.usage.outputTokens <= 12, `outputTokens ${r.usage.outputTokens}`);
      // fresh session: the whole prompt is evaluated
      assert.equal(r.usage.evaluatedPromptTokens, r.usage.inputTokens);
    });

    it('uses FIM infill when the model has infill tokens and a suffix is given', async () => {
      const r = await host.complete(
        {
          modelId: 'local/tiny',
          sessionKey: 'c1:fim.ts',
          prefix: 'const total = ',
          suffix: ';\nconsole.log(total);\n',
          maxTokens: 8,
          temperature: 0,
        },
        () => {},
      );
      assert.equal(r.mode, 'infill');
      // prefix + suffix tokens plus <|fim_prefix|>, <|fim_suffix|>, <|fim_middle|>
      assert.ok(r.usage.inputTokens > 10, `inputTokens ${r.usage.inputTokens}`);
      assert.ok(r.usage.outputTokens > 0);
    });

    it('chats through the model chat template', async () => {
      const deltas: string[] = [];
      const r = await host.chat(
        {
          modelId: 'local/tiny',
          messages: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'Say hi' },
          ],
          maxTokens: 10,
          temperature: 0,
        },
        (d) => deltas.push(d),
      );
      assert.ok(r.text.length > 0);
      assert.equal(deltas.join(''), r.text);
      // ChatML wraps the two messages in <|im_start|>role\n…<|im_end|>\n and opens the assistant turn
      assert.ok(r.usage.inputTokens >= 15, `inputTokens ${r.usage.inputTokens}`);
      assert.ok(r.usage.outputTokens > 0 && r.usage.outputTokens <= 10);
    });

    it('gives a model the context size its config asks for, past its training context too', async () => {
      const logger = recordingLogger();
      const own = newClient({ logger });
      await own.load('local/tiny-4k');
      // The catalog tells the router this model sees 4,096 tokens: the host must not give it 2,048.
      const loaded = await logger.waitFor('model loaded');
      assert.equal(loaded.model, 'local/tiny-4k');
      assert.equal(loaded.contextSize, 4096);
      const warned = await logger.waitFor(
        'contextSize is beyond what the model was trained on; answers may degrade past it',
      );
      assert.equal(warned.trainContextSize, 2048);
      await own.dispose();
    });

    it("ends a chat answer where its sequence's context ends (no context shift)", async () => {
      const deltas: string[] = [];
      const r = await host.chat(
        {
          modelId: 'local/tiny-256',
          messages: [{ role: 'user', content: 'Tell me a story' }],
          maxTokens: 600,
          temperature: 0,
        },
        (d) => deltas.push(d),
      );
      // Shifting the context re-evaluated it for nearly every token past its end (10× slower).
      assert.ok(r.usage.outputTokens <= 256 - r.usage.inputTokens, `${r.usage.outputTokens} tokens`);
      assert.equal(deltas.join(''), r.text);
    });

    it('reuses the KV cache of a session for a shared prefix', async () => {
      const prefix = longCodePrefix(50);
      const req = { modelId: 'local/tiny', sessionKey: 'c1:kv.ts', maxTokens: 4, temperature: 0 };
      const first = await host.complete({ ...req, prefix }, () => {});
      assert.ok(first.usage.inputTokens > 600, `long prompt: ${first.usage.inputTokens} tokens`);
      assert.equal(first.usage.evaluatedPromptTokens, first.usage.inputTokens);

      const second = await host.complete({ ...req, prefix: `${prefix}const next = compute(` }, () => {});
      assert.ok(second.usage.inputTokens > first.usage.inputTokens);
      assert.ok(
        second.usage.evaluatedPromptTokens < 20,
        `second evaluated ${second.usage.evaluatedPromptTokens} of ${second.usage.inputTokens}`,
      );

      // another session has its own sequence: nothing to reuse there
      const other = await host.complete({ ...req, sessionKey: 'c2:kv.ts', prefix }, () => {});
      assert.equal(other.usage.evaluatedPromptTokens, other.usage.inputTokens);
    });

    it('prefills a session so the completion after an edit evaluates only the last token', async () => {
      const prefix = `${longCodePrefix(40)}const answer = compute(`;
      const suffix = ');\nexport default answer;\n';
      const key = { modelId: 'local/tiny', sessionKey: 'c1:prefill.ts' };
      // Not loaded → nothing happens (a keystroke never loads a model).
      await host.load('local/tiny');
      await host.unload('local/tiny');
      assert.deepEqual(await host.prefill({ ...key, prefix, suffix }), {
        evaluatedTokens: 0,
        skipped: 'model not loaded',
      });
      await host.load('local/tiny');
      const warm = await host.prefill({ ...key, prefix, suffix });
      assert.ok(warm.evaluatedTokens > 400, `prefill evaluated ${warm.evaluatedTokens} tokens`);
      const r = await host.complete({ ...key, prefix, suffix, maxTokens: 4, temperature: 0 }, () => {});
      assert.ok(r.usage.inputTokens > 400);
      assert.equal(
        r.usage.evaluatedPromptTokens,
        1,
        `evaluated ${r.usage.evaluatedPromptTokens} of ${r.usage.inputTokens} after the prefill`,
      );
      // The same prompt unprimed, on a fresh session, evaluates everything: the prefill did the work.
      const cold = await host.complete(
        { ...key, sessionKey: 'c1:prefill-cold.ts', prefix, suffix, maxTokens: 4, temperature: 0 },
        () => {},
      );
      assert.equal(cold.usage.evaluatedPromptTokens, cold.usage.inputTokens);
      assert.equal(cold.text, r.text, 'a prefilled cache gives the same completion');
    });

    it('after lines deleted far above, shifts the cached text below instead of evaluating it again', async () => {
      const lines = longCodePrefix(60).split('\n');
      const prefix = `${lines.join('\n')}const answer = compute(`;
      const suffix = ');\nexport default answer;\n';
      const req = { modelId: 'local/tiny', maxTokens: 6, temperature: 0 };
      const first = await host.complete({ ...req, sessionKey: 'c1:reuse.ts', prefix, suffix }, () => {});
      assert.equal(first.usage.evaluatedPromptTokens, first.usage.inputTokens);

      // Three lines near the top deleted: everything below them is still cached, further up.
      const edited = `${[...lines.slice(0, 2), ...lines.slice(5)].join('\n')}const answer = compute(`;
      const reused = await host.complete({ ...req, sessionKey: 'c1:reuse.ts', prefix: edited, suffix }, () => {});
      const cold = await host.complete({ ...req, sessionKey: 'c1:reuse-cold.ts', prefix: edited, suffix }, () => {});
      assert.equal(cold.usage.evaluatedPromptTokens, cold.usage.inputTokens);
      assert.equal(reused.usage.inputTokens, cold.usage.inputTokens);
      // Left to evaluate: the suffix and FIM tokens after the shifted prefix (~12), not ~900 tokens.
      assert.ok(
        reused.usage.evaluatedPromptTokens < 20,
        `evaluated ${reused.usage.evaluatedPromptTokens} of ${reused.usage.inputTokens} after the deletion`,
      );
      assert.ok(cold.text.length > 0);
      assert.equal(reused.text, cold.text, 'greedy completion after the shift is the cold one');
    });

    it('a completion request stops a running prefill of its session and keeps what it evaluated', async () => {
      const prefix = longCodePrefix(60);
      const key = { modelId: 'local/tiny', sessionKey: 'c1:prefill-race.ts' };
      const warming = host.prefill({ ...key, prefix: `${prefix}x`, suffix: '\n' });
      const r = await host.complete(
        { ...key, prefix: `${prefix}y`, suffix: '\n', maxTokens: 2, temperature: 0 },
        () => {},
      );
      const w = await warming;
      assert.ok(r.usage.outputTokens > 0);
      // Whatever the prefill evaluated before it stopped, the request did not evaluate again.
      assert.ok(
        r.usage.evaluatedPromptTokens <= r.usage.inputTokens - w.evaluatedTokens + 3,
        `prefill ${JSON.stringify(w)}, request evaluated ${r.usage.evaluatedPromptTokens} of ${r.usage.inputTokens}`,
      );
      // A prefill while the session is busy is skipped, never queued behind the request.
      // (IPC keeps message order: the child takes the session for the request before it reads the prefill.)
      const busy = host.complete(
        { ...key, prefix: longCodePrefix(90), suffix: '\n', maxTokens: 64, temperature: 0 },
        () => {},
      );
      const skipped = await host.prefill({ ...key, prefix: `${prefix}z`, suffix: '\n' });
      await busy;
      assert.deepEqual(skipped, { evaluatedTokens: 0, skipped: 'session busy' });
    });

    it('serves two sessions in parallel from one loaded copy of the model', async () => {
      const order: string[] = [];
      const run = (key: string, prefix: string) =>
        host.complete({ modelId: 'local/tiny', sessionKey: key, prefix, maxTokens: 24, temperature: 0 }, () =>
          order.push(key),
        );
      const [a, b] = await Promise.all([run('p1:a.ts', 'import fs from "fs";\n'), run('p2:b.py', 'def main():\n    ')]);
      assert.ok(a.text.length > 0 && b.text.length > 0);
      // the two streams interleave: both sequences are decoded in the same batches
      assert.ok(order.indexOf('p2:b.py') < order.lastIndexOf('p1:a.ts'), order.join(' '));
      assert.ok(order.indexOf('p1:a.ts') < order.lastIndexOf('p2:b.py'), order.join(' '));
      const st = await host.status();
      const tiny = st.loaded.filter((m) => m.id === 'local/tiny');
      assert.equal(tiny.length, 1);
      assert.equal(tiny[0]!.path, modelPath);
      assert.equal(tiny[0]!.sequences, 4);
    });

    it('evicts the least recently used session when sequences run out', async () => {
      await host.releaseSession('');
      const run = (key: string) =>
        host.complete(
          { modelId: 'local/tiny', sessionKey: key, prefix: `// ${key}\n`, maxTokens: 2, temperature: 0 },
          () => {},
        );
      for (let i = 0; i < 6; i++) await run(`e${i}:f.ts`); // 6 sessions on 4 sequences
      const again = await run('e5:f.ts'); // most recent: still cached
      assert.ok(again.usage.evaluatedPromptTokens <= 1, `e5 evaluated ${again.usage.evaluatedPromptTokens}`);
      const evicted = await run('e0:f.ts'); // least recent: evicted, evaluated from scratch
      assert.equal(evicted.usage.evaluatedPromptTokens, evicted.usage.inputTokens);
    });

    it('stops generating on abort, before its token budget', async () => {
      const controller = new AbortController();
      const maxTokens = 1500;
      let deltas = 0;
      const stopped = new Promise<void>((resolve) => {
        const off = host.onAbortStopped((e) => {
          if (e.kind !== 'complete') return;
          off();
          resolve();
        });
      });
      const err = await rejection(
        host.complete(
          { modelId: 'local/tiny', sessionKey: 'c1:abort.ts', prefix: 'let s = "', maxTokens, temperature: 0 },
          () => {
            deltas++;
            controller.abort();
          },
          controller.signal,
        ),
      );
      assert.equal(err.name, 'AbortError');
      // The child reports the generation stopped (it sends no report for work that ended by itself).
      await stopped;
      assert.ok(deltas < maxTokens, `${deltas} deltas of a ${maxTokens}-token budget`);
      assert.equal((await host.status()).inFlight, 0, 'nothing runs in the child any more');
      // the same session serves the next request: its sequence was released by the stopped generation
      const next = await host.complete(
        { modelId: 'local/tiny', sessionKey: 'c1:abort.ts', prefix: 'let t = 1', maxTokens: 2, temperature: 0 },
        () => {},
      );
      assert.ok(next.usage.outputTokens > 0);
    });

    it('rejects a truncated GGUF clearly and keeps serving', async () => {
      const pid = (await host.status()).pid;
      const err = await rejection(host.load('local/truncated'));
      assert.ok(err instanceof GearboxError);
      assert.equal(err.code, ErrorCodes.ModelLoadFailed);
      assert.match(err.message, /Cannot load model local\/truncated from .*truncated\.gguf/);
      assert.match(err.message, /llama\.cpp: tensor '.+' data is not within the file bounds/);
      assert.match(err.message, /truncated or corrupt/);

      const garbage = await rejection(host.load('local/garbage'));
      assert.equal((garbage as GearboxError).code, ErrorCodes.ModelLoadFailed);

      const r = await host.complete(
        { modelId: 'local/tiny', sessionKey: 'c1:after.ts', prefix: 'x = ', maxTokens: 2, temperature: 0 },
        () => {},
      );
      assert.ok(r.usage.outputTokens > 0);
      const st = await host.status();
      assert.equal(st.pid, pid, 'same child process');
      assert.equal(st.restarts, 0);
    });

    it('rejects a path that does not exist', async () => {
      const err = await rejection(host.load('local/missing'));
      assert.equal((err as GearboxError).code, ErrorCodes.ModelLoadFailed);
      assert.match(err.message, /does not exist: .*does-not-exist\.gguf/);
    });

    it('rejects an unknown model id', async () => {
      const err = await rejection(host.load('local/nope'));
      assert.equal((err as GearboxError).code, ErrorCodes.NoModelAvailable);
      assert.match(err.message, /Unknown local model "local\/nope"/);
    });

    it('never downloads: an hf: model that is not on disk is a clear ModelNotDownloaded error', async () => {
      const err = await rejection(host.load('local/hf-offline'));
      assert.equal((err as GearboxError).code, ErrorCodes.ModelNotDownloaded);
      assert.match(
        err.message,
        new RegExp(
          '^Model local/hf-offline \\(hf:gearbox-test/not-downloaded/model\\.gguf\\) is not downloaded yet; ' +
            '.*gearbox models download local/hf-offline$',
        ),
      );
      assert.ok(!fs.readdirSync(tmp).some((f) => f.includes('not-downloaded')), 'nothing was written');
    });

    it('uses an hf: model already present in the models dir', async () => {
      await host.load('local/hf-present');
      const st = await host.status();
      const m = st.loaded.find((l) => l.id === 'local/hf-present');
      assert.ok(m);
      assert.equal(m.path, path.join(tmp, 'hf_gearbox-test_present_tiny.gguf'));
      await host.unload('local/hf-present');
      assert.ok(!(await host.status()).loaded.some((l) => l.id === 'local/hf-present'));
    });

    it('gives the child no API keys', async () => {
      const { pid } = await host.status();
      assert.ok(pid);
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      const names = env.map((kv) => kv.slice(0, kv.indexOf('=')));
      assert.ok(names.includes('PATH'));
      assert.ok(!names.includes('OPENAI_API_KEY'));
      assert.ok(!names.includes('ANTHROPIC_API_KEY'));
      assert.ok(!names.includes('GGML_SECRET_TOKEN'));
      assert.ok(!env.some((kv) => kv.includes(FAKE_KEY)));
    });
  });

  describe('crashes, timeouts, idle unload, dispose', () => {
    it('reports a kill -9 mid-request as ModelHostCrashed and restarts on the next request', async () => {
      const host = newClient();
      const changes: string[] = [];
      host.onLoadedModelsChanged((change) => changes.push(change));
      await host.load('local/tiny');
      const { pid } = await host.status();
      assert.ok(pid);
      let killed = false;
      const err = await rejection(
        host.complete(
          { modelId: 'local/tiny', sessionKey: 'k:a.ts', prefix: 'let s = "', maxTokens: 1500, temperature: 0 },
          () => {
            if (!killed) {
              killed = true;
              process.kill(pid, 'SIGKILL');
            }
          },
        ),
      );
      assert.ok(err instanceof GearboxError);
      assert.equal(err.code, ErrorCodes.ModelHostCrashed);
      assert.equal(
        err.message,
        'The local model host crashed (signal SIGKILL) while running this request; it has been restarted — retry.',
      );
      assert.equal((await host.status()).state, 'crashed');
      // What it had loaded went with it.
      assert.deepEqual(changes, ['model-loaded', 'model-unloaded']);

      const r = await host.complete(
        { modelId: 'local/tiny', sessionKey: 'k:a.ts', prefix: 'let s = "', maxTokens: 4, temperature: 0 },
        () => {},
      );
      assert.ok(r.usage.outputTokens > 0);
      const st = await host.status();
      assert.equal(st.restarts, 1);
      assert.equal(st.state, 'running');
      assert.notEqual(st.pid, pid);
    });

    it('times out a request when the child stops answering', async () => {
      const host = newClient({ requestTimeoutMs: 1500 });
      // aborting while the child is still starting does not wait for it
      const controller = new AbortController();
      const early = host.load('local/tiny', undefined, controller.signal);
      controller.abort();
      assert.equal((await rejection(early)).name, 'AbortError');
      // a request that fails fast starts the child without loading anything
      await rejection(host.load('local/missing'));
      const { pid } = await host.status();
      assert.ok(pid);
      process.kill(pid, 'SIGSTOP');
      try {
        const err = await rejection(
          host.complete(
            { modelId: 'local/tiny', sessionKey: 't:a.ts', prefix: 'a', maxTokens: 4, temperature: 0 },
            () => {},
          ),
        );
        assert.equal((err as GearboxError).code, ErrorCodes.Timeout);
        assert.match(err.message, /did not finish complete within 1500 ms/);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    });

    it('unloads an idle model, says so (catalog changes), and disposes the child', async () => {
      const logger = recordingLogger();
      const host = newClient({ idleUnloadMs: 50, logger });
      const changes: string[] = [];
      const unloadedEvent = new Promise<void>((resolve) =>
        host.onLoadedModelsChanged((change) => {
          changes.push(change);
          if (change === 'model-unloaded') resolve();
        }),
      );
      await host.load('local/tiny');
      // The child says what it loaded before it answers the load.
      assert.deepEqual(changes, ['model-loaded']);
      const unloaded = await logger.waitFor('model unloaded');
      assert.equal(unloaded.model, 'local/tiny');
      await unloadedEvent;
      assert.deepEqual(changes, ['model-loaded', 'model-unloaded']);
      const st = await host.status();
      assert.deepEqual(st.loaded, []);

      const pid = st.pid!;
      await host.dispose();
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
      assert.equal((await host.status()).state, 'stopped');
      const err = await rejection(host.load('local/tiny'));
      assert.match(err.message, /shut down/);
    });
  });
});

describe('model host helpers', () => {
  it('builds the child env from an allowlist', () => {
    const env = buildChildEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      CUDA_VISIBLE_DEVICES: '0',
      NODE_LLAMA_CPP_GPU: 'false',
      ELECTRON_RUN_AS_NODE: '1',
      OPENAI_API_KEY: FAKE_KEY,
      GEMINI_API_KEY: FAKE_KEY,
      GEARBOX_TOKEN: FAKE_KEY,
      HF_TOKEN: FAKE_KEY,
      NODE_AUTH_TOKEN: FAKE_KEY,
      CUDA_SECRET_KEY: FAKE_KEY,
      AWS_SECRET_ACCESS_KEY: FAKE_KEY,
      RANDOM_VAR: 'x',
    });
    assert.deepEqual(Object.keys(env).sort(), [
      'CUDA_VISIBLE_DEVICES',
      'ELECTRON_RUN_AS_NODE',
      'HOME',
      'LANG',
      'LC_ALL',
      'NODE_LLAMA_CPP_GPU',
      'PATH',
    ]);
  });

  it('counts physical cores and never exceeds them', () => {
    const cpuinfo = [
      'processor\t: 0',
      'physical id\t: 0',
      'core id\t: 0',
      '',
      'processor\t: 1',
      'physical id\t: 0',
      'core id\t: 0',
      '',
      'processor\t: 2',
      'physical id\t: 0',
      'core id\t: 1',
      '',
    ].join('\n');
    assert.equal(physicalCoreCount(cpuinfo), 2); // 3 hyper-threads on 2 cores
    assert.equal(physicalCoreCount('processor\t: 0\n'), null);
    const cap = physicalCoreCount() ?? os.availableParallelism();
    assert.equal(resolveThreadCount(64), cap);
    assert.equal(resolveThreadCount(1), 1);
    assert.ok(resolveThreadCount() <= Math.min(cap, 4));
  });

  it('resolves plain paths relative to the models dir, with clear errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-resolve-'));
    try {
      fs.writeFileSync(path.join(dir, 'm.gguf'), 'x');
      assert.equal(await resolveModelSource('m.gguf', { modelsDir: dir }), path.join(dir, 'm.gguf'));
      const err = await rejection(resolveModelSource(dir, { modelsDir: dir, modelId: 'local/x' }));
      assert.match(err.message, /source of model local\/x is not a file/);
      const missing = await rejection(resolveModelSource('nope.gguf', { modelsDir: dir }));
      assert.equal((missing as GearboxError).code, ErrorCodes.ModelLoadFailed);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
