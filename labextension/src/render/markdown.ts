/**
 * The one Markdown renderer of the chat (panel, web page, shared view): marked parses (its code
 * fences are the only fence parser on the browser side), highlight.js colours code, KaTeX
 * typesets `$…$`, `$$…$$`, `\(…\)` and `\[…\]`, and DOMPurify sanitizes the result before it
 * touches the DOM, so no script, handler or `javascript:` link from an answer ever runs.
 * All four are bundled from npm: nothing is fetched from the network.
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import katex from 'katex';
import { Marked, type TokenizerAndRendererExtension } from 'marked';

function typeset(tex: string, displayMode: boolean): string {
  return katex.renderToString(tex, { displayMode, throwOnError: false, output: 'htmlAndMathml' });
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);

// Math is tokenized before marked sees emphasis or escapes inside it.
const blockMath: TokenizerAndRendererExtension = {
  name: 'blockMath',
  level: 'block',
  start: src => src.match(/\$\$|\\\[/)?.index,
  tokenizer(src) {
    const match = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src);
    return match ? { type: 'blockMath', raw: match[0], text: (match[1] ?? match[2]).trim() } : undefined;
  },
  renderer: token => `<div class="g4fc-math-display">${typeset(String(token.text), true)}</div>`
};

const inlineMath: TokenizerAndRendererExtension = {
  name: 'inlineMath',
  level: 'inline',
  start: src => src.match(/\$|\\\(/)?.index,
  tokenizer(src) {
    // $x$ needs no space inside its delimiters and no digit after it, so "$5 and $6" stays text.
    const match = /^(?:\$\$([^$]+?)\$\$|\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)|\\\(([\s\S]+?)\\\))/.exec(src);
    if (!match) {
      return undefined;
    }
    return { type: 'inlineMath', raw: match[0], text: match[1] ?? match[2] ?? match[3], display: match[1] !== undefined };
  },
  renderer: token => typeset(String(token.text), Boolean(token.display))
};

function highlighted(code: string, lang: string | undefined): { html: string; language: string } {
  const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
  if (language && hljs.getLanguage(language)) {
    return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language };
  }
  return { html: escapeHtml(code), language };
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  extensions: [blockMath, inlineMath],
  renderer: {
    code({ text, lang }) {
      const { html, language } = highlighted(text, lang);
      const cls = language ? ` language-${language.replace(/[^\w+#.-]/g, '')}` : '';
      return `<pre><code class="hljs${cls}">${html}</code></pre>\n`;
    }
  }
});

// Our own DOMPurify instance: its hook never touches another library's sanitizer on the same page.
const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', node => {
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank'); // links from model output open in a new tab, without the opener
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** Sanitized HTML for Markdown `text`. */
export function markdownHtml(text: string): string {
  const html = marked.parse(text, { async: false });
  return purify.sanitize(html, { FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'] });
}

/** Render Markdown `text` into `host`; tables scroll inside a box of their own. */
export function renderMarkdown(host: HTMLElement, text: string): void {
  host.innerHTML = markdownHtml(text);
  for (const table of host.querySelectorAll('table')) {
    const box = document.createElement('div');
    box.className = 'g4fc-table-box';
    table.replaceWith(box);
    box.append(table);
  }
}
