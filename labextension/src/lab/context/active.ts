/**
 * The chips that follow the notebook in front: its active cell (on by default while a notebook
 * is the main area's current document), or the selected cells when more than one is selected,
 * and the active cell's error when it has one. They stay after a question is sent and change
 * with the cell; × removes one until another cell (or selection) takes its place.
 */
import type { ILabShell } from '@jupyterlab/application';
import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import type { IContextChip } from '../../view/host';
import type { IChatPanel } from '../tokens';
import { cellItem, cellLabel, hasError, notebookLanguage, outputItem, selectedCells, selectionItem } from './cells';

const CELL = 'notebook:active';
const ERROR = 'notebook:active-error';
/** Redraw at most this often while the cell is typed in (its estimate follows). */
const TYPING_MS = 300;

export class ActiveCellChips {
  /** What the user removed (what the chip named then). */
  private readonly dismissed = new Map<string, string>();
  /** How to take each live chip away again. */
  private readonly removers = new Map<string, () => void>();
  private watched: ICellModel | null = null;
  private timer = 0;

  constructor(
    private readonly notebooks: INotebookTracker,
    private readonly labShell: ILabShell | null,
    private readonly chat: IChatPanel
  ) {
    const update = (): void => this.update();
    notebooks.currentChanged.connect(update);
    notebooks.activeCellChanged.connect(update);
    notebooks.selectionChanged.connect(update);
    labShell?.currentChanged.connect(update);
    this.update();
  }

  /** The notebook that has the focus of the main area, if any. */
  private get panel(): NotebookPanel | null {
    const panel = this.notebooks.currentWidget;
    if (!panel || (this.labShell && this.labShell.currentWidget !== panel)) {
      return null;
    }
    return panel;
  }

  private update(): void {
    window.clearTimeout(this.timer);
    const panel = this.panel;
    const active = panel?.content.activeCell ?? null;
    this.watch(active?.model ?? null);
    if (!panel || !active) {
      this.hide(CELL);
      this.hide(ERROR);
      return;
    }
    const language = notebookLanguage(panel);
    const selected = selectedCells(panel);
    const index = panel.content.activeCellIndex;
    const model = active.model;
    if (selected.length > 1) {
      const ids = selected.map(([cell]) => cell.id).join(',');
      this.show(CELL, `selection:${ids}`, {
        key: CELL,
        kind: 'selection',
        label: `${selected.length} selected cells`,
        title: `The selected cells of ${panel.context.path} (with their outputs)`,
        sticky: true,
        item: () => selectionItem(selected, language)
      });
      this.hide(ERROR);
      return;
    }
    const label = cellLabel(model, index);
    this.show(CELL, `cell:${model.id}`, {
      key: CELL,
      kind: 'cell',
      label,
      title: `The active cell of ${panel.context.path}`,
      sticky: true,
      item: () => cellItem(model, index, language)
    });
    if (hasError(model)) {
      this.show(ERROR, `error:${model.id}`, {
        key: ERROR,
        kind: 'output',
        label: `error of ${label}`,
        title: `The outputs of ${label}, with its traceback`,
        sticky: true,
        item: () => outputItem(model, index)
      });
    } else {
      this.hide(ERROR);
    }
  }

  /** Show `chip` for what `showing` names, unless the user removed it while it named that. */
  private show(key: string, showing: string, chip: IContextChip): void {
    if (this.dismissed.get(key) === showing) {
      this.hide(key);
      return;
    }
    this.dismissed.delete(key);
    this.removers.set(key, this.chat.addContext({ ...chip, removed: () => this.dismissed.set(key, showing) }));
  }

  private hide(key: string): void {
    this.removers.get(key)?.();
    this.removers.delete(key);
  }

  /** The active cell changed (typed in, run, its outputs): update soon. */
  private readonly changed = (): void => {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.update(), TYPING_MS);
  };

  /** Follow the active cell's source, outputs and execution count (its label and estimate change). */
  private watch(model: ICellModel | null): void {
    if (model === this.watched) {
      return;
    }
    const old = this.watched;
    if (old && !old.isDisposed) {
      old.contentChanged.disconnect(this.changed);
      old.stateChanged.disconnect(this.changed);
      if (old.type === 'code') {
        (old as ICodeCellModel).outputs.changed.disconnect(this.changed);
      }
    }
    this.watched = model;
    model?.contentChanged.connect(this.changed);
    model?.stateChanged.connect(this.changed);
    if (model?.type === 'code') {
      (model as ICodeCellModel).outputs.changed.connect(this.changed);
    }
  }
}
