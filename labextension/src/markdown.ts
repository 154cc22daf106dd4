/**
 * Answers are Markdown written by a model: parsed by marked and sanitized by DOMPurify
 * (both bundled at build time, so the panel renders offline and no script in an answer runs).
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** Render `text` into `host`; `decorate` gets each fenced code block's `<pre>` and source. */
export function renderMarkdown(
  host: HTMLElement,
  text: string,
  decorate: (pre: HTMLPreElement, code: string) => void
): void {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false });
  host.innerHTML = DOMPurify.sanitize(html);
  host.querySelectorAll('pre').forEach(pre => {
    decorate(pre, pre.querySelector('code')?.textContent ?? pre.textContent ?? '');
  });
}
