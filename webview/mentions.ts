// The @ menu of the chat input: typing "@" (at the start or after a space) lists the kinds of context
// a message can carry, filtered by what follows; Enter, Tab or a click picks one, which takes the
// "@word" out of the text and asks the extension for the chip. "@best" and "@local" (routing hints)
// match no kind, so they stay text.
import type { MentionKind } from '../shared/webview-protocol';
import type { Dom } from './dom';

export const MENTIONS: readonly { kind: MentionKind; hint: string }[] = [
  { kind: 'file', hint: 'a file of the workspace' },
  { kind: 'selection', hint: 'the code selected in the editor' },
  { kind: 'open', hint: 'the open editors' },
  { kind: 'problems', hint: 'errors and warnings of the file or workspace' },
  { kind: 'terminal', hint: 'the last command and its output' },
  { kind: 'symbol', hint: 'a function, class or variable' },
  { kind: 'codebase', hint: 'search this workspace' },
];

/** The "@word" being typed before the caret, if any. */
export function mentionAt(text: string, caret: number): { start: number; word: string } | undefined {
  const m = /(^|\s)@(\w*)$/.exec(text.slice(0, caret));
  return m ? { start: m.index + m[1]!.length, word: m[2]! } : undefined;
}

export function matchingMentions(word: string): typeof MENTIONS {
  const w = word.toLowerCase();
  return MENTIONS.filter((m) => m.kind.startsWith(w));
}

export interface MentionMenu {
  element: HTMLElement;
  /** Call on every input event: opens, filters or closes the menu. */
  update(): void;
  /** Call first on keydown in the input: true when the menu used the key. */
  handleKey(e: KeyboardEvent): boolean;
  /** Types "@" at the caret and opens the menu (the composer's @ button). */
  open(): void;
}

export function createMentionMenu(
  dom: Dom,
  input: HTMLTextAreaElement,
  onPick: (kind: MentionKind, textWithout: string) => void,
): MentionMenu {
  const { el } = dom;
  const menu = el('div', 'gb-mentions');
  menu.setAttribute('role', 'listbox');
  menu.setAttribute('aria-label', 'Add context');
  menu.hidden = true;
  let options: typeof MENTIONS = [];
  let active = 0;
  let at: { start: number; word: string } | undefined;

  function render(): void {
    menu.textContent = '';
    options.forEach((m, i) => {
      const o = el('div', `gb-mention${i === active ? ' gb-active' : ''}`);
      o.setAttribute('role', 'option');
      o.setAttribute('aria-selected', String(i === active));
      o.append(el('span', 'gb-mention-kind', `@${m.kind}`), el('span', 'gb-mention-hint', m.hint));
      // mousedown, not click: the input keeps its focus and caret.
      o.addEventListener('mousedown', (e) => {
        e.preventDefault();
        pick(i);
      });
      menu.append(o);
    });
  }

  function close(): void {
    menu.hidden = true;
    options = [];
    at = undefined;
  }

  function update(): void {
    at = mentionAt(input.value, input.selectionStart ?? input.value.length);
    options = at ? matchingMentions(at.word) : [];
    if (!options.length) return close();
    active = Math.min(active, options.length - 1);
    menu.hidden = false;
    render();
  }

  function pick(i: number): void {
    const m = options[i];
    if (!m || !at) return;
    const caret = input.selectionStart ?? input.value.length;
    const text = input.value.slice(0, at.start) + input.value.slice(caret).replace(/^ /, '');
    input.value = text;
    input.setSelectionRange(at.start, at.start);
    close();
    onPick(m.kind, text);
  }

  function handleKey(e: KeyboardEvent): boolean {
    if (menu.hidden || !options.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      active = (active + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
      render();
    } else if (e.key === 'Enter' || e.key === 'Tab') pick(active);
    else if (e.key === 'Escape') close();
    else return false;
    e.preventDefault();
    return true;
  }

  function open(): void {
    const caret = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, caret);
    const space = before === '' || /\s$/.test(before) ? '' : ' ';
    input.value = `${before}${space}@${input.value.slice(caret)}`;
    const next = caret + space.length + 1;
    input.focus();
    input.setSelectionRange(next, next);
    active = 0;
    update();
  }

  return { element: menu, update, handleKey, open };
}
