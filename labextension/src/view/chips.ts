/**
 * The context chips of the composer: what goes along with the next question beside its text
 * (a cell, the selection, outputs, the notebook, a file, a kernel variable), each with about how
 * many tokens it carries and × to remove it. A chip whose item cannot be had (a busy kernel)
 * says why and is left out of the question.
 */
import { estimateTokens, MAX_CONTEXT_ITEMS, type IContextItem } from '../chat/context';
import { button, h, messageOf } from './dom';
import type { IContextChip } from './host';

interface IShown {
  chip: IContextChip;
  node: HTMLElement;
  /** Bumped by each evaluation, so a slow older one does not overwrite a newer one. */
  round: number;
}

/** What the chips stand for when a question is sent. */
export interface ICollected {
  items: IContextItem[];
  /** "label: why" of each chip left out. */
  failed: string[];
}

const KIND_NAMES: Record<string, string> = {
  cell: 'cell',
  selection: 'cells',
  output: 'output',
  notebook: 'notebook',
  file: 'file',
  variable: 'variable'
};

export class ContextChips {
  readonly node = h('div', 'g4fc-context');
  private readonly shown = new Map<string, IShown>();

  constructor() {
    this.node.setAttribute('aria-label', 'Context sent with the question');
    this.node.hidden = true;
  }

  get keys(): string[] {
    return [...this.shown.keys()];
  }

  /** Show `chip` (replacing one with the same key, in its place) and work out its estimate. */
  set(chip: IContextChip): void {
    const old = this.shown.get(chip.key);
    const node = h('span', `g4fc-chip g4fc-ctx g4fc-ctx-${chip.kind}`);
    node.dataset.key = chip.key;
    const entry: IShown = { chip, node, round: (old?.round ?? 0) + 1 };
    if (old) {
      old.node.replaceWith(node);
    } else {
      this.node.append(node);
    }
    this.shown.set(chip.key, entry);
    this.draw(entry, 'g4fc-ctx-loading', '…');
    this.node.hidden = false;
    void this.evaluate(entry);
  }

  /** Take a chip away (only if it is still `chip`, when given; no `removed` call: that is for the user's ×). */
  remove(key: string, chip?: IContextChip): void {
    if (chip && this.shown.get(key)?.chip !== chip) {
      return;
    }
    this.shown.get(key)?.node.remove();
    this.shown.delete(key);
    this.node.hidden = !this.shown.size;
  }

  has(key: string): boolean {
    return this.shown.has(key);
  }

  /** The items of every chip, read now (in parallel); chips that fail are named, not sent. */
  async collect(): Promise<ICollected> {
    const entries = [...this.shown.values()];
    const results = await Promise.allSettled(entries.map(entry => this.evaluate(entry)));
    const collected: ICollected = { items: [], failed: [] };
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        collected.items.push(result.value);
      } else {
        collected.failed.push(`${entries[index].chip.label}: ${messageOf(result.reason)}`);
      }
    });
    if (collected.items.length > MAX_CONTEXT_ITEMS) {
      collected.failed.push(`${collected.items.length - MAX_CONTEXT_ITEMS} more than ${MAX_CONTEXT_ITEMS} items`);
      collected.items.length = MAX_CONTEXT_ITEMS;
    }
    return collected;
  }

  /** A question went: the chips that are not sticky went with it. */
  sent(): void {
    for (const [key, entry] of this.shown) {
      if (!entry.chip.sticky) {
        this.remove(key);
      }
    }
  }

  private async evaluate(entry: IShown): Promise<IContextItem> {
    const round = entry.round;
    const current = (): boolean => this.shown.get(entry.chip.key) === entry && entry.round === round;
    try {
      const item = await entry.chip.item();
      if (current()) {
        const tokens = estimateTokens(item);
        this.draw(entry, '', `~${tokens.toLocaleString('en-US')} tokens`);
      }
      return item;
    } catch (error) {
      if (current()) {
        this.draw(entry, 'g4fc-ctx-failed', messageOf(error));
      }
      throw error;
    }
  }

  private draw(entry: IShown, state: string, note: string): void {
    const { chip, node } = entry;
    node.classList.remove('g4fc-ctx-loading', 'g4fc-ctx-failed');
    if (state) {
      node.classList.add(state);
    }
    node.title = chip.title ?? `${KIND_NAMES[chip.kind] ?? chip.kind} ${chip.label}`;
    const remove = button('×', 'g4fc-ctx-remove', `Do not send ${chip.label}`, () => {
      this.remove(chip.key);
      chip.removed?.();
    });
    remove.setAttribute('aria-label', `Remove ${chip.label}`);
    node.replaceChildren(
      h('span', 'g4fc-ctx-kind', KIND_NAMES[chip.kind] ?? chip.kind),
      h('span', 'g4fc-ctx-label', chip.label),
      h('span', 'g4fc-ctx-note', note),
      remove
    );
  }
}
