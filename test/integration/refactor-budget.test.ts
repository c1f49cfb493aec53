// Refactor answers that cannot succeed fail in seconds: each refactor has a token budget that fits
// it, an answer that must replace the selection stops as soon as it cannot become a code block, and
// the request escalates right away (one tier up) — or, when it cannot, the user's retry does.
import assert from 'node:assert/strict';
import { MAX_PREAMBLE_CHARS } from '../../daemon/answer-budget';
import type { LocalChatRequest } from '../../daemon/model-host-api';
import { ErrorCodes, EXPLAIN_MAX_TOKENS } from '../../shared/protocol';
import { sliceRange } from '../../shared/text-range';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon-harness';

const URI = 'file:///work/logic.py';
const TEXT = 'def is_positive(n):\n    if n > 0:\n        return True\n    else:\n        return False\n\nprint(1)\n';
const RANGE = { start: { line: 0, character: 0 }, end: { line: 4, character: 20 } };
/** 2 × the selection (four characters a token) + the margin. */
const BUDGET = 2 * Math.ceil(sliceRange(TEXT, RANGE).length / 4) + 256;
const SIMPLIFIED = 'def is_positive(n):\n    return n > 0';
/** What a tiny model writes: prose, forever; a fence only after 20,000 characters. */
const PROSE = 'Once upon a time there was a function that liked numbers. ';
const RAMBLING = `${PROSE.repeat(340)}\n\`\`\`python\nx\n\`\`\`\n`;

describe('refactor budgets and giving up early', function () {
  this.timeout(30_000);
  let d: TestDaemon;
  let host: FakeModelHost;
  let cloud: FakeServer;

  beforeEach(async () => {
    cloud = await startFakeOpenAI({});
    cloud.setScript(() => ({ kind: 'reply', text: `\`\`\`python\n${SIMPLIFIED}\n\`\`\`\nReturned the comparison.` }));
    host = new FakeModelHost();
    host.reply = () => RAMBLING;
    d = await startTestDaemon(
      {
        // A tier-1 local model and a tier-2 endpoint: at quality 0 a simplify goes local, one step harder
        // (after a failure) to the endpoint.
        localModels: [{ id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 1 }],
        providers: [
          {
            id: 'team',
            kind: 'openai-compatible',
            baseUrl: cloud.url,
            noKey: true,
            private: true,
            models: [{ name: 'mid', tier: 2, contextWindow: 32_000, inputPricePerMTok: 1, outputPricePerMTok: 4 }],
          },
        ],
      },
      { modelHost: host },
    );
  });
  afterEach(async () => {
    await d.stop();
    await cloud.close();
  });

  const connect = () => d.connect({ routing: { mode: 'auto', quality: 0 } });
  const refactor = async (extra: Record<string, unknown> = {}) => {
    const c = await connect();
    return c.request('gearbox/refactor', {
      kind: 'simplify',
      uri: URI,
      range: RANGE,
      text: TEXT,
      languageId: 'python',
      ...extra,
    });
  };

  it('a model that never writes a fence is stopped within its budget, and the request goes one tier up', async () => {
    const res = await refactor();
    // The local model was tried first, with the refactor's budget, and stopped early.
    assert.equal(host.calls.length, 1);
    const local = host.calls[0]!;
    assert.equal((local.req as LocalChatRequest).maxTokens, BUDGET);
    assert.equal(local.aborted, true, 'the hopeless answer was stopped');
    assert.ok(
      local.streamedChars <= MAX_PREAMBLE_CHARS + 4,
      `stopped after ${local.streamedChars} characters without a fence (of ${RAMBLING.length})`,
    );
    // Escalated right away: the next tier answered, with the same budget.
    assert.equal(res.model, 'team/mid', res.route.summary);
    assert.ok(
      res.route.reasons.some((r) => r.feature === 'prior-failures'),
      `escalated for the failure: ${JSON.stringify(res.route.reasons.map((r) => r.feature))}`,
    );
    assert.deepEqual(res.edits, [{ range: RANGE, newText: SIMPLIFIED }]);
    assert.equal(cloud.requests.length, 1);
    assert.equal(cloud.requests[0]!.body.max_tokens, BUDGET);
  });

  it('a pinned model fails fast with a clear error; the retry goes one tier up', async () => {
    const c = await connect();
    const err = await c
      .request('gearbox/refactor', {
        kind: 'simplify',
        uri: URI,
        range: RANGE,
        text: TEXT,
        languageId: 'python',
        model: 'local/tiny',
      })
      .then(
        () => assert.fail('expected the refactor to fail'),
        (e: { code: number; message: string }) => e,
      );
    assert.equal(err.code, ErrorCodes.ProviderError);
    assert.match(err.message, /local\/tiny did not return a code block .*without starting a code block/);
    assert.ok(host.calls[0]!.aborted && host.calls[0]!.streamedChars <= MAX_PREAMBLE_CHARS + 4);
    assert.equal(cloud.requests.length, 0, 'a pinned refactor is not escalated');

    const retry = await c.request('gearbox/refactor', {
      kind: 'simplify',
      uri: URI,
      range: RANGE,
      text: TEXT,
      languageId: 'python',
    });
    assert.equal(retry.model, 'team/mid', retry.route.summary);
    assert.ok(retry.route.reasons.some((r) => r.feature === 'prior-failures'));
    // The success resets the count: the next refactor is routed on its own merits again.
    host.reply = () => `\`\`\`python\n${SIMPLIFIED}\n\`\`\``;
    const next = await refactor();
    assert.ok(!next.route.reasons.some((r) => r.feature === 'prior-failures'));
  });

  it('a streamed refactor (the client sees the text) fails fast and leaves the escalation to the retry', async () => {
    const err = await refactor({ streamId: 'r1' }).then(
      () => assert.fail('expected the refactor to fail'),
      (e: { code: number; message: string }) => e,
    );
    assert.equal(err.code, ErrorCodes.ProviderError);
    assert.equal(cloud.requests.length, 0);
    assert.ok(host.calls[0]!.streamedChars <= MAX_PREAMBLE_CHARS + 4);
  });

  it('an explanation gets a few hundred tokens unless the request asks for more', async () => {
    host.reply = () => 'It returns whether n is positive.';
    await refactor({ kind: 'explain', model: 'local/tiny' });
    assert.equal((host.calls.at(-1)!.req as LocalChatRequest).maxTokens, EXPLAIN_MAX_TOKENS);
    await refactor({ kind: 'explain', model: 'local/tiny', maxTokens: 3000 });
    assert.equal((host.calls.at(-1)!.req as LocalChatRequest).maxTokens, 3000);
  });
});
