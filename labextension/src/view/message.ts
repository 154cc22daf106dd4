/**
 * One message of the transcript, drawn from its conversation item (and, while an answer streams,
 * from its turn): who wrote it, collapsed reasoning, the text (your own as typed, answers as
 * Markdown), attachments and thumbnails, usage, notices, suggestions and actions.
 */
import { bucketParts, contentText, isImagePart, reasoningText } from '../chat/conversation';
import type { ITurn } from '../chat/fold';
import { providerLabel, usageText } from '../chat/labels';
import type { IChatItem, Role } from '../chat/types';
import { renderDiff } from '../render/diff';
import { renderMarkdown } from '../render/markdown';
import { button, copyText, h, link, local, messageOf } from './dom';
import type { ICodeAction, ICodeTarget } from './host';

export type NoticeKind = 'error' | 'warning' | 'info';

/** The names of the files in bucket `id`, as remembered when they were attached. */
export function bucketNames(id: string): string {
  try {
    const names = (JSON.parse(local.get(`bucket:${id}`) ?? '') as { names?: string[] }).names;
    return names?.length ? names.join(', ') : 'uploaded files';
  } catch {
    return 'uploaded files';
  }
}

/** A small picture linking to the full one; only http(s), same-server and blob addresses. */
export function thumbnail(url: string, name = ''): HTMLElement {
  if (!/^(https?:\/\/|\/|blob:)/.test(url)) {
    return h('span', 'g4fc-thumb', name);
  }
  const anchor = link('', url, 'g4fc-thumb');
  const img = h('img');
  img.src = url;
  img.alt = name || 'image';
  img.title = name;
  img.loading = 'lazy';
  anchor.append(img);
  return anchor;
}

export interface IMessageOptions {
  codeActions: ICodeAction[];
  /** Where this answer's code would go (a Fix's cell): code blocks show as a diff, with its actions. */
  target?: ICodeTarget | null;
  /** A suggested follow-up was picked. */
  onSuggestion?(text: string): void;
}

export class MessageView {
  readonly node: HTMLElement;
  private readonly role: Role;
  readonly actions = h('div', 'g4fc-actions');
  private readonly head = h('div', 'g4fc-role');
  private readonly reasoning = h('details', 'g4fc-reasoning');
  private readonly reasoningTitle = h('summary', '', 'Reasoning');
  private readonly reasoningBody = h('div', 'g4fc-reasoning-text');
  private readonly preview = h('div', 'g4fc-preview');
  private readonly content = h('div', 'g4fc-content');
  private readonly media = h('div', 'g4fc-media');
  private readonly usage = h('div', 'g4fc-usage');
  private readonly turnNotices = h('div', 'g4fc-notices');
  private readonly viewNotices = h('div', 'g4fc-notices');
  private readonly suggestions = h('div', 'g4fc-suggestions');
  private scheduled = 0;
  private drawn = { content: '', reasoning: '' };

  constructor(
    readonly item: IChatItem,
    private readonly options: IMessageOptions
  ) {
    this.role = ['user', 'assistant', 'system'].includes(item.role) ? item.role : 'assistant';
    this.node = h('article', `g4fc-message g4fc-${this.role}`);
    this.reasoning.append(this.reasoningTitle, this.reasoningBody);
    this.node.append(
      this.head,
      this.reasoning,
      this.preview,
      this.content,
      this.media,
      this.usage,
      this.turnNotices,
      this.viewNotices,
      this.suggestions,
      this.actions
    );
    this.drawAttachments();
    this.render();
  }

  /** Draw the item (and what the streaming turn shows besides). */
  render(turn?: ITurn): void {
    cancelAnimationFrame(this.scheduled);
    this.scheduled = 0;
    const item = this.item;
    this.head.firstChild?.remove();
    this.head.prepend(this.role === 'assistant' ? providerLabel(item.provider) : this.role === 'user' ? 'You' : 'System');
    const text = contentText(item.content);
    if (text !== this.drawn.content) {
      this.drawn.content = text;
      if (this.role === 'user') {
        this.content.textContent = text; // what was typed, as typed
      } else {
        renderMarkdown(this.content, text);
        this.decorateCode();
      }
    }
    const reasoning = reasoningText(item);
    if (reasoning !== this.drawn.reasoning) {
      this.drawn.reasoning = reasoning;
      renderMarkdown(this.reasoningBody, reasoning);
    }
    const status = turn?.status ?? '';
    this.reasoningTitle.textContent = status ? `Reasoning: ${status}` : 'Reasoning';
    this.reasoning.hidden = !reasoning && !status;
    this.usage.textContent = usageText(item.usage);
    this.usage.hidden = !this.usage.textContent;
    if (turn) {
      this.drawTurn(turn);
    }
  }

  /** Draw at the next frame (many events may arrive in between). */
  schedule(turn: ITurn): void {
    this.scheduled ||= requestAnimationFrame(() => this.render(turn));
  }

  setStreaming(streaming: boolean): void {
    this.node.classList.toggle('g4fc-streaming', streaming);
  }

  notice(kind: NoticeKind, text: string): void {
    this.viewNotices.append(h('div', `g4fc-${kind}`, text));
  }

  action(label: string, className: string, title: string, onClick: () => void): void {
    this.actions.append(button(label, className, title, onClick));
  }

  private drawTurn(turn: ITurn): void {
    this.preview.replaceChildren();
    if (turn.preview) {
      renderMarkdown(this.preview, turn.preview);
    }
    this.preview.append(...turn.previewUrls.map(url => thumbnail(url)));
    this.preview.hidden = !this.preview.childNodes.length;
    const notices: Array<[NoticeKind, string]> = [
      ...turn.warnings.map(text => ['warning', text] as [NoticeKind, string]),
      ...turn.toolCalls.map(name => ['info', `Tool call: ${name}`] as [NoticeKind, string]),
      ...(turn.error ? [['error', turn.error] as [NoticeKind, string]] : [])
    ];
    this.turnNotices.replaceChildren(...notices.map(([kind, text]) => h('div', `g4fc-${kind}`, text)));
    this.suggestions.replaceChildren(
      ...turn.suggestions.map(text => button(text, '', 'Ask this next', () => this.options.onSuggestion?.(text)))
    );
  }

  /** Chips for a question's files and context, thumbnails for its pictures. */
  private drawAttachments(): void {
    for (const sent of this.item.context ?? []) {
      const chip = h('span', `g4fc-chip g4fc-ctx-${sent.kind}`, `${sent.kind}: ${sent.label || sent.kind}`);
      this.head.append(' ', chip);
    }
    for (const part of bucketParts(this.item.content)) {
      if (isImagePart(part)) {
        this.media.append(thumbnail(part.url, part.name));
      } else {
        this.head.append(' ', h('span', 'g4fc-chip', `file: ${part.name ?? bucketNames(part.bucket_id)}`));
      }
    }
  }

  /** Copy and the host's actions above every code block. */
  private decorateCode(): void {
    for (const pre of this.content.querySelectorAll('pre')) {
      const code = pre.querySelector('code');
      const source = code?.textContent ?? pre.textContent ?? '';
      const language = /language-(\S+)/.exec(code?.className ?? '')?.[1] ?? '';
      const bar = h('div', 'g4fc-code-actions');
      const copy = button('Copy', 'g4fc-copy', 'Copy this code', () => {
        copyText(source).then(
          () => (copy.textContent = 'Copied'),
          error => (copy.textContent = `Copy failed: ${messageOf(error)}`)
        );
      });
      bar.append(copy);
      const target = this.options.target;
      for (const action of target ? target.actions : this.options.codeActions) {
        const node = button(action.label, action.className, action.title, () => {
          Promise.resolve()
            .then(() => action.run(source, language))
            .then(
              () => (node.textContent = 'Done'),
              error => this.notice('error', `${action.label}: ${messageOf(error)}`)
            );
        });
        bar.append(node);
      }
      const box = h('div', 'g4fc-code');
      pre.replaceWith(box);
      box.append(bar, pre);
      if (target) {
        const diff = renderDiff(target.current(), source);
        box.classList.add('g4fc-code-diff');
        box.insertBefore(diff.node, pre);
        pre.hidden = true; // the diff shows the new code; Copy copies it
      }
    }
  }
}
