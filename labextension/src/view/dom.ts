/** Small DOM helpers of the chat view. */

/** An element with a class and (set as text, never as HTML) its text. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A `type="button"` button (never a form's submit). */
export function button(label: string, className: string, title: string, onClick: () => void): HTMLButtonElement {
  const node = h('button', className, label);
  node.type = 'button';
  node.title = title;
  node.addEventListener('click', onClick);
  return node;
}

/** A link that opens in a new tab without giving it the opener. */
export function link(text: string, href: string, className = ''): HTMLAnchorElement {
  const node = h('a', className, text);
  node.href = href;
  node.target = '_blank';
  node.rel = 'noopener';
  return node;
}

/** Copy `text` to the clipboard (the Clipboard API where the page is a secure context). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = h('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) {
    throw new Error('the browser refused to copy');
  }
}

/** What an Error (or anything thrown) says. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A value kept in this browser's localStorage (shared by the page and the Lab panel of one server). */
export const local = {
  get(key: string): string | null {
    try {
      return localStorage.getItem(key);
    } catch {
      return null; // storage disabled: nothing remembered
    }
  },
  set(key: string, value: string): void {
    try {
      localStorage.setItem(key, value);
    } catch {
      // storage full or disabled: the value lives as long as the page
    }
  },
  remove(key: string): void {
    try {
      localStorage.removeItem(key);
    } catch {
      // storage disabled: nothing to remove
    }
  }
};
