/**
 * What a host (the JupyterLab panel, the web page) gives the chat view, and the points where
 * host-only features plug in: actions on code blocks (Lab: Insert into notebook) and context
 * that goes along with a question (Lab: the active cell, for later plug-ins).
 */
import type { ChatClient } from '../chat/client';
import type { ContentPart, IServerConfig } from '../chat/types';

/** A button on every code block of an answer. */
export interface ICodeAction {
  label: string;
  /** Its class (for styling and tests), e.g. "g4fc-insert". */
  className: string;
  title: string;
  /** Do it with the block's code; a rejection is shown to the user. */
  run(code: string, language: string): Promise<void> | void;
}

/** Something that adds parts (text, files) to the next question when it is sent. */
export interface IPromptContext {
  parts(): Promise<ContentPart[]>;
}

/** Where the open conversation is remembered, so a reload reopens it. */
export interface IRemembered {
  recall(): string | null;
  remember(id: string | null): void;
}

export interface IChatHost {
  client: ChatClient;
  config: IServerConfig;
  place: IRemembered;
  /** Actions on code blocks; hosts may add to them at any time (they show on the next render). */
  codeActions: ICodeAction[];
  contexts: IPromptContext[];
  /** The web page's link to a conversation ("Web chat" in the panel); none on the page itself. */
  webChatUrl?(id: string): string;
  /** Open an exported file (Lab opens it; elsewhere the link opens JupyterLab's file). */
  openFile?(path: string): void;
  /** Ask the server for SSE framing instead of NDJSON (both parse the same). */
  sse?: boolean;
}
