import { strict as assert } from 'node:assert';
import { RouteDecision, WorkspaceSettings, type ModelInfo } from '../../shared/protocol';
import {
  compileGlob,
  matchGlob,
  matchPrivatePath,
  requiredTierFor,
  route,
  type Decision,
  type RouteInput,
} from '../../daemon/routing';
import { model } from '../helpers/catalog-models';

const LOCAL_SMALL = model('local/coder-1.5b', {
  tier: 0,
  contextWindow: 8192,
  inputPricePerMTok: 0,
  outputPricePerMTok: 0,
});
const LOCAL_7B = model('local/coder-7b', {
  tier: 1,
  contextWindow: 32768,
  inputPricePerMTok: 0,
  outputPricePerMTok: 0,
  tasks: ['chat', 'refactor'],
});
const NANO = model('openai/nano', { tier: 1, inputPricePerMTok: 0.05, outputPricePerMTok: 0.4 });
const MINI = model('openai/mini', { tier: 2, inputPricePerMTok: 0.25, outputPricePerMTok: 2 });
const FRONTIER = model('openai/frontier', { tier: 3, inputPricePerMTok: 1.25, outputPricePerMTok: 10 });
const OPUS = model('anthropic/opus', {
  providerKind: 'anthropic',
  tier: 3,
  inputPricePerMTok: 5,
  outputPricePerMTok: 25,
});
const CORP = model('corp/llama-70b', {
  providerKind: 'openai-compatible',
  tier: 2,
  private: true,
  inputPricePerMTok: 0,
  outputPricePerMTok: 0,
  contextWindow: 65536,
});
const CATALOG = [LOCAL_SMALL, LOCAL_7B, NANO, MINI, FRONTIER, OPUS, CORP];
const CLOSED = ['openai/nano', 'openai/mini', 'openai/frontier', 'anthropic/opus'];

const settings = (over: Record<string, unknown> = {}) => WorkspaceSettings.parse(over);
const HARD = 'Debug this race condition: two workers sometimes take the same job and the queue deadlocks under load';
const EASY = 'rename this variable';
// Synthetic key split so secret scanners do not flag this file.
const AWS_KEY = 'AKIA' + 'Z7QXWB4M2KD9RT5N';

const decide = (
  input: Partial<RouteInput> & { task?: RouteInput['task'] },
  catalog: ModelInfo[] = CATALOG,
): Decision => {
  const d = route({ task: 'chat', prompt: '', settings: settings(), ...input }, catalog);
  RouteDecision.parse(d); // still valid on the wire (extra fields are stripped by zod)
  return d;
};
const reasonOf = (d: Decision, id: string) => d.rejected.find((r) => r.model === id);

describe('policy: glob matcher', () => {
  const m = (p: string, path: string) => matchGlob(p, path);

  it('matches *, ?, ** and braces', () => {
    assert.ok(m('src/*.ts', 'src/a.ts'));
    assert.ok(!m('src/*.ts', 'src/x/a.ts'));
    assert.ok(m('src/**/*.ts', 'src/a.ts'));
    assert.ok(m('src/**/*.ts', 'src/x/y/a.ts'));
    assert.ok(m('src/?.ts', 'src/a.ts') && !m('src/?.ts', 'src/ab.ts'));
    assert.ok(
      m('**/*.{pem,key}', 'deep/dir/server.key') && m('**/*.{pem,key}', 'a.pem') && !m('**/*.{pem,key}', 'a.pub'),
    );
    assert.ok(m('a*b', 'a*b') && m('a*b', 'axxb') && !m('a*b', 'axc'));
    assert.ok(m('src\\*.ts', 'src/a.ts'), 'backslashes are separators');
  });

  it('name-only globs match at any depth; folder globs cover their contents; anchored ones do not float', () => {
    assert.ok(m('.env*', '.env') && m('.env*', 'services/api/.env.local'));
    assert.ok(m('secrets', 'secrets/prod/db.yaml') && m('secrets/', 'secrets/x'));
    assert.ok(m('internal/billing', 'internal/billing/rates.ts'));
    assert.ok(!m('internal/billing', 'lib/internal/billing/rates.ts'));
    assert.ok(!m('internal/billing', 'internal/billing-ui/app.ts'));
    assert.ok(m('**/secrets/**', 'a/b/secrets/c.txt'));
  });

  it('handles Windows separators, absolute globs and file:// URIs', () => {
    assert.equal(matchPrivatePath(['secrets/**'], 'C:\\work\\app\\secrets\\k.txt', 'C:\\work\\app'), 'secrets/**');
    assert.equal(matchPrivatePath(['/etc/**'], '/etc/ssl/private.pem', '/home/me/app'), '/etc/**');
    assert.equal(matchPrivatePath(['*.pem'], 'file:///home/me/app/certs/my%20key.pem', '/home/me/app'), '*.pem');
    assert.equal(
      matchPrivatePath(['src/**'], '/elsewhere/src/a.ts', '/home/me/app'),
      undefined,
      'anchored globs only apply inside the workspace',
    );
    assert.equal(
      matchPrivatePath(['.env*'], '/elsewhere/.env', '/home/me/app'),
      '.env*',
      'name-only globs apply anywhere',
    );
    assert.equal(matchPrivatePath([], '/home/me/app/a.ts', '/home/me/app'), undefined);
    assert.equal(matchPrivatePath(['**'], undefined, '/home/me/app'), undefined);
  });

  it('matches relative globs below every workspace folder of a multi-root workspace, nested ones too', () => {
    const roots = ['file:///home/me/api', 'file:///home/me/web', '/home/me/web/packages/ui'];
    assert.equal(matchPrivatePath(['secret/**'], 'file:///home/me/web/secret/k.ts', roots), 'secret/**');
    assert.equal(matchPrivatePath(['secret/**'], '/home/me/api/secret/k.ts', roots), 'secret/**');
    // Below the nested folder the glob holds relative to either folder.
    assert.equal(matchPrivatePath(['secret/**'], '/home/me/web/packages/ui/secret/k.ts', roots), 'secret/**');
    assert.equal(matchPrivatePath(['packages/**'], '/home/me/web/packages/ui/a.ts', roots), 'packages/**');
    assert.equal(matchPrivatePath(['secret/**'], '/home/me/other/secret/k.ts', roots), undefined);
    assert.equal(matchPrivatePath(['secret/**'], 'file:///home/me/webapp/secret/k.ts', roots), undefined);
  });

  it('has no catastrophic backtracking', () => {
    const g = compileGlob('**/a*a*a*a*a*a*a*a*a*a*a*b/**/c*c*c*c*c*d');
    const path = Array.from({ length: 200 }, () => 'a'.repeat(200)).join('/');
    // Linear matching takes about a millisecond here, exponential backtracking hours: a generous bound
    // on the median of a few runs tells them apart without depending on how busy the machine is.
    const runs = Array.from({ length: 5 }, () => {
      const t = performance.now();
      assert.ok(!matchGlob(g, path));
      return performance.now() - t;
    }).sort((a, b) => a - b);
    assert.ok(runs[2]! < 2000, `median ${runs[2]!.toFixed(1)} ms`);
    assert.ok(compileGlob('{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}').alternatives.length <= 64);
  });
});

describe('policy: route rules', () => {
  it('quality knob: 0 never asks for more than neutral, 10 never for less; both ends stay sensible', () => {
    for (let d = 0; d <= 1.0001; d += 0.05) {
      assert.ok(requiredTierFor(d, 0) <= requiredTierFor(d, 5) && requiredTierFor(d, 5) <= requiredTierFor(d, 10));
    }
    // At 0 an easy request stays on the smallest tier and a clearly hard one still gets tier 3;
    // at 10 a trivial rename does not go to frontier.
    assert.equal(decide({ prompt: EASY, settings: settings({ routing: { quality: 0 } }) }).requiredTier, 0);
    assert.equal(decide({ prompt: HARD, settings: settings({ routing: { quality: 0 } }) }).requiredTier, 3);
    assert.ok(decide({ prompt: EASY, settings: settings({ routing: { quality: 10 } }) }).requiredTier <= 1);
  });

  it('allowed models: others are rejected as not-allowed', () => {
    const d = decide({ prompt: HARD, settings: settings({ allowedModels: ['openai/mini'] }) });
    assert.equal(d.model, 'openai/mini');
    for (const id of ['openai/frontier', 'anthropic/opus', 'local/coder-7b'])
      assert.equal(reasonOf(d, id)?.reason, 'not-allowed');
  });

  it('local-only mode: non-local models are rejected as not-allowed', () => {
    const d = decide({ prompt: HARD, settings: settings({ routing: { mode: 'local-only' } }) });
    assert.ok(d.model?.startsWith('local/'));
    for (const id of [...CLOSED, 'corp/llama-70b']) assert.equal(reasonOf(d, id)?.reason, 'not-allowed', id);
  });

  it('private paths: a matching file keeps the request on local/private models, naming the glob', () => {
    const s = settings({ privatePaths: ['internal/billing/**', '*.pem'] });
    const d = decide({
      prompt: HARD,
      filePath: '/home/me/app/internal/billing/rates.ts',
      workspaceRoots: ['/home/me/app'],
      settings: s,
    });
    assert.equal(d.model, 'corp/llama-70b');
    for (const id of CLOSED) {
      assert.equal(reasonOf(d, id)?.reason, 'privacy', id);
      assert.equal(reasonOf(d, id)?.detail, "file matches private path 'internal/billing/**'");
    }
    assert.ok(d.reasons.some((r) => r.feature === 'private-path'));
    assert.match(d.summary, /private path 'internal\/billing\/\*\*'/);
    // A file outside the globs routes normally.
    const other = decide({
      prompt: HARD,
      filePath: '/home/me/app/src/app.ts',
      workspaceRoots: ['/home/me/app'],
      settings: s,
    });
    assert.equal(other.model, 'openai/frontier');
    assert.ok(!other.rejected.some((r) => r.reason === 'privacy'));
  });

  it('secrets (force-local, the default): closed models are rejected with privacy and the kind', () => {
    const d = decide({ prompt: `why does this fail? aws_access_key_id = ${AWS_KEY}` });
    assert.ok(d.model === 'corp/llama-70b' || d.model!.startsWith('local/'), d.model!);
    for (const id of CLOSED) {
      assert.equal(reasonOf(d, id)?.reason, 'privacy', id);
      assert.equal(reasonOf(d, id)?.detail, 'prompt contains a secret (aws-access-key)');
    }
    assert.equal(d.reasons.find((r) => r.feature === 'secrets')?.detail, 'prompt contains a secret (aws-access-key)');
    assert.match(d.summary, /secret \(aws-access-key\): local\/private models only/);
    assert.equal(d.redactSecrets, undefined);
    assert.deepEqual(d.secrets, [{ where: 'prompt', kind: 'aws-access-key' }]);
  });

  it('secrets in the selection, the file, a .env file or earlier messages count too', () => {
    assert.equal(
      decide({ prompt: 'explain', selectionText: `const k = "${AWS_KEY}";` }).secrets?.[0]?.where,
      'selection',
    );
    assert.equal(decide({ prompt: 'explain', fileText: `key: ${AWS_KEY}` }).secrets?.[0]?.where, 'file');
    const env = decide({ prompt: 'explain', fileText: 'SESSION_SECRET=hunterbunter\n', filePath: '/app/.env.local' });
    assert.equal(env.secrets?.[0]?.kind, 'env-file');
    assert.equal(decide({ prompt: 'explain', extraTexts: [`earlier: ${AWS_KEY}`] }).secrets?.[0]?.where, 'context');
    assert.equal(decide({ prompt: 'explain', fileText: `key: ${AWS_KEY}`, scanSecrets: false }).secrets, undefined);
    // A cached scan of the file replaces scanning it again.
    assert.equal(decide({ prompt: 'explain', fileText: `key: ${AWS_KEY}`, fileSecrets: [] }).secrets, undefined);
    assert.deepEqual(decide({ prompt: 'explain', fileText: 'nothing here', fileSecrets: ['jwt'] }).secrets, [
      { where: 'file', kind: 'jwt' },
    ]);
  });

  it("secrets with settings.secrets = 'redact': closed models stay allowed and the decision says to redact", () => {
    const d = decide({ prompt: `${HARD} key=${AWS_KEY}`, settings: settings({ secrets: 'redact' }) });
    assert.equal(d.model, 'openai/frontier');
    assert.equal(d.redactSecrets, true);
    assert.ok(!d.rejected.some((r) => r.reason === 'privacy'));
    assert.match(d.summary, /redacted before a cloud call/);
  });

  it('budget: at or over a cap every non-local model is rejected as over-budget', () => {
    const s = settings({ budget: { dailyUsd: 1, monthlyUsd: 20 } });
    const d = decide({ prompt: HARD, settings: s, budget: { spentTodayUsd: 1.02, spentMonthUsd: 5 } });
    assert.ok(d.model?.startsWith('local/'));
    for (const id of [...CLOSED, 'corp/llama-70b']) {
      assert.equal(reasonOf(d, id)?.reason, 'over-budget', id);
      assert.equal(reasonOf(d, id)?.detail, 'daily budget $1.00 reached ($1.02 spent)');
    }
    assert.match(d.summary, /daily budget \$1\.00 reached \(\$1\.02 spent\): local models only/);
    // Exactly at the cap counts; monthly too; under both or no cap (0) does not.
    assert.equal(
      reasonOf(decide({ prompt: HARD, settings: s, budget: { spentTodayUsd: 1, spentMonthUsd: 0 } }), 'openai/frontier')
        ?.reason,
      'over-budget',
    );
    const monthly = decide({ prompt: HARD, settings: s, budget: { spentTodayUsd: 0, spentMonthUsd: 20.5 } });
    assert.equal(reasonOf(monthly, 'openai/frontier')?.detail, 'monthly budget $20.00 reached ($20.50 spent)');
    assert.equal(
      decide({ prompt: HARD, settings: s, budget: { spentTodayUsd: 0.5, spentMonthUsd: 5 } }).model,
      'openai/frontier',
    );
    assert.equal(decide({ prompt: HARD, budget: { spentTodayUsd: 500, spentMonthUsd: 500 } }).model, 'openai/frontier');
    // Nothing local can serve: null, and the summary says why.
    const none = decide({ prompt: HARD, settings: s, budget: { spentTodayUsd: 2, spentMonthUsd: 2 } }, [
      FRONTIER,
      NANO,
    ]);
    assert.equal(none.model, null);
    assert.match(none.summary, /over budget/);
  });

  it('escalation: each earlier failure or a stronger hint counts the request one step harder, capped at 3', () => {
    const tiers = [0, 1, 2, 3, 9].map((priorFailures) => decide({ prompt: EASY, priorFailures }).requiredTier);
    assert.equal(tiers[0], 0);
    for (let i = 1; i < tiers.length; i++) assert.ok(tiers[i]! >= tiers[i - 1]!, tiers.join(' '));
    assert.equal(tiers[3], tiers[4], 'capped at 3 steps');
    assert.ok(tiers[3]! > tiers[0]!);
    const p = (priorFailures: number, hint?: 'stronger') =>
      decide({ prompt: EASY, priorFailures, ...(hint ? { hint } : {}) }).expectedSuccess!;
    // Each step lowers every model's expected success, so the choice moves to stronger models (at
    // equal price a chat already takes the strongest free one, so it moves once no free one will do).
    const chosen = (priorFailures: number) => decide({ prompt: EASY, priorFailures }).chosen!;
    for (const f of [1, 2, 3]) {
      assert.ok(chosen(f).expectedSuccess < chosen(f - 1).expectedSuccess || chosen(f).model !== chosen(f - 1).model);
      assert.ok(chosen(f).capability.theta >= chosen(f - 1).capability.theta);
    }
    assert.ok(chosen(3).capability.theta > chosen(0).capability.theta, `${chosen(3).model} vs ${chosen(0).model}`);
    assert.equal(p(0, 'stronger'), p(1));
    assert.equal(p(1, 'stronger'), p(2));
    assert.match(decide({ prompt: EASY, priorFailures: 2 }).summary, /escalated \+2 steps/);
    // @local still wins: the user asked to stay local.
    assert.equal(decide({ prompt: `${EASY} @local`, priorFailures: 3 }).requiredTier, 0);
  });

  describe('pinned models: privacy, secrets and budget still apply', () => {
    it('a private path blocks a closed pin', () => {
      const d = decide({
        prompt: EASY,
        pinnedModel: 'openai/frontier',
        filePath: '/w/keys/a.pem',
        workspaceRoots: ['/w'],
        settings: settings({ privatePaths: ['*.pem'] }),
      });
      assert.equal(d.model, null);
      assert.equal(d.pinned, true);
      assert.equal(d.rejected[0]?.reason, 'privacy');
      assert.match(
        d.summary,
        /cannot be used: file matches private path '\*\.pem' \(workspace rules apply to pinned models too\)/,
      );
    });

    it('a secret blocks a closed pin in force-local mode; in redact mode the pin is used with redaction', () => {
      const blocked = decide({ prompt: `key ${AWS_KEY}`, pinnedModel: 'anthropic/opus' });
      assert.equal(blocked.model, null);
      assert.equal(blocked.rejected[0]?.reason, 'privacy');
      assert.equal(blocked.rejected[0]?.detail, 'prompt contains a secret (aws-access-key)');
      const redacted = decide({
        prompt: `key ${AWS_KEY}`,
        pinnedModel: 'anthropic/opus',
        settings: settings({ secrets: 'redact' }),
      });
      assert.equal(redacted.model, 'anthropic/opus');
      assert.equal(redacted.redactSecrets, true);
      // A private endpoint may see it in force-local mode.
      assert.equal(decide({ prompt: `key ${AWS_KEY}`, pinnedModel: 'corp/llama-70b' }).model, 'corp/llama-70b');
    });

    it('the budget blocks a closed pin; a local pin is fine', () => {
      const s = settings({ budget: { dailyUsd: 1, monthlyUsd: 0 } });
      const spent = { spentTodayUsd: 3, spentMonthUsd: 3 };
      const d = decide({ prompt: EASY, pinnedModel: 'openai/mini', settings: s, budget: spent });
      assert.equal(d.model, null);
      assert.equal(d.rejected[0]?.reason, 'over-budget');
      assert.equal(
        decide({ prompt: EASY, pinnedModel: 'local/coder-7b', settings: s, budget: spent }).model,
        'local/coder-7b',
      );
    });
  });

  it('completions stay local whatever the rules', () => {
    const d = decide({
      task: 'completion',
      prompt: 'const x = ',
      budget: { spentTodayUsd: 9, spentMonthUsd: 9 },
      settings: settings({ budget: { dailyUsd: 1, monthlyUsd: 0 } }),
    });
    assert.equal(d.model, 'local/coder-1.5b');
  });
});
