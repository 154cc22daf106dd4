/** The list of saved chats (the server's conversation store): search, open, rename, delete. */
import type { ChatClient } from '../chat/client';
import type { IConversationSummary } from '../chat/types';
import { button, h, messageOf } from './dom';

const PAGE = 50;

export interface IListActions {
  open(id: string): void;
  renamed(id: string, title: string): void;
  deleted(id: string): Promise<void>;
}

export class ConversationList {
  readonly node = h('div', 'g4fc-list');
  private readonly search = h('input', 'g4fc-search');
  private readonly items = h('ul', 'g4fc-conversations');
  private readonly more = button('More', 'g4fc-more-chats', 'Show older chats', () => void this.load(true));
  private readonly status = h('p', 'g4fc-muted');
  private shown = 0;
  private active = '';
  private timer = 0;
  private loading = 0;

  constructor(
    private readonly client: ChatClient,
    private readonly actions: IListActions
  ) {
    this.search.type = 'search';
    this.search.placeholder = 'Search chats';
    this.search.setAttribute('aria-label', 'Search chats');
    this.search.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = window.setTimeout(() => void this.load(), 250);
    });
    this.node.append(this.search, this.items, this.more, this.status);
    this.more.hidden = true;
  }

  /** Reload the first page (after a save, a delete, or when shown), marking `active` as open. */
  refresh(active: string): Promise<void> {
    this.active = active;
    return this.load();
  }

  private async load(append = false): Promise<void> {
    const call = ++this.loading;
    const offset = append ? this.shown : 0;
    try {
      const page = await this.client.conversations(this.search.value.trim(), PAGE, offset);
      if (call !== this.loading) {
        return; // a newer search answered first
      }
      const rows = page.conversations.map(summary => this.row(summary));
      if (append) {
        this.items.append(...rows);
      } else {
        this.items.replaceChildren(...rows);
      }
      this.shown = offset + rows.length;
      this.more.hidden = this.shown >= page.total;
      this.status.textContent = page.total ? '' : this.search.value.trim() ? 'No chat matches.' : 'No saved chats yet.';
    } catch (error) {
      this.status.textContent = `Could not list the chats: ${messageOf(error)}`;
    }
  }

  private row(summary: IConversationSummary): HTMLElement {
    const row = h('li', summary.id === this.active ? 'g4fc-active' : '');
    row.dataset.id = summary.id;
    const title = h('a', 'g4fc-chat-title', summary.title || 'New chat');
    title.href = '#';
    title.title = summary.preview || summary.title;
    title.addEventListener('click', event => {
      event.preventDefault();
      this.actions.open(summary.id);
    });
    const rename = button('✎', 'g4fc-rename', 'Rename', () => this.rename(title, summary));
    const remove = button('×', 'g4fc-delete', 'Delete', () => {
      this.actions.deleted(summary.id).then(
        () => row.remove(),
        error => (this.status.textContent = `Could not delete: ${messageOf(error)}`)
      );
    });
    row.append(title, rename, remove);
    return row;
  }

  /** Edit the title in place: Enter saves, Escape keeps the old one. */
  private rename(title: HTMLAnchorElement, summary: IConversationSummary): void {
    const input = h('input', 'g4fc-rename-input');
    input.value = title.textContent ?? '';
    input.setAttribute('aria-label', 'New title');
    title.replaceWith(input);
    input.focus();
    input.select();
    let done = false;
    const finish = (save: boolean): void => {
      if (done) {
        return;
      }
      done = true;
      const text = input.value.trim();
      input.replaceWith(title);
      if (!save || !text || text === summary.title) {
        return;
      }
      this.client.rename(summary.id, text).then(
        () => {
          summary.title = text;
          title.textContent = text;
          this.actions.renamed(summary.id, text);
        },
        error => (this.status.textContent = `Could not rename: ${messageOf(error)}`)
      );
    };
    input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        event.preventDefault();
        finish(true);
      } else if (event.key === 'Escape') {
        finish(false);
      }
    });
    input.addEventListener('blur', () => finish(true));
  }
}
