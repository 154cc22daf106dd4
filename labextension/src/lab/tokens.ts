/**
 * The chat panel as a JupyterLab service: other plug-ins add Lab-only features to the one chat
 * view through it (Insert into notebook here; cell context and Fix later).
 */
import { Token } from '@lumino/coreutils';

import type { ICodeAction, IPromptContext } from '../view/host';

export interface IChatPanel {
  /** Put a button on every code block of the answers; the returned function takes it away. */
  addCodeAction(action: ICodeAction): () => void;
  /** Let `context` add parts to every question sent from the panel; the returned function stops it. */
  addContext(context: IPromptContext): () => void;
  /** Open the panel and ask `text` in its chat. */
  ask(text: string): Promise<void>;
}

export const IChatPanel = new Token<IChatPanel>(
  'g4f-jupyter:IChatPanel',
  'The g4f chat panel: code-block actions, question context and asking from other plug-ins.'
);
