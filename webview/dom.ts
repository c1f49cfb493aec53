// Small DOM builders for the chat webview, bound to one document (the webview's, or a jsdom's in tests).

export interface Dom {
  doc: Document;
  el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K];
  button(label: string, cls: string, onClick: () => void, ariaLabel?: string): HTMLButtonElement;
}

export function createDom(doc: Document): Dom {
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const button = (label: string, cls: string, onClick: () => void, ariaLabel?: string): HTMLButtonElement => {
    const b = el('button', cls, label);
    b.type = 'button';
    if (ariaLabel) b.setAttribute('aria-label', ariaLabel);
    b.addEventListener('click', onClick);
    return b;
  };
  return { doc, el, button };
}
