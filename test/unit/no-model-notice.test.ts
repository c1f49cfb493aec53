// The one "no model" notification (words and buttons from the error's fixes, or a default), the
// gate that lets one through per window, and which failed requests count as expected.
import assert from 'node:assert/strict';
import { fixesOf, NoticeGate, noModelNotice, OPEN_SETTINGS, SET_API_KEY } from '../../extension/core/no-model-notice';
import { isExpectedFailure } from '../../extension/core/request-failures';
import { ErrorCodes, type NoModelFix } from '../../shared/protocol';

describe('no-model notice', () => {
  it('without fixes in the error: says what is missing and offers Set API Key and Open Settings', () => {
    const n = noModelNotice('completion', fixesOf({ route: { model: null } }));
    assert.match(n.message, /^Gearbox: no model can serve inline completion: /);
    assert.match(n.message, /no local model is configured and no API key is set/);
    assert.deepEqual(n.buttons, [SET_API_KEY, OPEN_SETTINGS]);
    assert.deepEqual(OPEN_SETTINGS.args, ['gearbox']);
  });

  it("with the daemon's fixes: one button per fix that has an editor command, in their order", () => {
    const fixes: NoModelFix[] = [
      {
        action: 'add-local-model',
        presetId: 'qwen2.5-coder-1.5b',
        cliCommand: 'gearbox models add qwen2.5-coder-1.5b',
        editorCommand: 'gearbox.addLocalModel',
        text: 'add a local model: run `gearbox models add qwen2.5-coder-1.5b`',
      },
      {
        action: 'set-api-key',
        editorCommand: 'gearbox.setApiKey',
        text: 'or add an API key with "Gearbox: Set API Key"',
      },
    ];
    const n = noModelNotice('chat', fixesOf({ fixes }));
    assert.deepEqual(n.buttons, [
      { label: 'Add Local Model…', command: 'gearbox.addLocalModel' },
      { label: 'Set API Key', command: 'gearbox.setApiKey' },
    ]);
    assert.equal(
      n.message,
      'Gearbox: no model can serve chat. To fix it: add a local model: run `gearbox models add qwen2.5-coder-1.5b`; ' +
        'or add an API key with "Gearbox: Set API Key".',
    );
  });

  it('a fix with nothing to click (a download on its way) is said, not offered as a button', () => {
    const n = noModelNotice('completion', [
      { action: 'wait-for-download', modelId: 'local/q', text: 'local/q is downloading (40%)' },
    ]);
    assert.deepEqual(n.buttons, []);
    assert.match(n.message, /local\/q is downloading \(40%\)\.$/);
  });

  it('ignores fixes it cannot read', () => {
    assert.deepEqual(fixesOf({ fixes: [{ action: 'reboot', text: 'x' }] }), []);
    assert.deepEqual(fixesOf(undefined), []);
    assert.deepEqual(fixesOf('text'), []);
  });

  it('the gate lets one notification through per window', () => {
    const gate = new NoticeGate();
    assert.equal(gate.used, false);
    assert.equal(gate.take(), true);
    assert.equal(gate.take(), false);
    assert.equal(gate.used, true);
  });
});

describe('expected request failures', () => {
  it("the daemon's own errors are expected; protocol errors and plain exceptions are not", () => {
    for (const code of [ErrorCodes.NoModelAvailable, ErrorCodes.MissingApiKey, ErrorCodes.Timeout, ErrorCodes.Offline])
      assert.equal(isExpectedFailure({ code, message: 'x' }), true, String(code));
    assert.equal(isExpectedFailure({ code: ErrorCodes.InternalError, message: 'x' }), false);
    assert.equal(isExpectedFailure({ code: ErrorCodes.InvalidParams, message: 'x' }), false);
    assert.equal(isExpectedFailure(new Error('boom')), false);
    assert.equal(isExpectedFailure(undefined), false);
  });
});
