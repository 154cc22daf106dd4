/**
 * The right-sidebar panel: the one chat view, on Lab's server connection. The open chat is
 * remembered in Lab's state database (this workspace's) and in this browser, so reloading
 * JupyterLab reopens it.
 */
import type { IStateDB } from '@jupyterlab/statedb';
import { Widget } from '@lumino/widgets';

import { ChatClient } from '../chat/client';
import { ChatView } from '../view/chatview';
import { h, local, messageOf } from '../view/dom';
import type { CodeTargetResolver, ICodeAction, IMentionSource, IRemembered } from '../view/host';
import type { IChatPanel } from './tokens';
import { labTransport } from './transport';

const STATE_KEY = 'g4f-jupyter:chat';
const LOCAL_KEY = 'g4f:lab-current';

export interface IPanelOptions {
  state: IStateDB | null;
  /** Resolves once Lab has restored its workspace (and with it the state database). */
  restored: Promise<void>;
  /** Open a file of the file browser (an export). */
  openFile(path: string): void;
}

/**
 * The open chat's id: read once at start from the workspace's state, else from this browser
 * (the workspace is saved a moment after a change; the browser's copy is written at once).
 */
async function rememberedPlace(state: IStateDB | null, restored: Promise<void>): Promise<IRemembered> {
  let id: string | null = null;
  try {
    await restored;
    const saved = (await state?.fetch(STATE_KEY)) as { id?: unknown } | undefined;
    id = typeof saved?.id === 'string' ? saved.id : null;
  } catch {
    // nothing remembered in the workspace
  }
  id ??= local.get(LOCAL_KEY);
  return {
    recall: () => id,
    remember(next) {
      if (next !== id) {
        id = next;
        void state?.save(STATE_KEY, { id: next });
        if (next) {
          local.set(LOCAL_KEY, next);
        } else {
          local.remove(LOCAL_KEY);
        }
      }
    }
  };
}

export class ChatPanel extends Widget {
  readonly codeActions: ICodeAction[] = [];
  readonly mentions: IMentionSource[] = [];
  readonly codeTargets: CodeTargetResolver[] = [];
  /** The view, once the server has said how to link to it. */
  readonly ready: Promise<ChatView>;

  constructor(options: IPanelOptions) {
    super();
    this.addClass('g4f-lab-panel');
    const loading = h('div', 'g4fc-notice-line g4fc-info', 'Loading the chat…');
    this.node.append(loading);
    this.ready = this.mount(options).catch(error => {
      loading.textContent = `The chat could not start: ${messageOf(error)}`;
      loading.className = 'g4fc-notice-line g4fc-error';
      throw error;
    });
  }

  focusPrompt(): void {
    void this.ready.then(view => view.focusPrompt());
  }

  private async mount(options: IPanelOptions): Promise<ChatView> {
    const client = new ChatClient(labTransport());
    const [config, place] = await Promise.all([client.config(), rememberedPlace(options.state, options.restored)]);
    const view = new ChatView({
      client,
      config,
      place,
      codeActions: this.codeActions,
      mentions: this.mentions,
      codeTargets: this.codeTargets,
      webChatUrl: id => new URL(client.url(`g4f/?id=${encodeURIComponent(id)}`), location.href).href,
      openFile: options.openFile
    });
    this.node.replaceChildren(view.node);
    await view.start();
    return view;
  }
}

/** Add `entry` to `list`; the function that takes it out again. */
function added<T>(list: T[], entry: T): () => void {
  list.push(entry);
  return () => {
    const index = list.indexOf(entry);
    if (index >= 0) {
      list.splice(index, 1);
    }
  };
}

/** The panel as other plug-ins see it (`open` shows it in the sidebar). */
export function panelService(panel: ChatPanel, open: () => void): IChatPanel {
  return {
    addCodeAction: action => added(panel.codeActions, action),
    addContext: chip => {
      void panel.ready.then(view => view.chips.set(chip));
      return () => void panel.ready.then(view => view.chips.remove(chip.key, chip));
    },
    addMentions: source => added(panel.mentions, source),
    addCodeTarget: resolve => added(panel.codeTargets, resolve),
    ask: async (text, options) => {
      open();
      await (await panel.ready).ask(text, options);
    },
    context: async () => (await panel.ready).context()
  };
}
