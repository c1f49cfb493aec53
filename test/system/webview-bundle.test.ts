// Smoke test of the built webview bundle (dist/webview/main.js) in jsdom: it starts, announces
// itself, renders a streamed answer and strips injected HTML. Builds the bundles first.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { JSDOM } from 'jsdom';

const bundle = path.resolve('dist/webview/main.js');

describe('webview bundle (built)', () => {
  before(function () {
    this.timeout(60_000);
    execFileSync(process.execPath, [path.resolve('scripts/build.mjs')], { stdio: 'inherit' });
    assert.ok(fs.existsSync(bundle), 'the build wrote dist/webview/main.js');
  });

  it('runs in a browser-like window with the VS Code API', async () => {
    const posted: any[] = [];
    const dom = new JSDOM('<!DOCTYPE html><body><div id="app"></div></body>', {
      runScripts: 'outside-only',
      pretendToBeVisual: true,
    });
    const win = dom.window as any;
    win.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => posted.push(m),
      getState: () => undefined,
      setState: () => {},
    });
    win.eval(fs.readFileSync(bundle, 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(posted[0])), { type: 'ready' });
    const send = (data: unknown) => win.dispatchEvent(new win.MessageEvent('message', { data }));
    send({
      type: 'init',
      turns: [
        { id: 'u', role: 'user', text: 'hi' },
        {
          id: 'a',
          role: 'assistant',
          status: 'done',
          text: 'ok <img src=x onerror=alert(1)>\n\n```js\nlet a = 1\n```',
          model: 'local/m',
          route: { summary: 'easy → local', reasons: [], rejected: [] },
        },
      ],
      models: [],
      selectedModel: null,
      chips: [{ id: 'editor', kind: 'editor', label: 'app.py:10-24', tokens: 40 }],
      streaming: false,
    });
    const doc = win.document as Document;
    assert.equal(doc.querySelector('img'), null);
    assert.match(doc.querySelector('.gb-answer-meta')!.textContent!, /local\/m.*easy → local/);
    assert.ok(doc.querySelector('.hljs-keyword'));
    assert.ok(doc.querySelector('button[aria-label="Remove app.py:10-24"]'));
    dom.window.close();
  });
});
