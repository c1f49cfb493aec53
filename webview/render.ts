// Markdown → sanitised HTML for chat answers. Pure: works with any DOMPurify instance (the browser's,
// or one over a jsdom window in tests).
//
// Two layers keep model output from injecting markup: raw HTML in the markdown is escaped (shown as
// text, never parsed), and the whole result then goes through DOMPurify with a short allow-list.
import type { Config, DOMPurify } from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked, type Tokens } from 'marked';

const LANGUAGES = {
  bash,
  c,
  cpp,
  csharp,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, lang] of Object.entries(LANGUAGES)) {
  if (!hljs.getLanguage(name)) hljs.registerLanguage(name, lang);
}
// Common fence names highlight.js does not alias itself.
const EXTRA_ALIASES: Record<string, string> = {
  shell: 'bash',
  console: 'bash',
  jsonc: 'json',
  vue: 'xml',
  svelte: 'xml',
};
for (const [alias, languageName] of Object.entries(EXTRA_ALIASES)) {
  if (!hljs.getLanguage(alias)) hljs.registerAliases(alias, { languageName });
}

/** Code longer than this is shown without highlighting (keeps streaming re-renders cheap). */
const MAX_HIGHLIGHT_CHARS = 100_000;

export const ALLOWED_TAGS = [
  'a',
  'blockquote',
  'br',
  'code',
  'del',
  'div',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'kbd',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'span',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];
export const ALLOWED_ATTR = ['href', 'title', 'class', 'start', 'align'];

const PURIFY_CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  KEEP_CONTENT: true,
};

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The language of a fence info string ("ts title=x" → "ts"), if highlight.js knows it. */
export function fenceLanguage(info: string | undefined): string | undefined {
  const name = (info ?? '')
    .trim()
    .split(/\s+/)[0]
    ?.toLowerCase()
    .replace(/^\{?\.?/, '')
    .replace(/\}$/, '');
  return name && hljs.getLanguage(name) ? name : undefined;
}

export function highlightCode(code: string, info?: string): { html: string; language: string | undefined } {
  const language = fenceLanguage(info);
  if (language && code.length <= MAX_HIGHLIGHT_CHARS) {
    try {
      return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language };
    } catch {
      /* fall through to plain */
    }
  }
  return { html: escapeHtml(code), language };
}

function createMarked(): Marked {
  return new Marked({
    gfm: true,
    breaks: false,
    async: false,
    renderer: {
      // Raw HTML from the model is shown as text.
      html({ text }: Tokens.HTML | Tokens.Tag): string {
        return escapeHtml(text);
      },
      code({ text, lang }: Tokens.Code): string {
        const info = (lang ?? '').trim().split(/\s+/)[0] ?? '';
        const { html, language } = highlightCode(text.replace(/\n$/, ''), info);
        const cls = language ? `hljs language-${escapeHtml(language)}` : 'hljs';
        return `<pre class="gb-code"><code class="${cls}">${html}</code></pre>\n`;
      },
      // Images would load from anywhere (and the CSP blocks them): show them as links.
      image({ href, text }: Tokens.Image): string {
        const alt = escapeHtml(text || href);
        return /^https?:/i.test(href) ? `<a href="${escapeHtml(href)}">${alt}</a>` : alt;
      },
      checkbox({ checked }: Tokens.Checkbox): string {
        return checked ? '☑ ' : '☐ ';
      },
    },
  });
}

export interface MarkdownRenderer {
  /** Markdown → sanitised HTML string. */
  render(markdown: string): string;
}

export function createMarkdownRenderer(purify: DOMPurify): MarkdownRenderer {
  const marked = createMarked();
  return {
    render(md: string): string {
      let html: string;
      try {
        html = marked.parse(md) as string;
      } catch {
        html = `<pre>${escapeHtml(md)}</pre>`;
      }
      return purify.sanitize(html, { ...PURIFY_CONFIG, RETURN_TRUSTED_TYPE: false }) as unknown as string;
    },
  };
}
