/**
 * The notebook's context in the chat panel: the active cell (or selection) and its error follow
 * the notebook in front; commands add the selected cells, a cell's outputs or the whole notebook
 * as chips; `@` completes kernel variables and files; Explain and Fix ask about a cell. The
 * command `g4f-jupyter:context` returns what the next question would carry, read as Send reads
 * it (the assembly benchmark times it in the browser).
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';

import type { IContextChip } from '../../view/host';
import { setUpExplainAndFix } from '../fix';
import { IChatPanel } from '../tokens';
import { ActiveCellChips } from './active';
import { cellItem, cellLabel, notebookItem, notebookLanguage, outputItem, selectedCells, selectionItem } from './cells';
import { NotebookMentions } from './mentions';

const OPEN_CHAT = 'g4f-jupyter:open-chat';
export const CONTEXT = 'g4f-jupyter:context';
const ADD_CELLS = 'g4f-jupyter:add-cells';
const ADD_OUTPUTS = 'g4f-jupyter:add-outputs';
const ADD_NOTEBOOK = 'g4f-jupyter:add-notebook';

/** The notebook in front, still open. */
function openPanel(notebooks: INotebookTracker): NotebookPanel {
  const panel = notebooks.currentWidget;
  if (!panel) {
    throw new Error('open a notebook first');
  }
  return panel;
}

function alive(panel: NotebookPanel): NotebookPanel {
  if (panel.isDisposed) {
    throw new Error('the notebook was closed');
  }
  return panel;
}

/** The chips each command pins (they go with the next question). */
function pinnedChip(command: string, panel: NotebookPanel): IContextChip {
  const notebook = panel.content;
  const path = panel.context.path;
  if (command === ADD_NOTEBOOK) {
    return {
      key: `notebook:${path}`,
      kind: 'notebook',
      label: path,
      title: `All cells of ${path}, code and Markdown, outputs summarized (read when the question is sent)`,
      item: () => notebookItem(alive(panel))
    };
  }
  const index = notebook.activeCellIndex;
  const active = notebook.activeCell;
  if (!active) {
    throw new Error('pick a cell first');
  }
  if (command === ADD_OUTPUTS) {
    const model = active.model;
    return { key: `outputs:${model.id}`, kind: 'output', label: `output of ${cellLabel(model, index)}`, item: () => outputItem(model, index) };
  }
  const selected = selectedCells(panel);
  const language = notebookLanguage(panel);
  if (selected.length === 1) {
    const [[model, at]] = selected;
    return { key: `cells:${model.id}`, kind: 'cell', label: cellLabel(model, at), item: () => cellItem(model, at, language) };
  }
  return {
    key: `cells:${selected.map(([model]) => model.id).join(',')}`,
    kind: 'selection',
    label: `${selected.length} cells`,
    item: () => selectionItem(selected, language)
  };
}

export const notebookContext: JupyterFrontEndPlugin<void> = {
  id: 'g4f-jupyter:notebook-context',
  description: 'The notebook in the g4f chat: context chips (active cell, selection, outputs, notebook, @files, @variables), Explain and Fix cell.',
  autoStart: true,
  requires: [IChatPanel, INotebookTracker],
  optional: [ILabShell, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    chat: IChatPanel,
    notebooks: INotebookTracker,
    labShell: ILabShell | null,
    palette: ICommandPalette | null
  ) => {
    new ActiveCellChips(notebooks, labShell, chat);
    chat.addMentions(new NotebookMentions(notebooks, app.serviceManager.contents));
    const addToPalette = (command: string): void => {
      palette?.addItem({ command, category: 'g4f' });
    };

    const adds: Array<[string, string, string]> = [
      [ADD_CELLS, 'g4f: Add selected cells to chat', 'The selected cells (with their outputs) go with the next question'],
      [ADD_OUTPUTS, 'g4f: Add cell outputs to chat', "The active cell's outputs (its traceback too) go with the next question"],
      [ADD_NOTEBOOK, 'g4f: Add notebook to chat', 'The whole notebook (code and Markdown, outputs summarized) goes with the next question']
    ];
    adds.forEach(([command, label, caption], rank) => {
      app.commands.addCommand(command, {
        label,
        caption,
        isEnabled: () => notebooks.currentWidget !== null,
        execute: async () => {
          chat.addContext(pinnedChip(command, openPanel(notebooks)));
          await app.commands.execute(OPEN_CHAT);
        }
      });
      addToPalette(command);
      app.contextMenu.addItem({ command, selector: '.jp-Notebook .jp-Cell', rank: 62 + rank });
    });
    app.commands.addCommand(CONTEXT, {
      label: 'g4f: Context of the next question',
      caption: 'The context items the next question would carry, read as Send reads them',
      execute: () => chat.context()
    });
    setUpExplainAndFix(app, notebooks, chat, addToPalette);
  }
};
