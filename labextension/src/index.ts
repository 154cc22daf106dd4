/**
 * g4f chat in JupyterLab: the one chat view in a right-sidebar panel (launcher, command palette,
 * View menu), the Lab-only features that plug into it (Insert into notebook; the notebook's context,
 * Explain and Fix: ./lab/context/plugin), and the code cells
 * of `%%g4f -f code`, which a re-run replaces instead of adding another (./lab/codecells).
 */
import { ILabShell, ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';

import { inlineCompletion } from './completer';
import { placeCodeCells } from './lab/codecells';
import { chatIcon } from './lab/icon';
import { notebookContext } from './lab/context/plugin';
import { insertCode as insertIntoNotebook } from './lab/notebook';
import { ChatPanel, panelService } from './lab/panel';
import { IChatPanel } from './lab/tokens';

export { IChatPanel } from './lab/tokens';

const OPEN = 'g4f-jupyter:open-chat';

const chat: JupyterFrontEndPlugin<IChatPanel> = {
  id: 'g4f-jupyter:chat',
  description: 'g4f chat: a sidebar chat panel that streams answers, offline with the embedded model; chats saved on the server.',
  autoStart: true,
  provides: IChatPanel,
  optional: [ILabShell, ILayoutRestorer, ICommandPalette, ILauncher, IMainMenu, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    menu: IMainMenu | null,
    state: IStateDB | null
  ): IChatPanel => {
    const panel = new ChatPanel({
      state,
      restored: app.restored,
      openFile: path => void app.commands.execute('docmanager:open', { path })
    });
    panel.id = 'g4f-jupyter-chat';
    panel.title.icon = chatIcon;
    panel.title.caption = 'g4f chat';
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, 'g4f-jupyter-chat');

    const open = (): void => {
      labShell?.expandRight();
      app.shell.activateById(panel.id);
    };
    app.commands.addCommand(OPEN, {
      label: 'g4f chat',
      caption: 'Open the g4f chat panel (answers stream in; works offline with the embedded model)',
      icon: args => (args.isPalette ? undefined : chatIcon),
      execute: () => {
        open();
        panel.focusPrompt();
      }
    });
    palette?.addItem({ command: OPEN, category: 'g4f' });
    launcher?.add({ command: OPEN, category: 'Other', rank: 0 });
    menu?.viewMenu.addGroup([{ command: OPEN }], 100);

    return panelService(panel, open);
  }
};

const insertCode: JupyterFrontEndPlugin<void> = {
  id: 'g4f-jupyter:insert-code',
  description: 'Insert into notebook: code from an answer becomes a code cell below the active cell.',
  autoStart: true,
  requires: [IChatPanel, INotebookTracker],
  activate: (app: JupyterFrontEnd, panel: IChatPanel, notebooks: INotebookTracker) => {
    panel.addCodeAction({
      label: 'Insert into notebook',
      className: 'g4fc-insert',
      title: 'Add this code as a new cell below the active cell of the notebook',
      run: code => insertIntoNotebook(app, notebooks, code)
    });
  }
};

const codeCells: JupyterFrontEndPlugin<void> = {
  id: 'g4f-jupyter:code-cells',
  description: '%%g4f -f code: the code goes into the cell below the asking cell, and a re-run replaces it.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, notebooks: INotebookTracker) => placeCodeCells(notebooks)
};

export default [chat, insertCode, codeCells, inlineCompletion, notebookContext];
