/**
 * The whole chat, one view for every host: the saved chats, provider and model pickers, the
 * transcript, the composer (system prompt, attachments, Send / Stop), Regenerate, Continue,
 * Edit-and-resend, Keys, Share, Export and Import. It fits a 250 px sidebar and a phone: below
 * 720 px of its own width the list of chats slides over instead of standing beside.
 *
 * Chats persist in the server's conversation store: saved after the question and after each
 * answer, listed, searched, renamed and deleted there, so every host sees the same chats.
 */
import {
  answerRequest,
  bucketParts,
  contentText,
  newConversation,
  NEW_TITLE,
  prepareRequest,
  questionContent,
  titleFrom,
  touch
} from '../chat/conversation';
import type { IContextItem } from '../chat/context';
import { foldEvent, hasAnswer, startTurn } from '../chat/fold';
import type { IChatItem, ICodeTargetRef, IConversation } from '../chat/types';
import { Attachments } from './attach';
import { ContextChips } from './chips';
import { button, h, link, messageOf } from './dom';
import type { IChatHost, ICodeTarget } from './host';
import { KeysPanel } from './keys';
import { ConversationList } from './list';
import { Mentions } from './mentions';
import { MessageView } from './message';
import { Pickers } from './pickers';
import { Sharing } from './sharing';

/** How a plug-in asks (Explain, Fix): exactly this context instead of the chips', and what the answer may replace. */
export interface IAskOptions {
  context?: IContextItem[];
  target?: ICodeTargetRef;
}

export class ChatView {
  readonly node = h('div', 'g4fc-view');
  /** The context chips of the composer (hosts add to them). */
  readonly chips = new ContextChips();
  private conversation: IConversation = newConversation();
  private controller: AbortController | null = null;
  private editing: number | null = null;
  /** A question is being put together (its context read): Enter again waits. */
  private sending = false;
  private saving: Promise<unknown> = Promise.resolve();
  /** The id of the conversation drawn last. */
  private shown = '';
  private readonly pickers: Pickers;
  private readonly attachments: Attachments;
  private readonly sharing: Sharing;
  private readonly keys: KeysPanel;
  private readonly list: ConversationList;
  private readonly messages = h('section', 'g4fc-messages');
  private readonly prompt = h('textarea', 'g4fc-prompt');
  private readonly system = h('textarea', 'g4fc-system');
  private readonly systemBox = h('details', 'g4fc-system-box');
  private readonly sendButton = h('button', 'g4fc-send', 'Send');
  private readonly stopButton = button('Stop', 'g4fc-stop', 'Stop the answer (what was written stays)', () =>
    this.controller?.abort()
  );
  private readonly editingNotice = h('div', 'g4fc-notice g4fc-editing', 'Editing a sent message: Send replaces it and the answers after it. ');
  private readonly webChat = link('Web chat', '', 'g4fc-web-chat');
  private readonly importInput = h('input', 'g4fc-import-file');
  private readonly menu = h('details', 'g4fc-menu');
  private readonly sidebar = h('aside', 'g4fc-sidebar');
  private readonly mentions: Mentions;

  constructor(private readonly host: IChatHost) {
    const client = host.client;
    this.pickers = new Pickers(client, text => this.report(text), () => this.attachments.show());
    this.attachments = new Attachments(
      client,
      () => (this.pickers.blind() ? this.pickers.visionWarning() : ''),
      () => this.prepare()
    );
    this.sharing = new Sharing(client, host.config, () => this.conversation, text => this.report(text));
    this.keys = new KeysPanel(client);
    this.mentions = new Mentions(this.prompt, () => host.mentions ?? [], this.chips, text => this.report(text));
    this.list = new ConversationList(client, {
      open: id => {
        this.closeList();
        void this.open(id);
      },
      renamed: (id, title) => {
        if (id === this.conversation.id) {
          this.conversation.title = title;
        }
      },
      deleted: id => this.remove(id)
    });
    this.build();
    // back from another tab or window (where a chat may have been saved): the list shows it
    window.addEventListener('focus', () => this.refreshList());
  }

  /** Fill the pickers and open the chat `id` (else the remembered one, else a new one). */
  async start(id?: string | null): Promise<void> {
    const opening = id ?? this.host.place.recall();
    await Promise.all([this.pickers.load(), opening ? this.open(opening, true) : this.show()]);
  }

  focusPrompt(): void {
    this.prompt.focus();
  }

  /** Ask `text` in the open chat, as if typed (for plug-ins such as Fix). */
  ask(text: string, options: IAskOptions = {}): Promise<void> {
    this.prompt.value = text;
    return this.send(options);
  }

  /** What the chips (and the `@` mentions in the prompt) stand for now: what Send would carry. */
  async context(): Promise<IContextItem[]> {
    await this.mentions.resolve(this.prompt.value);
    return (await this.chips.collect()).items;
  }

  // ------------------------------------------------------------------ layout

  private build(): void {
    const sidebar = this.sidebar;
    sidebar.append(
      button('+ New chat', 'g4fc-new-chat', 'Start a new chat', () => this.fresh()),
      this.list.node,
      h('p', 'g4fc-version', `g4f-jupyter ${this.host.config.version}`)
    );
    const main = h('div', 'g4fc-main');
    main.addEventListener('click', event => {
      this.closeList();
      if (!this.menu.contains(event.target as Node)) {
        this.menu.open = false; // a click elsewhere closes the ⋯ menu
      }
    });
    main.append(this.header(), this.keys.panel, this.sharing.panel, this.messages, this.composer());
    this.messages.setAttribute('aria-live', 'polite');
    this.node.append(sidebar, main);
  }

  private header(): HTMLElement {
    const header = h('header', 'g4fc-header');
    const chats = button('☰', 'g4fc-chats', 'Saved chats', () => {
      const open = this.node.classList.toggle('g4fc-list-open');
      if (open) {
        void this.list.refresh(this.conversation.id);
      }
    });
    chats.setAttribute('aria-label', 'Saved chats');
    chats.addEventListener('click', event => event.stopPropagation());
    const fresh = button('New', 'g4fc-new', 'Start a new chat', () => this.fresh());
    const pickers = h('div', 'g4fc-pickers');
    pickers.append(this.pickers.provider, this.pickers.model);
    header.append(chats, fresh, this.sharing.shareButton, this.sharing.hubButton, this.moreMenu(), pickers);
    return header;
  }

  /** Keys, Export, Import and (in Lab) Web chat, folded into one menu so the header fits 250 px. */
  private moreMenu(): HTMLElement {
    const summary = h('summary', 'g4fc-menu-button', '⋯');
    summary.title = 'More: keys, export, import';
    summary.setAttribute('aria-label', 'More');
    const items = h('div', 'g4fc-menu-items');
    const item = (label: string, className: string, title: string, run: () => void): HTMLButtonElement =>
      button(label, className, title, () => {
        this.menu.open = false;
        run();
      });
    this.importInput.type = 'file';
    this.importInput.accept = '.json,application/json';
    this.importInput.hidden = true;
    this.importInput.addEventListener('change', () => void this.importFile());
    items.append(
      item('Keys', 'g4fc-keys', 'API keys of the providers', () => this.keys.toggle()),
      item('Export as Markdown', 'g4fc-export-md', 'Write this chat as a Markdown file into the file browser', () =>
        void this.export('markdown')
      ),
      item('Export as notebook', 'g4fc-export-ipynb', 'Write this chat as a notebook (code blocks become code cells)', () =>
        void this.export('ipynb')
      ),
      item('Import chats…', 'g4fc-import', "Import chats exported from gpt4free's web client (JSON)", () =>
        this.importInput.click()
      ),
      this.importInput
    );
    if (this.host.webChatUrl) {
      this.webChat.title = 'This chat in the web chat page of this server, in a new tab';
      items.append(this.webChat);
    }
    this.menu.append(summary, items);
    return this.menu;
  }

  private composer(): HTMLElement {
    const form = h('form', 'g4fc-composer');
    this.system.rows = 2;
    this.system.placeholder = 'You are a helpful assistant.';
    this.system.setAttribute('aria-label', 'System prompt');
    this.systemBox.append(h('summary', '', 'System prompt'), this.system);
    this.editingNotice.append(button('Cancel', 'g4fc-cancel-edit', 'Keep the message as it was', () => this.stopEditing(true)));
    this.editingNotice.hidden = true;
    const attach = h('label', 'g4fc-attach', 'Attach');
    attach.title = 'Attach files (text, documents, images): they go along with your next question';
    attach.append(this.attachments.input);
    this.prompt.rows = 3;
    this.prompt.placeholder = 'Ask anything (Enter sends, Shift+Enter: new line)';
    this.prompt.setAttribute('aria-label', 'Question');
    this.prompt.addEventListener('keydown', event => {
      if (this.mentions.handleKey(event)) {
        return;
      }
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.send();
      }
    });
    this.sendButton.type = 'submit';
    this.stopButton.hidden = true;
    const buttons = h('div', 'g4fc-buttons');
    buttons.append(this.sendButton, this.stopButton);
    const row = h('div', 'g4fc-row');
    row.append(attach, this.prompt, buttons);
    form.append(this.systemBox, this.editingNotice, this.attachments.node, this.chips.node, this.mentions.node, row);
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this.send();
    });
    return form;
  }

  private closeList(): void {
    this.node.classList.remove('g4fc-list-open');
  }

  // ------------------------------------------------------------------ conversations

  /** Open saved chat `id`; `quietly`: a chat that is gone (never saved) just starts a new one. */
  async open(id: string, quietly = false): Promise<void> {
    this.controller?.abort();
    try {
      this.conversation = await this.host.client.conversation(id);
    } catch (error) {
      if (!quietly) {
        this.report(`Could not open the chat: ${messageOf(error)}`);
      }
      this.conversation = newConversation();
    }
    this.show();
  }

  private fresh(): void {
    this.controller?.abort();
    this.closeList();
    this.conversation = newConversation();
    this.show();
    this.focusPrompt();
  }

  /** Draw the open conversation and remember it. */
  private show(): void {
    const conversation = this.conversation;
    this.stopEditing(false);
    if (conversation.id !== this.shown) {
      this.shown = conversation.id; // another chat: its own attachments, system prompt and share panel
      this.attachments.clear();
      this.system.value = conversation.system ?? '';
      this.systemBox.open = Boolean(conversation.system);
      this.sharing.reset();
    }
    this.host.place.remember(conversation.items.length ? conversation.id : null);
    if (this.host.webChatUrl) {
      this.webChat.href = this.host.webChatUrl(conversation.id);
    }
    const last = conversation.items.length - 1;
    this.messages.replaceChildren(
      ...conversation.items.map((item, index) => {
        const view = this.messageView(item, this.questionBefore(index));
        if (item.role === 'user') {
          view.action('Edit', 'g4fc-edit', 'Edit this message and send it again', () => this.startEdit(index));
        } else if (item.role === 'assistant' && index === last) {
          this.offerFollowUps(view);
        }
        return view.node;
      })
    );
    this.scrollDown();
    this.refreshList();
  }

  /** Reload the list of chats when it can be seen (beside the chat, or slid open). */
  private refreshList(): void {
    if (getComputedStyle(this.sidebar).visibility !== 'hidden') {
      void this.list.refresh(this.conversation.id);
    }
  }

  /** The question an answer at `index` answers (the last user message before it). */
  private questionBefore(index: number): IChatItem | undefined {
    return this.conversation.items.slice(0, index).reverse().find(item => item.role === 'user');
  }

  /** Where the answers to `question` may put their code, if the host can reach it. */
  private codeTarget(question: IChatItem | undefined): ICodeTarget | null {
    const ref = question?.target;
    for (const resolve of ref ? this.host.codeTargets ?? [] : []) {
      const target = resolve(ref!);
      if (target) {
        return target;
      }
    }
    return null;
  }

  private messageView(item: IChatItem, question?: IChatItem): MessageView {
    return new MessageView(item, {
      codeActions: this.host.codeActions,
      target: item.role === 'assistant' ? this.codeTarget(question) : null,
      onSuggestion: text => {
        this.prompt.value = text;
        this.focusPrompt();
      }
    });
  }

  /** Save the conversation in the store (saves run one after another, each with the state of its call). */
  private save(conversation: IConversation): void {
    if (!conversation.items.length) {
      return;
    }
    touch(conversation);
    const snapshot = JSON.parse(JSON.stringify(conversation)) as IConversation;
    this.saving = this.saving
      .then(() => this.host.client.save(snapshot))
      .then(
        () => {
          if (this.conversation === conversation) {
            this.host.place.remember(conversation.id);
            this.refreshList();
          }
        },
        error => this.report(`Could not save the chat: ${messageOf(error)}`)
      );
  }

  /** Delete saved chat `id`, and the files that went along with it. */
  private async remove(id: string): Promise<void> {
    const conversation = id === this.conversation.id ? this.conversation : await this.host.client.conversation(id).catch(() => null);
    await this.host.client.remove(id);
    for (const item of conversation?.items ?? []) {
      for (const part of bucketParts(item.content)) {
        void this.host.client.deleteBucket(part.bucket_id).catch(() => undefined);
      }
    }
    if (id === this.conversation.id) {
      this.controller?.abort();
      this.conversation = newConversation();
      this.show();
    }
  }

  private async export(format: 'ipynb' | 'markdown'): Promise<void> {
    const conversation = this.conversation;
    if (!conversation.items.length) {
      this.report('Nothing to export yet: send a message first.');
      return;
    }
    try {
      await this.saving;
      const path = await this.host.client.exportConversation(conversation.id, format);
      if (this.host.openFile) {
        this.host.openFile(path);
        this.info(`Exported to ${path}.`);
      } else {
        const line = h('div', 'g4fc-notice-line g4fc-info', `Exported to ${path} in the Jupyter file browser: `);
        line.append(link('open in JupyterLab', this.host.client.url(`lab/tree/${path.split('/').map(encodeURIComponent).join('/')}`)));
        this.messages.append(line);
      }
    } catch (error) {
      this.report(`Export failed: ${messageOf(error)}`);
    }
  }

  private async importFile(): Promise<void> {
    const file = this.importInput.files?.[0];
    this.importInput.value = '';
    if (!file) {
      return;
    }
    try {
      const ids = await this.host.client.importConversations(JSON.parse(await file.text()));
      if (ids.length) {
        await this.open(ids[0]);
      }
      this.info(`Imported ${ids.length} chat(s) from ${file.name}.`);
    } catch (error) {
      this.report(`Import failed: ${messageOf(error)}`);
    }
  }

  // ------------------------------------------------------------------ asking

  private async send(options: IAskOptions = {}): Promise<void> {
    const text = this.prompt.value.trim();
    if (!text || this.controller || this.sending) {
      return;
    }
    if (this.attachments.busy) {
      this.report('The files are still on their way: send when the upload is done.');
      return;
    }
    let context = options.context;
    let failed: string[] = [];
    if (!context) {
      this.sending = true;
      this.sendButton.disabled = true; // reading the chips (a kernel may take its time)
      try {
        await this.mentions.resolve(text);
        ({ items: context, failed } = await this.chips.collect());
      } finally {
        this.sending = false;
        this.sendButton.disabled = false;
      }
      this.chips.sent();
      this.mentions.sent();
    }
    const conversation = this.conversation;
    if (this.editing !== null) {
      conversation.items.splice(this.editing);
      this.stopEditing(false);
    }
    const images = this.attachments.images;
    const content = questionContent(text, this.attachments.take());
    conversation.system = this.system.value.trim() || undefined;
    const question: IChatItem = { role: 'user', content };
    if (context.length) {
      question.context = context;
    }
    if (options.target) {
      question.target = options.target;
    }
    conversation.items.push(question);
    if (conversation.title === NEW_TITLE) {
      conversation.title = titleFrom(text);
    }
    this.prompt.value = '';
    this.save(conversation);
    this.show();
    if (failed.length) {
      this.report(`Not sent with the question: ${failed.join('; ')}`);
    }
    await this.answer(conversation, { warnBlind: images && this.pickers.blind() });
  }

  /** Stream the answer to `conversation` as it stands (continuing its last answer, or another version). */
  private async answer(
    conversation: IConversation,
    how: { warnBlind?: boolean; action?: 'continue' | 'variant' } = {}
  ): Promise<void> {
    const provider = this.pickers.provider.value;
    const continued = how.action === 'continue' ? conversation.items[conversation.items.length - 1] : undefined;
    const body = answerRequest(conversation, { provider, model: this.pickers.model.value, action: how.action });
    const turn = startTurn(conversation, provider, continued);
    if (continued) {
      conversation.items.pop(); // drawn again below, growing
    }
    const question = [...conversation.items].reverse().find(item => item.role === 'user');
    const view = this.messageView(turn.item, question);
    view.setStreaming(true);
    this.messages.append(view.node);
    this.scrollDown();
    if (how.warnBlind) {
      view.notice('warning', this.pickers.visionWarning());
    }
    const controller = new AbortController();
    this.controller = controller;
    this.busy(true);
    try {
      for await (const event of this.host.client.converse(body, controller.signal, this.host.sse)) {
        foldEvent(turn, event);
        view.schedule(turn);
        this.scrollDown();
      }
    } catch (error) {
      if (controller.signal.aborted) {
        view.notice('info', 'Stopped.');
      } else {
        view.notice('error', messageOf(error));
      }
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.busy(false);
      }
      view.setStreaming(false);
      view.render(turn);
      if (hasAnswer(turn)) {
        conversation.items.push(turn.item);
      }
      this.save(conversation);
      if (this.conversation === conversation && hasAnswer(turn)) {
        this.offerFollowUps(view);
      }
      this.sharing.refresh(conversation);
    }
  }

  /** Regenerate (and Continue, when the answer was cut at its length limit) go on the last answer only. */
  private offerFollowUps(view: MessageView): void {
    this.messages.querySelectorAll('.g4fc-regenerate, .g4fc-continue').forEach(node => node.remove());
    view.action('Regenerate', 'g4fc-regenerate', 'Answer the last question again', () => void this.regenerate());
    if (view.item.finish?.reason === 'length') {
      view.action('Continue', 'g4fc-continue', 'Carry on where the answer stopped', () =>
        void this.followUp('continue')
      );
    }
  }

  /** Answer the last question again, replacing the answer it had. */
  private regenerate(): Promise<void> {
    const items = this.conversation.items;
    while (items.length && items[items.length - 1].role === 'assistant') {
      items.pop();
    }
    return this.followUp('variant');
  }

  private async followUp(action: 'continue' | 'variant'): Promise<void> {
    if (this.controller || !this.conversation.items.length) {
      return;
    }
    const conversation = this.conversation;
    this.show();
    if (action === 'continue') {
      this.messages.lastElementChild?.remove(); // the answer is drawn again as it grows
    }
    await this.answer(conversation, { action });
  }

  /** Put a sent message back into the prompt box; Send replaces it and drops what came after it. */
  private startEdit(index: number): void {
    if (this.controller) {
      return;
    }
    const item = this.conversation.items[index];
    this.editing = index;
    this.prompt.value = contentText(item.content);
    this.attachments.clear();
    this.attachments.restore(bucketParts(item.content));
    (item.context ?? []).forEach((sent, at) =>
      this.chips.set({ key: `sent:${at}`, kind: sent.kind, label: sent.label ?? sent.kind, item: () => sent })
    );
    this.editingNotice.hidden = false;
    this.focusPrompt();
  }

  private stopEditing(clearPrompt: boolean): void {
    if (clearPrompt && this.editing !== null) {
      this.prompt.value = '';
      this.attachments.clear();
      this.chips.keys.filter(key => key.startsWith('sent:')).forEach(key => this.chips.remove(key));
    }
    this.editing = null;
    this.editingNotice.hidden = true;
  }

  /** A file was attached: let the server read it now, with the conversation so far (`prepare`). */
  private prepare(): void {
    const pending = this.attachments.parts;
    const conversation = { ...this.conversation, system: this.system.value.trim() || undefined };
    this.host.client.fireAndForget(
      prepareRequest(conversation, pending, { provider: this.pickers.provider.value, model: this.pickers.model.value })
    );
  }

  private busy(running: boolean): void {
    this.sendButton.hidden = running;
    this.stopButton.hidden = !running;
  }

  private scrollDown(): void {
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  /** A problem that belongs to no answer, shown in the transcript. */
  private report(text: string): void {
    this.messages.append(h('div', 'g4fc-notice-line g4fc-error', text));
    this.scrollDown();
  }

  private info(text: string): void {
    this.messages.append(h('div', 'g4fc-notice-line g4fc-info', text));
    this.scrollDown();
  }
}
