// The composer of the chat webview: the message input (with its draft kept in the webview state and
// its @ menu), the model picker, the chips, and send / stop (buttons, Enter, Escape).
import type { ChipRef, ContextBudget, ModelOption, WebviewToHost } from '../shared/webview-protocol';
import { renderChips } from './chips';
import type { Dom } from './dom';
import { createMentionMenu } from './mentions';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export interface ComposerOptions {
  dom: Dom;
  api: VsCodeApi;
  send(m: WebviewToHost): void;
}

export interface Composer {
  /** The model picker, shown in the header. */
  picker: HTMLSelectElement;
  /** The footer: context chip, input, send and stop. */
  element: HTMLElement;
  setModels(models: readonly ModelOption[], selected: string | null): void;
  /** Says in the picker's tooltip why the model list may be incomplete (nothing: it is complete). */
  setModelListError(error: string | undefined): void;
  setChips(chips: readonly ChipRef[], budget: ContextBudget | undefined, notice?: string): void;
  setStreaming(on: boolean): void;
  focus(): void;
  /** Fits the input's height to its text. */
  autosize(): void;
  dispose(): void;
}

interface DraftState {
  draft?: string;
}

const PICKER_TITLE = 'Model for the next requests in this view';

export function createComposer({ dom, api, send }: ComposerOptions): Composer {
  const { doc, el, button } = dom;
  let streaming = false;
  let models: readonly ModelOption[] = [];
  let selectedModel: string | null = null;

  const picker = el('select', 'gb-model-picker');
  picker.setAttribute('aria-label', 'Model');
  picker.title = PICKER_TITLE;

  const footer = el('footer', 'gb-composer');
  const chipRow = el('div', 'gb-context-row');
  const input = el('textarea', 'gb-input');
  input.setAttribute('aria-label', 'Message');
  input.placeholder = 'Ask Gearbox… (@ adds context; Enter to send, Shift+Enter for a new line)';
  input.rows = 3;
  const mentions = createMentionMenu(dom, input, (kind, text) => {
    saveDraft();
    send({ type: 'addContext', kind, ...(text.trim() ? { draft: text } : {}) });
  });
  const actions = el('div', 'gb-composer-actions');
  const mentionBtn = button('@', 'gb-mention-button', () => mentions.open(), 'Add context');
  mentionBtn.title = 'Add context: a file, the selection, problems, the terminal, a symbol, a code search';
  const sendBtn = button('Send', 'gb-send gb-primary', () => submit());
  const stopBtn = button('Stop', 'gb-stop', () => send({ type: 'stop' }));
  stopBtn.hidden = true;
  actions.append(mentionBtn, sendBtn, stopBtn);
  footer.append(chipRow, mentions.element, input, actions);

  const saved = (api.getState() ?? {}) as DraftState;
  if (typeof saved.draft === 'string') input.value = saved.draft;
  const saveDraft = () =>
    api.setState({ ...((api.getState() ?? {}) as object), draft: input.value } satisfies DraftState);

  function submit(): void {
    const text = input.value.trim();
    if (!text || streaming) return;
    send({ type: 'send', text });
    input.value = '';
    saveDraft();
    autosize();
  }
  function autosize(): void {
    input.style.height = 'auto';
    const h = Math.min(input.scrollHeight, 240);
    if (h > 0) input.style.height = `${h}px`;
  }
  input.addEventListener('input', () => {
    saveDraft();
    autosize();
    mentions.update();
  });
  input.addEventListener('keydown', (e) => {
    if (mentions.handleKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && streaming) {
      e.preventDefault();
      send({ type: 'stop' });
    }
  });
  // Escape stops an answer from anywhere in the view, not only from the input.
  const onDocKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && streaming && e.target !== input) {
      e.preventDefault();
      send({ type: 'stop' });
    }
  };
  doc.addEventListener('keydown', onDocKey);

  picker.addEventListener('change', () => {
    selectedModel = picker.value || null;
    send({ type: 'selectModel', model: selectedModel });
  });

  function renderPicker(): void {
    picker.textContent = '';
    const auto = el('option', undefined, 'Auto');
    auto.value = '';
    picker.append(auto);
    const known = new Set<string>();
    for (const m of models) {
      known.add(m.id);
      const why = m.unavailableReason ?? 'unavailable';
      const o = el('option', undefined, m.available ? m.label : `${m.label} — ${why}`);
      o.value = m.id;
      o.disabled = !m.available;
      o.title = m.available ? m.id : `${m.id}: ${why}`;
      picker.append(o);
    }
    if (selectedModel && !known.has(selectedModel)) {
      const o = el('option', undefined, selectedModel);
      o.value = selectedModel;
      picker.append(o);
    }
    picker.value = selectedModel ?? '';
  }

  return {
    picker,
    element: footer,
    setModels(next, selected) {
      models = next;
      selectedModel = selected;
      renderPicker();
    },
    setModelListError(error) {
      picker.title = error ? `Could not list models: ${error}` : PICKER_TITLE;
    },
    setChips(chips, budget, notice) {
      renderChips(dom, chipRow, chips, budget, notice, send);
    },
    setStreaming(on) {
      streaming = on;
      stopBtn.hidden = !on;
      sendBtn.disabled = on;
    },
    focus: () => input.focus(),
    autosize,
    dispose() {
      doc.removeEventListener('keydown', onDocKey);
    },
  };
}
