/**
 * `%%g4f -f code` in a notebook: the answer's code goes into the code cell below the asking
 * cell, and a re-run REPLACES that cell's source instead of adding another copy.
 *
 * A kernel can only add a cell below (`set_next_input`), never edit another one, so this
 * extension does the editing. Handshake, per execute request so nothing is done twice:
 * every execute request a tracked notebook sends carries `metadata.g4f_jupyter.places_code_cells`;
 * the magic sees it and, instead of `set_next_input`, displays a bundle of CODE_MIME
 * (`{"code", "source_cell"}`) beside a text fallback. This module reads that bundle from the
 * notebook's iopub stream (only for requests this window sent) and inserts or replaces the cell
 * tagged `metadata.g4f_jupyter.source_cell`. Frontends without this extension never send the
 * flag, so the kernel keeps `set_next_input` for them.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';

/** The MIME type of the magic's "place this code" bundle (must match g4f_jupyter/magics/render.py). */
const CODE_MIME = 'application/vnd.g4f-jupyter.code+json';
/** The key of the execute-request flag and of the inserted cell's metadata. */
const KEY = 'g4f_jupyter';

interface ICodeBundle {
  code: string;
  source_cell: string;
}

const flagged = new WeakSet<Kernel.IKernelConnection>();

/** Make every execute request of `kernel` say that this frontend places code cells itself. */
function flagExecuteRequests(kernel: Kernel.IKernelConnection | null | undefined): void {
  if (!kernel || flagged.has(kernel)) {
    return;
  }
  flagged.add(kernel);
  const send = kernel.requestExecute.bind(kernel);
  kernel.requestExecute = (content, disposeOnDone, metadata) =>
    send(content, disposeOnDone, { ...metadata, [KEY]: { places_code_cells: true } });
}

/** The bundle in an iopub message, when it is one of ours and well formed. */
function codeBundle(msg: KernelMessage.IMessage): ICodeBundle | null {
  if (!KernelMessage.isDisplayDataMsg(msg)) {
    return null;
  }
  const bundle = msg.content.data[CODE_MIME] as Partial<ICodeBundle> | undefined;
  if (!bundle || typeof bundle.code !== 'string' || typeof bundle.source_cell !== 'string') {
    return null;
  }
  return { code: bundle.code, source_cell: bundle.source_cell };
}

/** Replace the source of the cell tagged for `bundle.source_cell`, or insert one below the source cell. */
function placeCode(model: INotebookModel, bundle: ICodeBundle): boolean {
  const code = bundle.code.replace(/\n$/, '');
  let sourceIndex = -1;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    const tag = cell.getMetadata(KEY) as { source_cell?: unknown } | undefined;
    if (cell.type === 'code' && tag?.source_cell === bundle.source_cell) {
      cell.sharedModel.setSource(code);
      return true;
    }
    if (cell.id === bundle.source_cell) {
      sourceIndex = i;
    }
  }
  if (sourceIndex < 0) {
    return false; // the asking cell is gone: the code stays visible in its output only
  }
  model.sharedModel.insertCell(sourceIndex + 1, {
    cell_type: 'code',
    source: code,
    metadata: { [KEY]: { source_cell: bundle.source_cell } }
  });
  return true;
}

function watch(panel: NotebookPanel): void {
  const context: ISessionContext = panel.sessionContext;
  flagExecuteRequests(context.session?.kernel);
  context.kernelChanged.connect((_, change) => flagExecuteRequests(change.newValue));
  context.iopubMessage.connect((_, msg) => {
    const kernel = context.session?.kernel;
    const bundle = codeBundle(msg);
    // only answers to this window's requests: another window on the same kernel places its own
    if (bundle && kernel && msg.parent_header && 'session' in msg.parent_header &&
        msg.parent_header.session === kernel.clientId && panel.content.model) {
      placeCode(panel.content.model, bundle);
    }
  });
}

/** Watch every notebook the tracker sees, now and later. */
export function placeCodeCells(tracker: INotebookTracker): void {
  tracker.forEach(watch);
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}
