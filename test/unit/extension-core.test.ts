// The extension's vscode-free logic: crash policy, completion cache, language switch, debounce.
import assert from 'node:assert/strict';
import { CompletionCache } from '../../extension/core/completion-cache';
import { CrashPolicy } from '../../extension/core/crash-policy';
import { delayUnlessCancelled } from '../../extension/core/debounce';
import { completionEnabledFor } from '../../extension/core/language-filter';

describe('crash policy', () => {
  it('gives up after N crashes within the window, and forgets old ones', () => {
    let t = 0;
    const p = new CrashPolicy(3, 180_000, () => t);
    assert.equal(p.recordCrash(), true);
    t += 1000;
    assert.equal(p.recordCrash(), true);
    t += 1000;
    assert.equal(p.recordCrash(), false, 'third crash in 3 minutes gives up');
    t += 200_000;
    assert.equal(p.recordCrash(), true, 'old crashes no longer count');
    assert.equal(p.recentCrashes, 1);
  });
});

describe('completion cache', () => {
  it('keeps showing the rest of a suggestion while the user types its start', () => {
    const c = new CompletionCache();
    c.remember({ uri: 'u', line: 3, linePrefix: '    return ', text: 'a + b' });
    assert.equal(c.lookup('u', 3, '    return '), 'a + b');
    assert.equal(c.lookup('u', 3, '    return a'), ' + b');
    assert.equal(c.lookup('u', 3, '    return a + '), 'b');
    assert.equal(c.lookup('u', 3, '    return a + b'), undefined, 'fully typed: nothing left');
    assert.equal(c.lookup('u', 3, '    return x'), undefined, 'diverged');
    assert.equal(c.lookup('u', 4, '    return a'), undefined, 'other line');
    assert.equal(c.lookup('v', 3, '    return a'), undefined, 'other document');
  });

  it('expires and can be forgotten', () => {
    let t = 0;
    const c = new CompletionCache(1000, () => t);
    c.remember({ uri: 'u', line: 0, linePrefix: '', text: 'abc' });
    t = 2000;
    assert.equal(c.lookup('u', 0, 'a'), undefined);
    c.remember({ uri: 'u', line: 0, linePrefix: '', text: 'abc' });
    c.forget('u');
    assert.equal(c.lookup('u', 0, 'a'), undefined);
  });
});

describe('language switch', () => {
  it('applies the global switch, then the language entry, then *', () => {
    assert.equal(completionEnabledFor('python', false, { '*': true }), false);
    assert.equal(completionEnabledFor('markdown', true, { '*': true, markdown: false }), false);
    assert.equal(completionEnabledFor('python', true, { '*': false, python: true }), true);
    assert.equal(completionEnabledFor('go', true, { '*': false }), false);
    assert.equal(completionEnabledFor('go', true, undefined), true);
  });
});

describe('debounce', () => {
  it('resolves false as soon as the token is cancelled', async () => {
    let cb: (() => void) | undefined;
    const token = {
      isCancellationRequested: false,
      onCancellationRequested: (f: () => void) => {
        cb = f;
        return { dispose: () => {} };
      },
    };
    const p = delayUnlessCancelled(10_000, token);
    cb!();
    assert.equal(await p, false);
    assert.equal(
      await delayUnlessCancelled(1, {
        isCancellationRequested: false,
        onCancellationRequested: () => ({ dispose() {} }),
      }),
      true,
    );
  });
});
