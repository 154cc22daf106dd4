/**
 * Conversations as data: a new one, the text and attachments of a message, the messages a
 * request carries, and the request bodies of `/conversation` (an answer, or `prepare`).
 */
import type { Content, ContentPart, IChatItem, IConversation, Role } from './types';

const TITLE_LENGTH = 60;
const IMAGE_NAME = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;
export const NEW_TITLE = 'New chat';

/** A random UUID (also where `crypto.randomUUID` is missing: plain HTTP on another host). */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function newConversation(now = Date.now()): IConversation {
  return { id: newId(), title: NEW_TITLE, added: now, updated: now, items: [] };
}

/** A stamp strictly later than the conversation's last one (a share refuses an unchanged one). */
export function touch(conversation: IConversation, now = Date.now()): number {
  conversation.updated = Math.max(now, conversation.updated + 1);
  return conversation.updated;
}

/** Stored chats come from anywhere (imports, other clients): parts are checked, never trusted. */
function isObject(part: unknown): part is Record<string, unknown> {
  return typeof part === 'object' && part !== null;
}

export function isTextPart(part: unknown): part is { type: 'text'; text: string } {
  return isObject(part) && part.type === 'text' && typeof part.text === 'string';
}

export function isBucketPart(part: unknown): part is { bucket_id: string; url: string; name?: string } {
  return isObject(part) && typeof part.bucket_id === 'string' && typeof part.url === 'string';
}

/** A bucket's media file that is a picture (shown as a thumbnail, sent to vision models). */
export function isImagePart(part: unknown): part is { bucket_id: string; url: string; name: string } {
  return isBucketPart(part) && typeof part.name === 'string' && IMAGE_NAME.test(part.name);
}

/** The text of a message's content: a string, or its text parts. */
export function contentText(content: Content | undefined): string {
  if (typeof content === 'string') {
    return content;
  }
  return Array.isArray(content) ? content.filter(isTextPart).map(part => part.text).join('\n\n') : '';
}

/** The reasoning of an item as text (the chat widget stores `{text}`). */
export function reasoningText(item: IChatItem): string {
  const reasoning = item.reasoning;
  if (typeof reasoning === 'string') {
    return reasoning;
  }
  return typeof reasoning?.text === 'string' ? reasoning.text : '';
}

/** The bucket parts of a message (files and pictures that went along with it). */
export function bucketParts(content: Content | undefined): Array<{ bucket_id: string; url: string; name?: string }> {
  return Array.isArray(content) ? content.filter(isBucketPart) : [];
}

/** The content of a question: plain text, or the attachments' parts followed by the text. */
export function questionContent(text: string, attachments: ContentPart[]): Content {
  return attachments.length ? [...attachments, ...(text ? [{ type: 'text' as const, text }] : [])] : text;
}

/** The title a new conversation takes from its first question. */
export function titleFrom(text: string): string {
  return text.trim().split('\n')[0].slice(0, TITLE_LENGTH) || NEW_TITLE;
}

/** The messages a request carries: the system prompt, then every item that has content. */
export function historyMessages(conversation: IConversation): Array<{ role: Role; content: Content }> {
  const messages: Array<{ role: Role; content: Content }> = conversation.system
    ? [{ role: 'system', content: conversation.system }]
    : [];
  for (const item of conversation.items) {
    if (item.content && item.content.length) {
      messages.push({ role: item.role, content: item.content });
    }
  }
  return messages;
}

export interface IAnswerOptions {
  provider: string;
  model: string;
  /** `continue`: carry on with the last answer; `variant`: another version of it. */
  action?: 'continue' | 'variant';
}

/** The `/conversation` body that asks for the next answer to `conversation`. */
export function answerRequest(conversation: IConversation, options: IAnswerOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: newId(),
    conversation_id: conversation.id,
    provider: options.provider,
    model: options.model,
    messages: historyMessages(conversation)
  };
  if (options.action) {
    body.action = options.action;
  }
  const question = [...conversation.items].reverse().find(item => item.role === 'user');
  if (question?.context?.length) {
    body.context = question.context; // the server puts it just before the question
  }
  const state = options.provider ? conversation.data?.[options.provider] : undefined;
  if (state !== undefined) {
    body.conversation = state;
  }
  return body;
}

/**
 * The `prepare` body sent when a file is attached: the conversation so far with the attachment
 * and no question, so the server can read it while the question is still being typed.
 */
export function prepareRequest(
  conversation: IConversation,
  attachments: ContentPart[],
  options: IAnswerOptions
): Record<string, unknown> {
  const draft: IConversation = { ...conversation, items: [...conversation.items, { role: 'user', content: attachments }] };
  return { ...answerRequest(draft, options), action: 'prepare' };
}
