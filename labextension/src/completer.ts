/**
 * Inline code completion in notebooks, consoles and files: the provider "g4f" of JupyterLab's inline
 * completer. When a code cell gets the focus the server reads its context ahead (the embedded model then
 * reads only what is typed). Each keystroke stops the request of the one before (the server stops its
 * model) and, after a short pause in typing, asks `POST backend-api/v2/complete` for the code at the cursor,
 * with the cell above as context and the kernel's language; the ghost text grows as the answer
 * streams in. Tab accepts it and Esc dismisses it (Lab's own keys). The provider and model are Lab
 * settings (Settings › Inline Completer › g4f); left empty, the server's `completion_provider`
 * answers, by default the embedded model, offline.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  CompletionHandler,
  ICompletionProviderManager,
  IInlineCompletionContext,
  IInlineCompletionItem,
  IInlineCompletionList,
  IInlineCompletionProvider,
  InlineCompletionTriggerKind
} from '@jupyterlab/completer';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Widget } from '@lumino/widgets';

import type { ITransport } from './chat/client';
import { readEvents } from './chat/stream';
import { chatIcon } from './lab/icon';
import { labTransport } from './lab/transport';

/** Milliseconds without a keystroke before a suggestion is asked for (Lab's own debouncer stays at 0). */
const DEFAULT_DELAY = 150;

interface ISettings {
  enabled: boolean;
  provider: string;
  model: string;
  delay: number;
}

/** A suggestion being streamed: the text so far, and the rest of the server's events. */
interface IRunning {
  text: string;
  events: AsyncGenerator<{ type: string; [key: string]: unknown }>;
  done: () => void;
}

/** The languages of the editors' MIME types, for a file or a console without a kernel to ask. */
const MIME_LANGUAGES: Record<string, string> = {
  'text/x-ipython': 'python',
  'text/x-python': 'python',
  'text/x-rsrc': 'r',
  'text/x-julia': 'julia',
  'text/javascript': 'javascript',
  'text/typescript': 'typescript',
  'text/x-sh': 'bash'
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** How many suggestions are being asked for or streamed; the status bar shows it. */
class Activity {
  private count = 0;
  private listeners: Array<(count: number) => void> = [];

  onChange(listener: (count: number) => void): void {
    this.listeners.push(listener);
  }

  /** One more request under way; the function returned ends it (once, however often it is called). */
  start(): () => void {
    this.change(1);
    let ended = false;
    return () => {
      if (!ended) {
        ended = true;
        this.change(-1);
      }
    };
  }

  private change(by: number): void {
    this.count += by;
    for (const listener of this.listeners) {
      listener(this.count);
    }
  }
}

export class G4FInlineProvider implements IInlineCompletionProvider {
  readonly identifier = 'g4f';
  readonly name = 'g4f';
  readonly icon = chatIcon.bindprops({ width: 16 });
  readonly schema: ISettingRegistry.IProperty = {
    title: 'g4f',
    type: 'object',
    properties: {
      provider: {
        title: 'Provider',
        description: "Who completes code (a provider of the g4f catalog); empty: the server's completion_provider, by default the embedded model.",
        type: 'string'
      },
      model: {
        title: 'Model',
        description: "The provider's model; empty: its default.",
        type: 'string'
      },
      delay: {
        title: 'Pause before asking (ms)',
        description: 'How long typing must pause before a suggestion is asked for; each keystroke stops the request before it.',
        type: 'number',
        minimum: 0
      }
    },
    default: { provider: '', model: '', delay: DEFAULT_DELAY, debouncerDelay: 0, timeout: 15000 }
  };
  readonly activity = new Activity();

  private settings: ISettings = { enabled: true, provider: '', model: '', delay: DEFAULT_DELAY };
  private current: AbortController | null = null;
  private running = new Map<string, IRunning>();
  private serial = 0;
  private languages = new WeakMap<object, Promise<string>>();

  constructor(private readonly transport: ITransport) {}

  configure(settings: { [property: string]: unknown }): void {
    this.settings = {
      enabled: settings.enabled !== false,
      provider: typeof settings.provider === 'string' ? settings.provider : '',
      model: typeof settings.model === 'string' ? settings.model : '',
      delay: typeof settings.delay === 'number' ? settings.delay : DEFAULT_DELAY
    };
  }

  async fetch(request: CompletionHandler.IRequest, context: IInlineCompletionContext): Promise<IInlineCompletionList> {
    this.current?.abort(); // the keystroke that brought us here makes the running request useless
    const controller = new AbortController();
    this.current = controller;
    if (context.triggerKind === InlineCompletionTriggerKind.Automatic) {
      await sleep(this.settings.delay, controller.signal);
    }
    if (controller.signal.aborted) {
      return { items: [] };
    }
    const done = this.activity.start();
    controller.signal.addEventListener('abort', done);
    try {
      const body = await this.body(request, context);
      const response = await this.transport.fetch(this.url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(body),
        signal: controller.signal
      });
      if (!response.ok || !response.body) {
        done();
        return { items: [this.failed(context, await response.text())] };
      }
      const events = readEvents(response.body);
      let text = '';
      for (;;) {
        const next = await events.next();
        if (next.done) {
          done();
          return { items: text ? [{ insertText: text }] : [] };
        }
        const event = next.value;
        if (event.type === 'content' && typeof event.content === 'string') {
          text += event.content;
          if (text) {
            const token = `g4f-${++this.serial}`;
            this.running.set(token, { text, events, done });
            return { items: [{ insertText: text, isIncomplete: true, token }] };
          }
        } else if (event.type === 'error' || event.type === 'auth') {
          done();
          return { items: [this.failed(context, String(event.message ?? event.error ?? 'the completion failed'))] };
        }
      }
    } catch (error) {
      done();
      if (controller.signal.aborted) {
        return { items: [] };
      }
      return { items: [this.failed(context, error instanceof Error ? error.message : String(error))] };
    }
  }

  /**
   * Have the server read the active cell's context as the cell gets the focus (`action: "prepare"`), so the
   * embedded model's first suggestion there reads only what is typed; stopped by the next keystroke.
   */
  prepare(panel: NotebookPanel): void {
    const cell = panel.content.activeCell;
    this.current?.abort();
    if (!this.settings.enabled || !cell || cell.model.type !== 'code') {
      return;
    }
    const controller = new AbortController();
    this.current = controller;
    const source = cell.model.sharedModel.getSource();
    const request = { text: source, offset: source.length, mimeType: cell.model.mimeType };
    const context = {
      widget: panel,
      triggerKind: InlineCompletionTriggerKind.Automatic,
      session: panel.sessionContext.session
    };
    void sleep(2 * this.settings.delay, controller.signal)
      .then(async () => {
        if (!controller.signal.aborted) {
          const body = { ...(await this.body(request, context)), action: 'prepare' };
          await this.transport.fetch(this.url(), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
            signal: controller.signal
          });
        }
      })
      .catch(() => undefined); // reading ahead is a help, never an error to show
  }

  /** The rest of a suggestion, as it streams in (Lab shows each update as the ghost text). */
  async *stream(token: string): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const running = this.running.get(token);
    this.running.delete(token);
    if (!running) {
      return;
    }
    let { text } = running;
    try {
      for await (const event of running.events) {
        if (event.type === 'content' && typeof event.content === 'string') {
          text += event.content;
          yield { response: { insertText: text, isIncomplete: true } };
        }
      }
    } catch {
      // stopped by the next keystroke: the suggestion stays as far as it came
    } finally {
      running.done();
    }
    yield { response: { insertText: text, isIncomplete: false } };
  }

  private url(): string {
    return `${this.transport.baseUrl}backend-api/v2/complete`;
  }

  /** An error shown in the ghost text when asked for explicitly (Alt+\), and only logged while typing. */
  private failed(context: IInlineCompletionContext, message: string): IInlineCompletionItem {
    let text = message;
    try {
      const data = JSON.parse(message) as { error?: { message?: string } };
      text = data.error?.message ?? message;
    } catch {
      // not JSON: the text itself
    }
    if (context.triggerKind === InlineCompletionTriggerKind.Automatic) {
      console.warn(`g4f completion: ${text}`);
      return { insertText: '' };
    }
    return { insertText: '', error: { message: text } };
  }

  private async body(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<Record<string, unknown>> {
    const widget = context.widget;
    const body: Record<string, unknown> = {
      prefix: request.text.slice(0, request.offset),
      suffix: request.text.slice(request.offset),
      language: await this.language(request, context),
      path: '',
      cell_context: ''
    };
    if (widget instanceof NotebookPanel) {
      body.path = widget.context.path;
      const notebook = widget.content;
      const above = notebook.widgets[notebook.activeCellIndex - 1];
      if (above && above.model.type !== 'raw') {
        body.cell_context = above.model.sharedModel.getSource();
      }
    } else {
      const path = (widget as { context?: { path?: unknown } }).context?.path;
      body.path = typeof path === 'string' ? path : widget.title.label;
    }
    if (this.settings.provider) {
      body.provider = this.settings.provider;
    }
    if (this.settings.model) {
      body.model = this.settings.model;
    }
    return body;
  }

  /** The kernel's language (asked once per kernel), else the editor's MIME type's, else python. */
  private language(request: CompletionHandler.IRequest, context: IInlineCompletionContext): Promise<string> {
    const fallback = MIME_LANGUAGES[request.mimeType ?? ''] ?? 'python';
    const kernel = context.session?.kernel;
    if (!kernel) {
      return Promise.resolve(fallback);
    }
    let known = this.languages.get(kernel);
    if (!known) {
      known = kernel.info.then(info => info.language_info.name || fallback).catch(() => fallback);
      this.languages.set(kernel, known);
    }
    return known;
  }
}

/** "g4f…" in the status bar while a suggestion is being asked for or streamed. */
class ActivityItem extends Widget {
  constructor(activity: Activity) {
    super();
    this.addClass('jp-StatusBar-TextItem');
    this.addClass('g4f-completion-status');
    this.node.title = 'g4f is writing a code suggestion';
    this.hide();
    this.node.textContent = 'g4f…';
    activity.onChange(count => this.setHidden(count === 0));
  }
}

export const inlineCompletion: JupyterFrontEndPlugin<void> = {
  id: 'g4f-jupyter:inline-completion',
  description: 'Inline code completion (ghost text) from g4f, offline with the embedded model.',
  autoStart: true,
  requires: [ICompletionProviderManager],
  optional: [IStatusBar, INotebookTracker],
  activate: (
    _app: JupyterFrontEnd,
    manager: ICompletionProviderManager,
    statusBar: IStatusBar | null,
    notebooks: INotebookTracker | null
  ) => {
    const provider = new G4FInlineProvider(labTransport());
    manager.registerInlineProvider(provider);
    notebooks?.activeCellChanged.connect(tracker => {
      if (tracker.currentWidget) {
        provider.prepare(tracker.currentWidget);
      }
    });
    statusBar?.registerStatusItem('g4f-jupyter:completion-status', {
      item: new ActivityItem(provider.activity),
      align: 'left',
      rank: 100
    });
  }
};
