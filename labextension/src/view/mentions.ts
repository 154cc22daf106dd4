/**
 * `@` in the question: a list of what the host offers (Lab: the kernel's variables and the
 * server's files) while the word after `@` is typed; ↑/↓ move, Enter or Tab picks, Esc closes.
 * A picked mention stays in the text as typed and adds its chip; a mention typed out by hand
 * gets its chip when the question is sent. A chip the user removed stays removed for that question.
 */
import { mentionAt, mentionsIn } from '../chat/context';
import type { ContextChips } from './chips';
import { h, messageOf } from './dom';
import type { IMention, IMentionSource } from './host';

const MAX_SHOWN = 30;

interface IOffer {
  mention: IMention;
  source: IMentionSource;
}

/** The chip key of `@text` (one per mentioned name, whichever source knows it). */
export function mentionKey(text: string): string {
  return `mention:${text}`;
}

export class Mentions {
  readonly node = h('ul', 'g4fc-mentions');
  private offers: IOffer[] = [];
  private selected = 0;
  private asked = 0;
  private readonly dismissed = new Set<string>();

  constructor(
    private readonly prompt: HTMLTextAreaElement,
    private readonly sources: () => IMentionSource[],
    private readonly chips: ContextChips,
    private readonly report: (text: string) => void
  ) {
    this.node.hidden = true;
    this.node.setAttribute('role', 'listbox');
    prompt.addEventListener('input', () => void this.update());
    prompt.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  get open(): boolean {
    return !this.node.hidden;
  }

  /** Keys while the list is open; true when the key was for the list. */
  handleKey(event: KeyboardEvent): boolean {
    if (!this.open || event.isComposing) {
      return false;
    }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.selected = (this.selected + step + this.offers.length) % this.offers.length;
      this.draw();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      void this.pick(this.offers[this.selected]);
    } else if (event.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  /** Before sending: chips for the mentions typed by hand (each source asked in turn). */
  async resolve(text: string): Promise<void> {
    const missing = mentionsIn(text).filter(name => !this.chips.has(mentionKey(name)) && !this.dismissed.has(name));
    await Promise.all(missing.map(name => this.chipFor(name, this.sources())));
  }

  /** A question went: removed mentions may be mentioned again. */
  sent(): void {
    this.dismissed.clear();
    this.close();
  }

  close(): void {
    this.node.hidden = true;
    this.offers = [];
  }

  private async update(): Promise<void> {
    const asked = ++this.asked; // an older list still on its way is not shown
    const at = mentionAt(this.prompt.value, this.prompt.selectionStart ?? this.prompt.value.length);
    const sources = this.sources();
    if (!at || !sources.length) {
      this.close();
      return;
    }
    const lists = await Promise.all(
      sources.map(source =>
        source.complete(at.query).then(
          mentions => mentions.map(mention => ({ mention, source })),
          () => [] as IOffer[]
        )
      )
    );
    if (asked !== this.asked) {
      return; // typed on since
    }
    this.offers = lists.flat().slice(0, MAX_SHOWN);
    this.selected = 0;
    this.draw();
  }

  private draw(): void {
    if (!this.offers.length) {
      this.close();
      return;
    }
    this.node.replaceChildren(
      ...this.offers.map((offer, index) => {
        const item = h('li', index === this.selected ? 'g4fc-mention g4fc-selected' : 'g4fc-mention');
        item.setAttribute('role', 'option');
        item.append(h('span', 'g4fc-mention-text', `@${offer.mention.text}`), h('span', 'g4fc-mention-detail', offer.mention.detail));
        // mousedown, not click: the prompt keeps its focus (and the list is not closed by its blur first)
        item.addEventListener('mousedown', event => {
          event.preventDefault();
          void this.pick(offer);
        });
        return item;
      })
    );
    this.node.hidden = false;
  }

  /** Put `@text` in place of the word being typed; a file or variable gets its chip, a folder completes on. */
  private async pick(offer: IOffer | undefined): Promise<void> {
    const cursor = this.prompt.selectionStart ?? this.prompt.value.length;
    const at = mentionAt(this.prompt.value, cursor);
    if (!offer || !at) {
      this.close();
      return;
    }
    const { text, partial } = offer.mention;
    const tail = partial ? '' : ' ';
    const value = this.prompt.value;
    this.prompt.value = `${value.slice(0, at.start)}@${text}${tail}${value.slice(cursor).replace(/^ /, '')}`;
    const end = at.start + 1 + text.length + tail.length;
    this.prompt.setSelectionRange(end, end);
    this.prompt.focus();
    if (partial) {
      await this.update();
      return;
    }
    this.close();
    this.dismissed.delete(text);
    await this.chipFor(text, [offer.source]);
  }

  /** The chip of `@name` from the first of `sources` that knows it. */
  private async chipFor(name: string, sources: IMentionSource[]): Promise<void> {
    for (const source of sources) {
      try {
        const chip = await source.chip(name);
        if (chip) {
          const removed = chip.removed;
          this.chips.set({
            ...chip,
            key: mentionKey(name),
            removed: () => {
              this.dismissed.add(name);
              removed?.();
            }
          });
          return;
        }
      } catch (error) {
        this.report(`@${name}: ${messageOf(error)}`);
        return;
      }
    }
  }
}
