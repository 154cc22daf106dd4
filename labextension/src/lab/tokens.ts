/**
 * The chat panel as a JupyterLab service: other plug-ins add Lab-only features to the one chat
 * view through it (Insert into notebook, the notebook's context chips, `@` mentions, Explain and
 * Fix with their diff).
 */
import { Token } from '@lumino/coreutils';

import type { IContextItem } from '../chat/context';
import type { IAskOptions } from '../view/chatview';
import type { CodeTargetResolver, ICodeAction, IContextChip, IMentionSource } from '../view/host';

export interface IChatPanel {
  /** Put a button on every code block of the answers; the returned function takes it away. */
  addCodeAction(action: ICodeAction): () => void;
  /** Show `chip` in the composer (replacing one with the same key); the returned function takes it away. */
  addContext(chip: IContextChip): () => void;
  /** Offer completions of `@` in the prompt, and the chips they stand for. */
  addMentions(source: IMentionSource): () => void;
  /** Answers to questions with a target this resolver knows show their code as a diff, with its actions. */
  addCodeTarget(resolve: CodeTargetResolver): () => void;
  /** Open the panel and ask `text` in its chat (with `options.context`: that context, not the chips'). */
  ask(text: string, options?: IAskOptions): Promise<void>;
  /** The context the next question would carry now, read as Send reads it. */
  context(): Promise<IContextItem[]>;
}

export const IChatPanel = new Token<IChatPanel>(
  'g4f-jupyter:IChatPanel',
  'The g4f chat panel: code-block actions, context chips, @ mentions, code targets and asking from other plug-ins.'
);
