/** "Insert into the notebook": code from an answer becomes a new code cell below the active one. */
import { NotebookActions, INotebookTracker } from '@jupyterlab/notebook';

/** Insert `code` below the active cell of the current notebook; false when no notebook is open. */
export function insertBelowActiveCell(tracker: INotebookTracker, code: string): boolean {
  const panel = tracker.currentWidget;
  if (!panel) {
    return false;
  }
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  NotebookActions.changeCellType(notebook, 'code');
  notebook.activeCell?.model.sharedModel.setSource(code.replace(/\n$/, ''));
  return true;
}
