// The chat webview UI. No framework: the extension owns the conversation and sends turns, chunks
// and state; this wires the composer and the turns to those messages. Every incoming message is
// validated with the shared schemas.
import type { DOMPurify } from 'dompurify';
import { parseHostToWebview, type HostToWebview, type WebviewToHost } from '../shared/webview-protocol';
import { createComposer, type VsCodeApi } from './composer';
import { createDom } from './dom';
import { createMarkdownRenderer } from './render';
import { createTurns } from './turns';

export interface AppOptions {
  win: Window;
  api: VsCodeApi;
  purify: DOMPurify;
  /** Element to render into (default: #app, else body). */
  root?: HTMLElement;
}

export interface ChatApp {
  dispose(): void;
  /** Renders pending streamed text now (tests; normally done on the next animation frame). */
  flush(): void;
}

export function startApp(opts: AppOptions): ChatApp {
  const { win, api } = opts;
  const dom = createDom(win.document);
  const { el } = dom;
  const root = opts.root ?? dom.doc.getElementById('app') ?? dom.doc.body;
  const send = (m: WebviewToHost) => api.postMessage(m);

  const composer = createComposer({ dom, api, send });
  const turns = createTurns({ win, dom, md: createMarkdownRenderer(opts.purify), send });

  root.textContent = '';
  const app = el('div', 'gb-app');
  const header = el('header', 'gb-header');
  const connection = el('span', 'gb-connection');
  connection.setAttribute('role', 'status');
  header.append(composer.picker, connection);
  app.append(header, turns.element, composer.element);
  root.append(app);

  function setStreaming(on: boolean): void {
    composer.setStreaming(on);
    app.classList.toggle('gb-streaming', on);
  }

  function setConnection(state: string | undefined): void {
    const text =
      state === 'startFailed'
        ? 'The Gearbox daemon could not start — see Gearbox: Show Logs.'
        : state === 'starting'
          ? 'Starting the Gearbox daemon…'
          : state === 'stopped'
            ? 'The Gearbox daemon is not running.'
            : '';
    connection.textContent = text;
    connection.hidden = !text;
  }

  function handle(m: HostToWebview): void {
    switch (m.type) {
      case 'init':
        setStreaming(m.streaming);
        setConnection(m.connection);
        composer.setModels(m.models, m.selectedModel);
        composer.setChips(m.chips, m.budget);
        turns.reset(m.turns);
        return;
      case 'models':
        composer.setModels(m.models, m.selectedModel);
        composer.setModelListError(m.error);
        return;
      case 'chips':
        composer.setChips(m.chips, m.budget, m.notice);
        return;
      case 'turn':
        turns.upsert(m.turn);
        return;
      case 'removeTurns':
        turns.remove(m.ids);
        return;
      case 'chunk':
        turns.appendChunk(m.id, m.delta, m.model);
        return;
      case 'streaming':
        setStreaming(m.streaming);
        return;
      case 'connection':
        setConnection(m.state);
        return;
      case 'focusInput':
        composer.focus();
        return;
    }
  }

  const onMessage = (e: MessageEvent) => {
    const parsed = parseHostToWebview(e.data);
    if (!parsed.ok) {
      console.warn(`gearbox chat: dropped an invalid message from the extension: ${parsed.error}`);
      return;
    }
    handle(parsed.message);
  };
  win.addEventListener('message', onMessage);

  composer.setModels([], null);
  composer.setChips([], undefined);
  turns.reset([]);
  setStreaming(false);
  setConnection(undefined);
  composer.autosize();
  send({ type: 'ready' });

  return {
    dispose() {
      win.removeEventListener('message', onMessage);
      composer.dispose();
    },
    flush: turns.flush,
  };
}
