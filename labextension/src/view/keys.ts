/**
 * Keys: one row per provider that takes an API key. A key is written to the server (stored
 * 0600 in the data directory, used by the server and by kernels) and never shown back.
 */
import type { ChatClient } from '../chat/client';
import type { IKeyInfo } from '../chat/types';
import { button, h, messageOf } from './dom';

export class KeysPanel {
  readonly panel = h('section', 'g4fc-panel g4fc-keys-panel');
  private readonly list = h('div', 'g4fc-keys-list');

  constructor(private readonly client: ChatClient) {
    const head = h('div', 'g4fc-panel-head');
    head.append(
      h('strong', '', 'API keys'),
      h('span', 'g4fc-muted', 'Stored in the data directory (readable by you only), used by this server and by your kernels.'),
      button('×', 'g4fc-close', 'Close', () => (this.panel.hidden = true))
    );
    this.panel.append(head, this.list);
    this.panel.hidden = true;
  }

  toggle(): void {
    if (this.panel.hidden) {
      void this.show();
    } else {
      this.panel.hidden = true;
    }
  }

  async show(): Promise<void> {
    this.panel.hidden = false;
    let providers: IKeyInfo[];
    try {
      providers = await this.client.keys();
    } catch (error) {
      this.list.replaceChildren(h('p', 'g4fc-error', `Could not load the key settings: ${messageOf(error)}`));
      return;
    }
    this.list.replaceChildren(
      ...(providers.length ? providers.map(p => this.row(p)) : [h('p', '', 'No provider here takes an API key.')])
    );
  }

  private row(provider: IKeyInfo): HTMLElement {
    const row = h('form', 'g4fc-key-row');
    row.dataset.provider = provider.name;
    const label = h('label', '', provider.label);
    const input = h('input');
    input.type = 'password';
    input.autocomplete = 'off';
    input.placeholder = provider.stored ? 'stored (a new key replaces it)' : 'API key';
    input.setAttribute('aria-label', `API key for ${provider.label}`);
    label.append(input);
    const save = h('button', 'g4fc-key-save', 'Save');
    save.type = 'submit';
    const state = h('span', 'g4fc-key-state', provider.stored ? 'stored' : provider.needs_auth ? 'needed' : 'optional');
    const failed = (error: unknown): void => {
      state.textContent = messageOf(error);
      state.classList.add('g4fc-error');
    };
    const remove = button('Remove', 'g4fc-key-remove', 'Forget the stored key', () => {
      this.client.removeKey(provider.name).then(() => this.show(), failed);
    });
    remove.disabled = !provider.stored;
    row.append(label, save, remove, state);
    if (provider.variable_set && provider.variable) {
      row.append(h('span', 'g4fc-key-note', `${provider.variable} is set and wins over a stored key`));
    }
    row.addEventListener('submit', event => {
      event.preventDefault();
      const key = input.value.trim();
      if (key) {
        this.client.saveKey(provider.name, key).then(() => this.show(), failed);
      }
    });
    return row;
  }
}
