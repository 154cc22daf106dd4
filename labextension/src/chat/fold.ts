/**
 * The one fold from streamed events to conversation items (spec §2.4): every event of an answer
 * goes through `foldEvent`, which writes what is kept into the assistant item and the
 * conversation, and what is only shown while the answer streams into the turn.
 */
import { contentText } from './conversation';
import type { IChatItem, IConversation, IProviderInfo, IStreamEvent, IUsage } from './types';

/** An answer being written. */
export interface ITurn {
  readonly conversation: IConversation;
  /** The assistant item the events write into (an existing one when continuing). */
  readonly item: IChatItem;
  /** The provider the request named ("" = automatic choice). */
  readonly provider: string;
  /** A progress preview (replaced by the answer's first content). */
  preview: string;
  previewUrls: string[];
  /** The reasoning's current status or label ("Thinking…"). */
  status: string;
  /** Between `<think>` and `</think>`. */
  thinking: boolean;
  suggestions: string[];
  toolCalls: string[];
  log: string[];
  /** Non-fatal provider messages. */
  warnings: string[];
  /** The fatal `error`/`auth` message ("" while none came). */
  error: string;
  errorKind: '' | 'error' | 'auth';
}

/** Start an answer: a new assistant item, or (continuing) the last one. */
export function startTurn(conversation: IConversation, provider: string, continued?: IChatItem): ITurn {
  const item: IChatItem = continued ?? { role: 'assistant', content: '' };
  if (typeof item.content !== 'string') {
    item.content = contentText(item.content);
  }
  return {
    conversation,
    item,
    provider,
    preview: '',
    previewUrls: [],
    status: '',
    thinking: false,
    suggestions: [],
    toolCalls: [],
    log: [],
    warnings: [],
    error: '',
    errorKind: ''
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Markdown for media that came as bare `urls`: each picture, linked to itself. */
function mediaMarkdown(urls: string[], alt: string): string {
  return urls.map(url => `[![${alt}](${url})](${url})`).join('\n');
}

function appendContent(turn: ITurn, event: IStreamEvent): void {
  const urls = strings(event.urls);
  let piece = text(event.content);
  if (urls.length) {
    piece ||= mediaMarkdown(urls, text(event.alt));
    const before = turn.item.content as string;
    piece = before && !before.endsWith('\n\n') ? `\n\n${piece}` : piece; // media stands apart from the text
  }
  if (piece) {
    turn.item.content = (turn.item.content as string) + piece;
    turn.preview = '';
    turn.previewUrls = [];
  }
}

function appendReasoning(turn: ITurn, event: IStreamEvent): void {
  const token = text(event.token);
  if (token) {
    const before = typeof turn.item.reasoning === 'string' ? turn.item.reasoning : '';
    turn.item.reasoning = before + token;
  }
  const status = text(event.status) || text(event.label);
  if (status) {
    turn.status = status;
  }
  if (event.is_thinking === '<think>') {
    turn.thinking = true;
  } else if (event.is_thinking === '</think>') {
    turn.thinking = false;
  }
}

/** The provider's state, kept per provider and sent back with the next request to it. */
function keepState(turn: ITurn, state: unknown): void {
  const name = turn.provider || turn.item.provider?.name;
  if (name && state !== undefined) {
    turn.conversation.data = { ...(turn.conversation.data ?? {}), [name]: state };
  }
}

function toolCallName(call: unknown): string {
  const fn = record(record(call)?.function);
  return text(fn?.name) || 'tool';
}

/** Fold one event into the turn. Unknown and debugging events (`request`, `response`, `headers`) change nothing. */
export function foldEvent(turn: ITurn, event: IStreamEvent): void {
  switch (event.type) {
    case 'provider': {
      const info = record(event.provider);
      if (info) {
        turn.item.provider = info as IProviderInfo;
      }
      break;
    }
    case 'content':
      appendContent(turn, event);
      break;
    case 'reasoning':
      appendReasoning(turn, event);
      break;
    case 'preview':
      turn.preview = text(event.preview);
      turn.previewUrls = strings(event.urls);
      break;
    case 'login':
      turn.preview = text(event.login);
      break;
    case 'conversation':
      keepState(turn, event.conversation);
      break;
    case 'title':
      if (text(event.title)) {
        turn.conversation.title = text(event.title);
      }
      break;
    case 'suggestions':
      turn.suggestions = strings(event.suggestions);
      break;
    case 'synthesize': {
      const synthesize = record(event.synthesize);
      if (synthesize) {
        turn.item.synthesize = synthesize;
      }
      break;
    }
    case 'usage': {
      const usage = record(event.usage);
      if (usage) {
        turn.item.usage = usage as IUsage;
      }
      break;
    }
    case 'finish': {
      const finish = record(event.finish);
      if (finish) {
        turn.item.finish = finish as { reason?: string };
      }
      break;
    }
    case 'continue':
    case 'variant':
      turn.item[event.type] = event[event.type];
      break;
    case 'tool_calls':
      if (Array.isArray(event.tool_calls)) {
        turn.toolCalls.push(...event.tool_calls.map(toolCallName));
      }
      break;
    case 'log':
      turn.log.push(text(event.log));
      break;
    case 'message':
      turn.warnings.push(text(event.message) || text(event.error) || 'the provider reported a problem');
      break;
    case 'error':
    case 'auth':
      turn.error = text(event.message) || text(event.error) || text(event.auth) || event.type;
      turn.errorKind = event.type;
      break;
    default:
      break;
  }
}

/** Whether the answer is worth keeping in the conversation (something was written). */
export function hasAnswer(turn: ITurn): boolean {
  return Boolean(contentText(turn.item.content) || turn.item.reasoning);
}
