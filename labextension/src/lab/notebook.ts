/**
 * "Insert into notebook": code from an answer becomes a new code cell below the active one. With
 * no notebook open, a new notebook is made on the server's default kernel (started without the
 * kernel dialog) and the code goes into its first cell, so no empty cell is left above it.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { NotebookActions, type INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';

/** A new notebook in the file browser's folder, on the default kernel, open and active. */
async function newNotebook(app: JupyterFrontEnd): Promise<NotebookPanel> {
  const kernelspecs = app.serviceManager.kernelspecs;
  await kernelspecs.ready;
  const kernelName = kernelspecs.specs?.default;
  const panel: NotebookPanel = await app.commands.execute('notebook:create-new', kernelName ? { kernelName } : {});
  await panel.context.ready;
  app.shell.activateById(panel.id);
  return panel;
}

/** Insert `code` below the active cell of the current notebook (a new notebook when none is open). */
export async function insertCode(app: JupyterFrontEnd, tracker: INotebookTracker, code: string): Promise<void> {
  const source = code.replace(/\n$/, '');
  let panel = tracker.currentWidget;
  if (!panel) {
    panel = await newNotebook(app);
    const cells = panel.model?.cells;
    if (cells?.length === 1 && cells.get(0).type === 'code' && !cells.get(0).sharedModel.getSource()) {
      cells.get(0).sharedModel.setSource(source); // the new notebook's one empty cell takes the code
      return;
    }
  }
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  NotebookActions.changeCellType(notebook, 'code');
  notebook.activeCell?.model.sharedModel.setSource(source);
}
