/**
 * The chat panel of the right sidebar: pickers, a scrolling transcript whose answers stream in
 * as Markdown, file attachments (buckets), Stop, and share. It only talks to the server
 * through api.ts and to the notebook through the `insertCode` callback it is given.
 */
import { Clipboard } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import * as api from './api';
import { renderMarkdown } from './markdown';

/** A bucket uploaded and read, waiting to go along with the next question. */
interface IAttachment {
  bucketId: string;
  names: string[];
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

/** A size as people read it: kB below a tenth of a megabyte, else MB. */
function size(bytes: number): string {
  return bytes < 1e5 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export class ChatPanel extends Widget {
  constructor(private readonly insertCode: (code: string) => Promise<void>) {
    super();
    this.addClass('g4f-lab-panel');
    const header = el('div', 'g4f-lab-header');
    const heading = el('div', 'g4f-lab-title', 'g4f chat');
    this.provider.setAttribute('aria-label', 'Provider');
    this.model.setAttribute('aria-label', 'Model');
    const fresh = el('button', 'g4f-lab-button g4f-lab-new', 'New');
    fresh.title = 'Start a new conversation';
    fresh.onclick = () => this.clear();
    this.shareButton.onclick = () => void this.share();
    const page = el('a', 'g4f-lab-page', 'Web chat');
    page.href = `${api.pageUrl('g4f')}/`;
    page.target = '_blank';
    page.title = 'The full chat page of this server, in a new tab';
    header.append(heading, this.provider, this.model, fresh, this.shareButton, page);

    const footer = el('div', 'g4f-lab-footer');
    const attach = el('button', 'g4f-lab-button g4f-lab-attach', 'Attach');
    attach.title = 'Attach files: their text goes along with your next question';
    const picker = el('input', 'g4f-lab-file');
    picker.type = 'file';
    picker.multiple = true;
    picker.hidden = true;
    attach.onclick = () => picker.click();
    picker.onchange = () => void this.attach(Array.from(picker.files ?? [])).finally(() => (picker.value = ''));
    this.prompt.placeholder = 'Ask something… (Enter sends, Shift+Enter for a new line)';
    this.prompt.rows = 3;
    this.prompt.setAttribute('aria-label', 'Question');
    this.prompt.onkeydown = event => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.send();
      }
    };
    this.sendButton.onclick = () => (this.running ? this.running.abort() : void this.send());
    footer.append(this.prompt, attach, picker, this.sendButton);

    this.node.append(header, this.shareInfo, this.transcript, this.attachments, footer);
    this.shareInfo.hidden = true;
    this.transcript.append(this.hint);
    this.provider.onchange = () => void this.loadModels();
    void this.loadProviders();
  }

  /** Put the cursor in the question box (when the panel is opened by its command). */
  focusPrompt(): void {
    this.prompt.focus();
  }

  private async loadProviders(): Promise<void> {
    this.provider.replaceChildren(new Option('Automatic provider', ''));
    try {
      for (const provider of await api.providers()) {
        this.provider.append(new Option(provider.label || provider.name, provider.name));
      }
    } catch (error) {
      this.notice(`Providers could not be listed: ${(error as Error).message}`, 'g4f-lab-error');
    }
    await this.loadModels();
  }

  private async loadModels(): Promise<void> {
    this.model.replaceChildren(new Option('Default model', ''));
    const provider = this.provider.value;
    if (!provider) {
      return;
    }
    try {
      for (const model of await api.models(provider)) {
        const id = model.model ?? model.id ?? '';
        this.model.append(new Option(model.label || id, id));
      }
    } catch (error) {
      this.notice(`Models of ${provider} could not be listed: ${(error as Error).message}`, 'g4f-lab-error');
    }
  }

  private clear(): void {
    this.running?.abort();
    this.idle();
    this.messages = [];
    this.shared = '';
    this.conversationId = api.newId();
    this.added = Date.now();
    this.conversationTitle = '';
    this.attached = [];
    this.attachments.replaceChildren();
    this.transcript.replaceChildren(this.hint);
    this.shareInfo.hidden = true;
  }

  /** Upload `files` into a new bucket and read it, showing progress; attached to the next question. */
  private async attach(files: File[]): Promise<void> {
    if (!files.length) {
      return;
    }
    const names = files.map(file => file.name);
    const chip = el('div', 'g4f-lab-chip', `Uploading ${names.join(', ')}…`);
    this.attachments.append(chip);
    const bucketId = api.newId();
    try {
      await api.upload(bucketId, files);
      const total = files.reduce((sum, file) => sum + file.size, 0);
      const read = await api.extract(bucketId, bytes => {
        const share = total ? ` (${Math.min(99, Math.round((100 * bytes) / total))}%)` : '';
        chip.textContent = `Reading ${names.join(', ')}… ${size(bytes)}${share}`;
      });
      chip.textContent = `Attached: ${names.join(', ')} (${size(read)} of text)`;
      this.attached.push({ bucketId, names });
    } catch (error) {
      chip.textContent = `${names.join(', ')}: ${(error as Error).message}`;
      chip.classList.add('g4f-lab-error');
    }
  }

  private async send(): Promise<void> {
    const text = this.prompt.value.trim();
    if (!text || this.running) {
      return;
    }
    const parts: api.ContentPart[] = this.attached.map(({ bucketId }) => ({
      bucket_id: bucketId,
      url: `/backend-api/v2/files/${bucketId}`
    }));
    const names = this.attached.flatMap(({ names }) => names);
    const content = parts.length ? [...parts, { type: 'text' as const, text }] : text;
    this.attached = [];
    this.attachments.replaceChildren();
    this.prompt.value = '';
    this.messages.push({ role: 'user', content });
    const question = this.turn('user');
    renderMarkdown(question.body, names.length ? `${text}\n\n*Attached: ${names.join(', ')}*` : text, () => undefined);
    await this.answer();
  }

  /** Stream the answer to the conversation so far into a new assistant turn. */
  private async answer(): Promise<void> {
    const messages = this.messages; // "New" during the answer starts another list
    const turn = this.turn('assistant');
    const thinking = el('div', 'g4f-lab-thinking', 'thinking…');
    turn.node.insertBefore(thinking, turn.body);
    const controller = new AbortController();
    this.running = controller;
    this.sendButton.textContent = 'Stop';
    this.sendButton.classList.add('g4f-lab-stop');
    let text = '';
    let scheduled = 0;
    const draw = () => {
      scheduled = 0;
      renderMarkdown(turn.body, text, (pre, code) => this.decorate(pre, code));
      this.transcript.scrollTop = this.transcript.scrollHeight;
    };
    const request = {
      id: api.newId(),
      messages,
      ...(this.provider.value ? { provider: this.provider.value } : {}),
      ...(this.model.value ? { model: this.model.value } : {})
    };
    try {
      for await (const event of api.converse(request, controller.signal)) {
        if (event.type === 'content' && typeof event.content === 'string') {
          thinking.remove();
          text += event.content;
          scheduled ||= requestAnimationFrame(draw);
        } else if (event.type === 'provider') {
          const info = event.provider as { label?: string; name?: string; model?: string };
          turn.meta.textContent = [info.label || info.name, info.model].filter(Boolean).join(' · ');
        } else if (event.type === 'usage') {
          const usage = event.usage as { total_tokens?: number };
          turn.meta.textContent += ` · usage: ${usage.total_tokens ?? '?'} tokens`;
        } else if (event.type === 'title' && typeof event.title === 'string') {
          this.conversationTitle = event.title;
        } else if (event.type === 'error' || event.type === 'auth') {
          turn.node.append(el('div', 'g4f-lab-error', String(event.message ?? event.error)));
        }
      }
    } catch (error) {
      const stopped = controller.signal.aborted;
      turn.node.append(
        el('div', stopped ? 'g4f-lab-info' : 'g4f-lab-error', stopped ? 'Stopped.' : (error as Error).message)
      );
    } finally {
      cancelAnimationFrame(scheduled);
      thinking.remove();
      draw();
      if (text) {
        messages.push({ role: 'assistant', content: text });
      }
      if (this.running === controller) {
        this.idle();
      }
      if (this.shared && messages === this.messages) {
        void this.share();
      }
    }
  }

  /** Back to Send once an answer ended (or was left by "New"). */
  private idle(): void {
    this.running = null;
    this.sendButton.textContent = 'Send';
    this.sendButton.classList.remove('g4f-lab-stop');
  }

  /** Copy and Insert buttons on a code block of an answer. */
  private decorate(pre: HTMLPreElement, code: string): void {
    const bar = el('div', 'g4f-lab-code-actions');
    const copy = el('button', 'g4f-lab-button g4f-lab-copy', 'Copy');
    copy.onclick = () => {
      Clipboard.copyToSystem(code);
      copy.textContent = 'Copied';
    };
    const insert = el('button', 'g4f-lab-button g4f-lab-insert', 'Insert into notebook');
    insert.title = 'Add this code as a new cell below the active cell of the notebook';
    insert.onclick = () =>
      void this.insertCode(code).then(
        () => (insert.textContent = 'Inserted'),
        error => this.notice((error as Error).message, 'g4f-lab-error')
      );
    bar.append(copy, insert);
    pre.before(bar);
  }

  /** Publish the conversation and show its link and QR page; later answers update it. */
  private async share(): Promise<void> {
    if (!this.messages.length) {
      this.notice('Ask something first: there is nothing to share yet.', 'g4f-lab-info');
      return;
    }
    this.shared ||= api.newId();
    const firstQuestion = this.messages.find(message => message.role === 'user')?.content;
    const conversation: api.IConversation = {
      id: this.conversationId,
      title: this.conversationTitle || (typeof firstQuestion === 'string' ? firstQuestion.slice(0, 60) : 'Chat'),
      added: this.added,
      updated: Date.now(),
      items: this.messages
    };
    try {
      const shareId = await api.share(this.shared, conversation);
      const link = el('a', 'g4f-lab-share-link', api.pageUrl('g4f', 'chat', shareId));
      link.href = link.textContent!;
      link.target = '_blank';
      const qr = el('a', 'g4f-lab-share-qr', 'QR code');
      qr.href = api.pageUrl('g4f', 'qrcode', shareId);
      qr.target = '_blank';
      this.shareInfo.replaceChildren('Shared (updated after each answer): ', link, ' · ', qr);
      this.shareInfo.hidden = false;
    } catch (error) {
      this.notice(`Sharing failed: ${(error as Error).message}`, 'g4f-lab-error');
    }
  }

  private turn(role: 'user' | 'assistant'): { node: HTMLElement; body: HTMLElement; meta: HTMLElement } {
    this.hint.remove();
    const node = el('div', `g4f-lab-turn g4f-lab-${role}`);
    const body = el('div', 'g4f-lab-body jp-RenderedHTMLCommon');
    const meta = el('div', 'g4f-lab-meta');
    node.append(body, meta);
    this.transcript.append(node);
    this.transcript.scrollTop = this.transcript.scrollHeight;
    return { node, body, meta };
  }

  private notice(text: string, className: string): void {
    this.transcript.append(el('div', className, text));
  }

  private readonly provider = el('select', 'g4f-lab-provider');
  private readonly model = el('select', 'g4f-lab-model');
  private readonly shareButton = el('button', 'g4f-lab-button g4f-lab-share', 'Share');
  private readonly shareInfo = el('div', 'g4f-lab-share-info');
  private readonly transcript = el('div', 'g4f-lab-transcript');
  private readonly hint = el(
    'div',
    'g4f-lab-info g4f-lab-hint',
    'Answers stream in as they are written. With the automatic provider the embedded model answers, ' +
      'offline. Code blocks get Copy and Insert into notebook (below the active cell); Attach sends ' +
      "files' text along with your next question; Share publishes the chat as a link and a QR code."
  );
  private readonly attachments = el('div', 'g4f-lab-attachments');
  private readonly prompt = el('textarea', 'g4f-lab-prompt');
  private readonly sendButton = el('button', 'g4f-lab-button g4f-lab-send', 'Send');
  private messages: api.IMessage[] = [];
  private attached: IAttachment[] = [];
  private running: AbortController | null = null;
  private shared = '';
  private conversationId = api.newId();
  private added = Date.now();
  private conversationTitle = '';
}
