/**
 * What a host (the JupyterLab panel, the web page) gives the chat view, and the points where
 * host-only features plug in: actions on code blocks (Lab: Insert into notebook), context chips
 * in the composer (Lab: the active cell, outputs, the notebook, files, kernel variables), `@`
 * mentions, and targets an answer's code may replace (Lab: the cell of a Fix, shown as a diff).
 */
import type { ChatClient } from '../chat/client';
import type { ContextKind, IContextItem } from '../chat/context';
import type { ICodeTargetRef, IServerConfig } from '../chat/types';

/** A button on every code block of an answer. */
export interface ICodeAction {
  label: string;
  /** Its class (for styling and tests), e.g. "g4fc-insert". */
  className: string;
  title: string;
  /** Do it with the block's code; a rejection is shown to the user. */
  run(code: string, language: string): Promise<void> | void;
}

/** A chip in the composer: context that goes along with the next question (its `item`). */
export interface IContextChip {
  /** A chip with the same key replaces this one. */
  key: string;
  kind: ContextKind;
  label: string;
  title?: string;
  /** The item as it stands now: asked for the chip's estimate and again when the question is sent. */
  item(): Promise<IContextItem> | IContextItem;
  /** Stays after a question is sent (the active cell follows the notebook); others go with one question. */
  sticky?: boolean;
  /** The user removed it (×). */
  removed?(): void;
}

/** One completion of an `@` mention. */
export interface IMention {
  /** What follows the `@` once picked. */
  text: string;
  /** What the list shows beside it (a variable's type, "file", "folder"). */
  detail: string;
  /** A folder: picking it completes on inside it. */
  partial?: boolean;
}

/** What `@` completes to in the prompt, and the chip a mention stands for. */
export interface IMentionSource {
  complete(query: string): Promise<IMention[]>;
  /** The chip for `@text`, or null when it names nothing this source knows. */
  chip(text: string): Promise<IContextChip | null>;
}

/** Where an answer's code would go (Lab: the cell of a Fix): its code shows as a diff, with these actions. */
export interface ICodeTarget {
  /** The text the code would replace, as it is now. */
  current(): string;
  actions: ICodeAction[];
}

/** Finds the target a question named, if this host can reach it (null: the block shows plainly). */
export type CodeTargetResolver = (ref: ICodeTargetRef) => ICodeTarget | null;

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
  /** Sources of `@` completions and their chips (hosts may add to them at any time). */
  mentions?: IMentionSource[];
  /** Resolvers of questions' targets, for the diff and actions on answers' code. */
  codeTargets?: CodeTargetResolver[];
  /** The web page's link to a conversation ("Web chat" in the panel); none on the page itself. */
  webChatUrl?(id: string): string;
  /** Open an exported file (Lab opens it; elsewhere the link opens JupyterLab's file). */
  openFile?(path: string): void;
  /** Ask the server for SSE framing instead of NDJSON (both parse the same). */
  sse?: boolean;
}
