/**
 * Explain and Fix a notebook cell from the chat panel. "g4f: Explain cell" and "g4f: Fix cell"
 * (command palette, the cell's context menu, and Fix on a button under error outputs) open the
 * panel and ask with exactly that cell and its outputs (the traceback) as context. A Fix names
 * its cell as the answer's target, so the answer's code shows as a diff against the cell with
 * Apply (the cell's source replaced through its shared model: Ctrl+Z in the cell undoes it),
 * Apply and run, and Insert below.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Cell, ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { NotebookActions, type INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import type { PanelLayout } from '@lumino/widgets';
import { Widget } from '@lumino/widgets';

import type { IContextItem } from '../chat/context';
import type { ICodeTargetRef } from '../chat/types';
import type { ICodeTarget } from '../view/host';
import { cellItem, hasError, notebookLanguage, outputItem } from './context/cells';
import type { IChatPanel } from './tokens';

export const EXPLAIN = 'g4f-jupyter:explain-cell';
export const FIX = 'g4f-jupyter:fix-cell';

/** Which cell a command acts on: `path` and `cellId` when given (the error button), else the active cell. */
interface ICellArgs {
  path?: string;
  cellId?: string;
}

interface IFound {
  panel: NotebookPanel;
  cell: Cell;
  index: number;
}

/** A Fix's target as stored with its question: the notebook's path and the cell's id. */
interface ICellTargetRef extends ICodeTargetRef {
  kind: 'cell';
  path: string;
  cell_id: string;
}

function findCell(notebooks: INotebookTracker, args: ICellArgs): IFound | null {
  const panel = args.path ? notebooks.find(p => p.context.path === args.path) : notebooks.currentWidget;
  if (!panel) {
    return null;
  }
  const widgets = panel.content.widgets;
  const index = args.cellId ? widgets.findIndex(cell => cell.model.id === args.cellId) : panel.content.activeCellIndex;
  return index >= 0 && index < widgets.length ? { panel, cell: widgets[index], index } : null;
}

/** The cell and, when it has any, its outputs. */
function cellContext(found: IFound): IContextItem[] {
  const model = found.cell.model;
  const items = [cellItem(model, found.index, notebookLanguage(found.panel))];
  if (model.type === 'code' && (model as ICodeCellModel).outputs.length) {
    items.push(outputItem(model, found.index));
  }
  return items;
}

/** The code of an answer as a cell's source (no trailing newline, as Lab keeps sources). */
function asSource(code: string): string {
  return code.replace(/\n$/, '');
}

/** The cell a stored target names, while its notebook is open. */
function targetCell(notebooks: INotebookTracker, ref: ICellTargetRef): IFound {
  const found = findCell(notebooks, { path: ref.path, cellId: ref.cell_id });
  if (!found) {
    throw new Error(`the cell is no longer in ${ref.path} (or the notebook is closed)`);
  }
  return found;
}

/** Apply, Apply and run, Insert below: on the Fix's cell. */
function cellTarget(notebooks: INotebookTracker, ref: ICellTargetRef, model: ICellModel): ICodeTarget {
  const apply = (code: string): IFound => {
    const found = targetCell(notebooks, ref);
    found.cell.model.sharedModel.setSource(asSource(code)); // one undoable change in the cell's history
    return found;
  };
  return {
    current: () => model.sharedModel.getSource(),
    actions: [
      {
        label: 'Apply',
        className: 'g4fc-apply',
        title: "Replace the cell's code with this (Ctrl+Z in the cell undoes it)",
        run: code => void apply(code)
      },
      {
        label: 'Apply and run',
        className: 'g4fc-apply-run',
        title: "Replace the cell's code with this and run the cell",
        run: async code => {
          const { panel, index } = apply(code);
          const notebook = panel.content;
          notebook.deselectAll();
          notebook.activeCellIndex = index;
          await NotebookActions.run(notebook, panel.sessionContext);
        }
      },
      {
        label: 'Insert below',
        className: 'g4fc-insert-below',
        title: 'Add this code as a new cell below the cell',
        run: code => {
          const { panel, index } = targetCell(notebooks, ref);
          panel.model?.sharedModel.insertCell(index + 1, { cell_type: 'code', source: asSource(code) });
        }
      }
    ]
  };
}

/** "Fix with g4f" under a cell's outputs while they hold an error. */
class ErrorActions extends Widget {
  constructor(app: JupyterFrontEnd, panel: NotebookPanel, model: ICellModel) {
    super();
    this.addClass('g4f-error-actions');
    const fix = document.createElement('button');
    fix.type = 'button';
    fix.className = 'jp-Button jp-mod-styled jp-mod-small g4f-fix-error';
    fix.textContent = 'Fix with g4f';
    fix.title = 'Ask the g4f chat to fix this cell (the answer shows as a diff to apply)';
    fix.addEventListener('click', () => void app.commands.execute(FIX, { path: panel.context.path, cellId: model.id }));
    this.node.append(fix);
  }
}

/** Put ErrorActions under every code cell whose outputs hold an error, now and as outputs change. */
function watchErrors(app: JupyterFrontEnd, panel: NotebookPanel): void {
  const bars = new WeakMap<Cell, ErrorActions>();
  const sync = (cell: Cell): void => {
    if (cell.isDisposed || cell.model.type !== 'code') {
      return;
    }
    let bar = bars.get(cell);
    const error = hasError(cell.model);
    if (error && !bar) {
      bar = new ErrorActions(app, panel, cell.model);
      bars.set(cell, bar);
      (cell.layout as PanelLayout).addWidget(bar); // after the cell's outputs and footer
    }
    bar?.setHidden(!error);
  };
  const seen = new WeakSet<Cell>();
  const watchAll = (): void => {
    for (const cell of panel.content.widgets) {
      if (seen.has(cell) || cell.model.type !== 'code') {
        continue;
      }
      seen.add(cell);
      (cell.model as ICodeCellModel).outputs.changed.connect(() => sync(cell));
      void cell.ready.then(() => sync(cell)); // once its DOM is built (cells out of view are built late)
    }
  };
  void panel.context.ready.then(() => {
    watchAll();
    panel.model?.cells.changed.connect(() => setTimeout(watchAll)); // after the notebook made the new cells' widgets
  });
}

/** The commands, their menu and palette entries, the code target of Fix answers and the error buttons. */
export function setUpExplainAndFix(
  app: JupyterFrontEnd,
  notebooks: INotebookTracker,
  chat: IChatPanel,
  addToPalette: (command: string) => void
): void {
  const ask = (fix: boolean) => async (args: ICellArgs) => {
    const found = findCell(notebooks, args);
    if (!found) {
      throw new Error('open a notebook and pick a cell first');
    }
    const failed = hasError(found.cell.model);
    const context = cellContext(found);
    if (!fix) {
      await chat.ask(failed ? 'Explain what this cell does and why it fails.' : 'Explain what this cell does.', { context });
      return;
    }
    const target: ICellTargetRef = { kind: 'cell', path: found.panel.context.path, cell_id: found.cell.model.id };
    const question = failed
      ? 'Fix the error in this cell. Answer with the whole corrected cell in one code block.'
      : 'Fix this cell. Answer with the whole corrected cell in one code block.';
    await chat.ask(question, { context, target });
  };
  const isEnabled = (args: ICellArgs): boolean => findCell(notebooks, args) !== null;
  app.commands.addCommand(EXPLAIN, {
    label: 'g4f: Explain cell',
    caption: 'Ask the g4f chat what this cell does (and why it fails, with its traceback)',
    isEnabled: args => isEnabled(args as ICellArgs),
    execute: args => ask(false)(args as ICellArgs)
  });
  app.commands.addCommand(FIX, {
    label: 'g4f: Fix cell',
    caption: "Ask the g4f chat to fix this cell; its answer shows as a diff against the cell's code",
    isEnabled: args => isEnabled(args as ICellArgs),
    execute: args => ask(true)(args as ICellArgs)
  });
  for (const [command, rank] of [[EXPLAIN, 60], [FIX, 61]] as const) {
    addToPalette(command);
    app.contextMenu.addItem({ command, selector: '.jp-Notebook .jp-Cell', rank });
  }
  chat.addCodeTarget(ref => {
    if (ref.kind !== 'cell' || typeof ref.path !== 'string' || typeof ref.cell_id !== 'string') {
      return null;
    }
    const found = findCell(notebooks, { path: ref.path, cellId: ref.cell_id });
    return found ? cellTarget(notebooks, ref as ICellTargetRef, found.cell.model) : null;
  });
  notebooks.forEach(panel => watchErrors(app, panel));
  notebooks.widgetAdded.connect((_, panel) => watchErrors(app, panel));
}
