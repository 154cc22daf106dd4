/**
 * A notebook's cells as context items, read from the notebook model when a question is sent:
 * a cell's source, several cells, a cell's outputs (its traceback included), the whole notebook.
 * Outputs go as nbformat outputs with their text only: pictures and HTML are named by their
 * MIME type, never sent (the server summarizes and trims; this only keeps megabytes of base64
 * out of the request).
 */
import type { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';

import type { IContextItem, NbJson } from '../../chat/context';

/** The notebook's language: its kernel's (kept in the metadata by Lab), else python. */
export function notebookLanguage(panel: NotebookPanel): string {
  const info = panel.model?.getMetadata('language_info') as { name?: unknown } | undefined;
  const spec = panel.model?.getMetadata('kernelspec') as { language?: unknown } | undefined;
  const name = info?.name ?? spec?.language;
  return typeof name === 'string' && name ? name : 'python';
}

function isCode(model: ICellModel): model is ICodeCellModel {
  return model.type === 'code';
}

/** How a cell is named to the model and on its chip: `In [3]` once run, else its place. */
export function cellLabel(model: ICellModel, index: number): string {
  if (isCode(model)) {
    return model.executionCount ? `In [${model.executionCount}]` : `cell ${index + 1}`;
  }
  return `${model.type} cell ${index + 1}`;
}

/** An output with its text only: other MIME types stay as names (empty values). */
function textOnly(output: NbJson): NbJson {
  const data = output.data as Record<string, unknown> | undefined;
  if (!data) {
    return output; // streams and errors are text already
  }
  const kept: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(data)) {
    kept[mime] = mime === 'text/plain' ? value : '';
  }
  return { ...output, data: kept, metadata: {} };
}

/** A cell's outputs as nbformat JSON, text only. */
export function cellOutputs(model: ICellModel): NbJson[] {
  return isCode(model) ? (model.outputs.toJSON() as unknown as NbJson[]).map(textOnly) : [];
}

/** Whether a cell's outputs hold an error (a traceback). */
export function hasError(model: ICellModel): boolean {
  if (!isCode(model)) {
    return false;
  }
  for (let i = 0; i < model.outputs.length; i++) {
    if (model.outputs.get(i).type === 'error') {
      return true;
    }
  }
  return false;
}

/** One cell as nbformat JSON (source, count, text outputs): what a notebook or selection item lists. */
function cellJson(model: ICellModel): NbJson {
  const source = model.sharedModel.getSource();
  if (!isCode(model)) {
    return { cell_type: model.type, source };
  }
  return { cell_type: 'code', source, execution_count: model.executionCount, outputs: cellOutputs(model) };
}

/** The selected cells (the active one included) with their places, in notebook order. */
export function selectedCells(panel: NotebookPanel): Array<[ICellModel, number]> {
  const notebook = panel.content;
  const selected: Array<[ICellModel, number]> = [];
  notebook.widgets.forEach((cell, index) => {
    if (notebook.isSelectedOrActive(cell)) {
      selected.push([cell.model, index]);
    }
  });
  return selected;
}

/** The active cell: its source. */
export function cellItem(model: ICellModel, index: number, language: string): IContextItem {
  return {
    kind: 'cell',
    label: cellLabel(model, index),
    text: model.sharedModel.getSource(),
    language: model.type === 'code' ? language : model.type
  };
}

/** A cell's outputs (its error's traceback included). */
export function outputItem(model: ICellModel, index: number): IContextItem {
  return { kind: 'output', label: cellLabel(model, index), outputs: cellOutputs(model) };
}

/** Several cells (with their outputs), in notebook order. */
export function selectionItem(models: Array<[ICellModel, number]>, language: string): IContextItem {
  const labels = models.map(([model, index]) => cellLabel(model, index));
  const label = labels.length > 3 ? `${labels[0]} … ${labels[labels.length - 1]}` : labels.join(', ');
  return { kind: 'selection', label, cells: models.map(([model]) => cellJson(model)), language };
}

/** The whole notebook: every cell, code and Markdown, outputs as text (the server summarizes them). */
export function notebookItem(panel: NotebookPanel): IContextItem {
  const cells: NbJson[] = [];
  const all = panel.model?.cells;
  for (let i = 0; i < (all?.length ?? 0); i++) {
    cells.push(cellJson(all!.get(i)));
  }
  return { kind: 'notebook', label: panel.context.path, cells, language: notebookLanguage(panel) };
}

/** A notebook file as saved (nbformat JSON from the contents API), outputs as text. */
export function savedNotebookItem(path: string, notebook: unknown): IContextItem {
  const json = (notebook ?? {}) as { cells?: NbJson[]; metadata?: { language_info?: { name?: unknown } } };
  const cells = (json.cells ?? []).map(cell =>
    Array.isArray(cell.outputs) ? { ...cell, outputs: (cell.outputs as NbJson[]).map(textOnly) } : cell
  );
  const language = json.metadata?.language_info?.name;
  return { kind: 'notebook', label: path, cells, language: typeof language === 'string' ? language : 'python' };
}
