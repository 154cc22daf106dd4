// The one markdown renderer of the g4f pages (the chat page and the shared-chat view).
// marked parses (code fences included: this is the only fence parser on the page side),
// highlight.js colours code, KaTeX typesets $…$, $$…$$, \(…\) and \[…\], and DOMPurify
// sanitizes the result before it touches the DOM. All four are vendored in static/vendor/.
"use strict";

(() => {
  const { marked, DOMPurify, hljs, katex } = window;

  const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function typeset(tex, displayMode) {
    return katex.renderToString(tex, { displayMode, throwOnError: false, output: "htmlAndMathml" });
  }

  // Math is tokenized before marked sees emphasis or escapes inside it.
  const blockMath = {
    name: "blockMath",
    level: "block",
    start: (src) => src.match(/\$\$|\\\[/)?.index,
    tokenizer(src) {
      const match = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src);
      if (match) return { type: "blockMath", raw: match[0], text: (match[1] ?? match[2]).trim() };
      return undefined;
    },
    renderer: (token) => `<div class="math-display">${typeset(token.text, true)}</div>`,
  };
  const inlineMath = {
    name: "inlineMath",
    level: "inline",
    start: (src) => src.match(/\$|\\\(/)?.index,
    tokenizer(src) {
      // $x$ needs no space inside its delimiters and no digit after it, so "$5 and $6" stays text.
      const match = /^(?:\$\$([^$]+?)\$\$|\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)|\\\(([\s\S]+?)\\\))/.exec(src);
      if (!match) return undefined;
      const display = match[1] !== undefined;
      return { type: "inlineMath", raw: match[0], text: match[1] ?? match[2] ?? match[3], display };
    },
    renderer: (token) => typeset(token.text, token.display),
  };

  function highlighted(text, lang) {
    const language = (lang || "").trim().split(/\s+/)[0].toLowerCase();
    if (language && hljs.getLanguage(language)) {
      return { html: hljs.highlight(text, { language, ignoreIllegals: true }).value, language };
    }
    return { html: escapeHtml(text), language };
  }

  marked.use({
    gfm: true,
    breaks: true,
    extensions: [blockMath, inlineMath],
    renderer: {
      code({ text, lang }) {
        const { html, language } = highlighted(text, lang);
        const cls = language ? ` language-${language.replace(/[^\w+#.-]/g, "")}` : "";
        return `<pre><code class="hljs${cls}">${html}</code></pre>\n`;
      },
    },
  });

  // Links from model output open in a new tab and never get the opener.
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.getAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });

  /** Sanitized HTML for markdown ``text``. */
  function markdownHtml(text) {
    return DOMPurify.sanitize(marked.parse(text || ""), { FORBID_TAGS: ["style", "form", "input", "button"] });
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    return undefined;
  }

  /** A "Copy" button on every code block of ``element``; tables scroll inside their own box. */
  function decorate(element) {
    for (const pre of element.querySelectorAll("pre")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.addEventListener("click", () => {
        copyText(pre.querySelector("code")?.textContent ?? pre.textContent).then(
          () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = "Copy"; }, 1500); },
          () => { button.textContent = "Copy failed"; },
        );
      });
      pre.prepend(button);
    }
    for (const table of element.querySelectorAll("table")) {
      const box = document.createElement("div");
      box.className = "table-box";
      table.replaceWith(box);
      box.append(table);
    }
  }

  /** Render markdown ``text`` into ``element``. */
  function renderMarkdown(element, text) {
    element.innerHTML = markdownHtml(text);
    decorate(element);
  }

  window.g4fMarkdown = { html: markdownHtml, render: renderMarkdown, copyText };

  // Server-rendered pages (the shared-chat view) mark their message texts for rendering.
  const renderMarked = () => {
    for (const element of document.querySelectorAll("[data-markdown]")) {
      renderMarkdown(element, element.textContent);
      element.removeAttribute("data-markdown");
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderMarked);
  else renderMarked();
})();
