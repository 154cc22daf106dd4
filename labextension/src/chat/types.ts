/**
 * The shapes the chat front-end reads and writes: the protocol's conversation object (spec §5.1),
 * the parts a message's content is made of (§4.6), the streamed events (§2.4) and the catalog (§3).
 */

import type { IContextItem } from './context';

/** Where an answer's code would go, as the host that asked names it (Lab: a notebook's cell). */
export interface ICodeTargetRef {
  kind: string;
  [key: string]: unknown;
}

/** One part of a message's content: text, a bucket's text, a bucket's media file, or inline media. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { bucket_id: string; url: string; name?: string }
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'input_audio'; input_audio: Record<string, unknown> };

export type Content = string | ContentPart[];

export type Role = 'user' | 'assistant' | 'system';

/** Who answered: the `provider` event's value. */
export interface IProviderInfo {
  name?: string;
  label?: string;
  url?: string;
  model?: string;
}

/** Token counts as the `usage` event carries them (more keys may come along). */
export interface IUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  [key: string]: unknown;
}

/** One message of a conversation, as upstream's clients store it. */
export interface IChatItem {
  role: Role;
  content: Content;
  provider?: IProviderInfo;
  usage?: IUsage;
  /** The reasoning text (the chat widget stores `{text}`). */
  reasoning?: string | { text?: string };
  finish?: { reason?: string };
  synthesize?: Record<string, unknown>;
  /** What the server handed back for continuing this answer (`continue` event). */
  continue?: unknown;
  /** What the server handed back for another version of this answer (`variant` event). */
  variant?: unknown;
  /** A question's context items (cells, outputs, files, variables): sent with it again on Regenerate. */
  context?: IContextItem[];
  /** What a question's answer may replace (a cell, for Fix): its code shows as a diff there. */
  target?: ICodeTargetRef;
  [key: string]: unknown;
}

/** A conversation (spec §5.1); `data` holds each provider's state to send back next turn. */
export interface IConversation {
  id: string;
  title: string;
  added: number;
  updated: number;
  system?: string;
  items: IChatItem[];
  data?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One row of the server's conversation list. */
export interface IConversationSummary {
  id: string;
  title: string;
  added: number;
  updated: number;
  messages: number;
  preview: string;
}

/** A streamed event: `type` names the key that carries its value (spec §2.4). */
export interface IStreamEvent {
  type: string;
  [key: string]: unknown;
}

export interface IProvider {
  name: string;
  label?: string;
  auth?: boolean;
  vision?: boolean;
  active_by_default?: boolean;
}

export interface IModel {
  model?: string;
  id?: string;
  label?: string;
  default?: boolean;
  vision?: boolean;
  image?: boolean;
  task?: string;
}

/** `/models/<provider>` entries: a model, or a named group of models. */
export type ModelEntry = IModel | { group: string; models: IModel[] };

/** A provider that takes an API key, as `GET keys` lists it (never the key itself). */
export interface IKeyInfo {
  name: string;
  label: string;
  stored: boolean;
  needs_auth: boolean;
  variable?: string | null;
  variable_set: boolean;
}

/** What the server tells a chat front-end about itself (`g4f/config`, or inlined in the page). */
export interface IServerConfig {
  base_url: string;
  share_prefix: string;
  hub_shares: boolean;
  version: string;
}
