/** The provider and model pickers, filled from `/providers` and `/models/<provider>` (model groups kept). */
import type { ChatClient } from '../chat/client';
import type { IModel, ModelEntry } from '../chat/types';
import { h, local, messageOf } from './dom';

const REMEMBERED = 'g4f:provider';

function option(label: string, value: string): HTMLOptionElement {
  const node = h('option', '', label);
  node.value = value;
  return node;
}

function modelId(model: IModel): string {
  return model.model || model.id || '';
}

export class Pickers {
  readonly provider = h('select', 'g4fc-provider');
  readonly model = h('select', 'g4fc-model');
  private models: IModel[] = [];

  constructor(
    private readonly client: ChatClient,
    private readonly report: (text: string) => void,
    private readonly changed: () => void
  ) {
    this.provider.setAttribute('aria-label', 'Provider');
    this.provider.title = 'Provider (Automatic: the server picks, offline with the embedded model)';
    this.model.setAttribute('aria-label', 'Model');
    this.model.title = 'Model';
    this.provider.append(option('Automatic', ''));
    this.model.append(option('Default model', ''));
    this.provider.addEventListener('change', () => {
      local.set(REMEMBERED, this.provider.value);
      void this.loadModels();
    });
    this.model.addEventListener('change', () => this.changed());
  }

  /** Fill the provider list (sorted by label), pick the remembered one, then its models. */
  async load(): Promise<void> {
    try {
      const providers = await this.client.providers();
      providers.sort((a, b) => (a.label || a.name).localeCompare(b.label || b.name));
      this.provider.append(...providers.map(p => option((p.label || p.name) + (p.auth ? ' (key)' : ''), p.name)));
      const remembered = local.get(REMEMBERED);
      if (remembered && providers.some(p => p.name === remembered)) {
        this.provider.value = remembered;
      }
    } catch (error) {
      this.report(`Could not load the providers: ${messageOf(error)}`);
    }
    await this.loadModels();
  }

  private async loadModels(): Promise<void> {
    const provider = this.provider.value;
    this.model.replaceChildren(option('Default model', ''));
    this.models = [];
    if (provider) {
      try {
        this.fill(await this.client.models(provider));
      } catch (error) {
        this.report(`Could not load the models of ${provider}: ${messageOf(error)}`);
      }
    }
    this.changed();
  }

  private fill(entries: ModelEntry[]): void {
    const add = (parent: HTMLElement, model: IModel): void => {
      const id = modelId(model);
      const node = option((model.label || id) + (model.task ? ` (${model.task})` : ''), id);
      node.selected = Boolean(model.default);
      parent.append(node);
      this.models.push(model);
    };
    for (const entry of entries) {
      if ('models' in entry && Array.isArray(entry.models)) {
        const group = h('optgroup');
        group.label = entry.group || '';
        entry.models.forEach(model => add(group, model));
        this.model.append(group);
      } else if (modelId(entry as IModel)) {
        add(this.model, entry as IModel);
      }
    }
  }

  /** Whether the picked model is known not to see images (unknown under automatic choice: false). */
  blind(): boolean {
    const id = this.model.value || modelId(this.models.find(m => m.default) ?? {});
    const entry = this.models.find(m => modelId(m) === id);
    return Boolean(entry) && !entry!.vision;
  }

  visionWarning(): string {
    return `${this.model.value || 'the default model'} of ${this.provider.value} cannot see images: pick a vision model, or the image is ignored.`;
  }
}
