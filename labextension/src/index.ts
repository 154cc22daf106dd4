/**
 * g4f chat in JupyterLab: a right-sidebar chat panel on the server's /backend-api/v2 routes,
 * opened from the launcher, the command palette or the View menu ("g4f chat"); and the code
 * cells of `%%g4f -f code`, which a re-run replaces instead of adding another (./codecells).
 */
import { ILabShell, ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { placeCodeCells } from './codecells';
import { chatIcon } from './icon';
import { insertBelowActiveCell } from './notebook';
import { ChatPanel } from './panel';

const OPEN = 'g4f-jupyter:open-chat';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'g4f-jupyter:chat',
  description: 'g4f chat: a sidebar chat panel that streams answers, offline with the embedded model.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILabShell, ILayoutRestorer, ICommandPalette, ILauncher, IMainMenu],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    menu: IMainMenu | null
  ) => {
    /** Code from an answer goes below the active cell; with no notebook open, into a new one. */
    const insertCode = async (code: string): Promise<void> => {
      if (!notebooks.currentWidget) {
        const created: NotebookPanel = await app.commands.execute('notebook:create-new');
        await created.context.ready;
        app.shell.activateById(created.id);
      }
      if (!insertBelowActiveCell(notebooks, code)) {
        throw new Error('Open a notebook to insert code into it.');
      }
    };
    placeCodeCells(notebooks);
    const panel = new ChatPanel(insertCode);
    panel.id = 'g4f-jupyter-chat';
    panel.title.icon = chatIcon;
    panel.title.caption = 'g4f chat';
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, 'g4f-jupyter-chat');

    app.commands.addCommand(OPEN, {
      label: 'g4f chat',
      caption: 'Open the g4f chat panel (answers stream in; works offline with the embedded model)',
      icon: args => (args.isPalette ? undefined : chatIcon),
      execute: () => {
        labShell?.expandRight();
        app.shell.activateById(panel.id);
        panel.focusPrompt();
      }
    });
    palette?.addItem({ command: OPEN, category: 'g4f' });
    launcher?.add({ command: OPEN, category: 'Other', rank: 0 });
    menu?.viewMenu.addGroup([{ command: OPEN }], 100);
  }
};

export default plugin;
