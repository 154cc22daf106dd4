/**
 * `@` in the chat panel: the current notebook's kernel variables (`@df`: a summary computed in
 * the kernel, never the data) and the server's files (`@data/notes.py`: read through the contents
 * API, the file browser's own). Variables come first; a folder completes on inside it.
 */
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { Contents } from '@jupyterlab/services';

import type { IContextItem } from '../../chat/context';
import type { IContextChip, IMention, IMentionSource } from '../../view/host';
import { savedNotebookItem } from './cells';
import { variableNames, variableSummary, type IVariableName } from './kernel';

/** Names are asked again after this long (the list updates while `@…` is typed). */
const NAMES_FRESH_MS = 3000;
const MAX_FILES = 20;
/** Files larger than this are not sent (the server would trim them to the model's budget anyway). */
export const MAX_FILE_BYTES = 1_000_000;
const IDENTIFIER = /^[A-Za-z_]\w*$/;

export class NotebookMentions implements IMentionSource {
  private names: { at: number; kernel: unknown; list: Promise<IVariableName[]> } | null = null;

  constructor(
    private readonly notebooks: INotebookTracker,
    private readonly contents: Contents.IManager
  ) {}

  async complete(query: string): Promise<IMention[]> {
    const [variables, files] = await Promise.all([
      this.variables().catch(() => [] as IVariableName[]),
      this.files(query).catch(() => [] as IMention[])
    ]);
    const wanted = query.toLowerCase();
    const named = variables
      .filter(variable => variable.name.toLowerCase().startsWith(wanted))
      .map(variable => ({ text: variable.name, detail: variable.type }));
    return [...named, ...files];
  }

  async chip(text: string): Promise<IContextChip | null> {
    if (IDENTIFIER.test(text)) {
      let busy = false;
      const names = await this.variables().catch((error: Error) => {
        busy = error.message === 'kernel busy';
        return [] as IVariableName[];
      });
      if (busy || names.some(variable => variable.name === text)) {
        return this.variableChip(text); // a busy kernel: the chip says so (and is asked again at Send)
      }
    }
    return this.fileChip(text);
  }

  private get kernel() {
    return this.notebooks.currentWidget?.sessionContext.session?.kernel ?? null;
  }

  private variables(): Promise<IVariableName[]> {
    const kernel = this.kernel;
    if (!this.names || this.names.kernel !== kernel || Date.now() - this.names.at > NAMES_FRESH_MS) {
      this.names = { at: Date.now(), kernel, list: variableNames(kernel) };
      this.names.list.catch(() => (this.names = null)); // asked again next time
    }
    return this.names.list;
  }

  /** `@df`: its summary, asked of the kernel again when the question is sent (the last one if the kernel is busy then). */
  private variableChip(name: string): IContextChip {
    const panel = this.notebooks.currentWidget;
    let last: IContextItem | null = null;
    return {
      key: '',
      kind: 'variable',
      label: `@${name}`,
      title: `Kernel variable ${name}: a summary computed in the kernel (type, shape, first rows), not the data`,
      item: async () => {
        try {
          const summary = await variableSummary(panel?.sessionContext.session?.kernel, name);
          last = { kind: 'variable', label: name, text: summary.text };
        } catch (error) {
          if (!last) {
            throw error;
          }
        }
        return last;
      }
    };
  }

  /** Files (and folders) under the folder the query names, whose names start as the query's last part. */
  private async files(query: string): Promise<IMention[]> {
    const cut = query.lastIndexOf('/');
    const folder = cut >= 0 ? query.slice(0, cut) : '';
    const start = (cut >= 0 ? query.slice(cut + 1) : query).toLowerCase();
    const listing = await this.contents.get(folder, { content: true, type: 'directory' });
    const entries = (listing.content ?? []) as Contents.IModel[];
    return entries
      .filter(entry => entry.name.toLowerCase().startsWith(start) && (start.startsWith('.') || !entry.name.startsWith('.')))
      .slice(0, MAX_FILES)
      .map(entry =>
        entry.type === 'directory'
          ? { text: `${entry.path}/`, detail: 'folder', partial: true }
          : { text: entry.path, detail: entry.type === 'notebook' ? 'notebook' : 'file' }
      );
  }

  private async fileChip(path: string): Promise<IContextChip | null> {
    let found: Contents.IModel;
    try {
      found = await this.contents.get(path, { content: false });
    } catch {
      return null; // names no file: the text stays as typed
    }
    if (found.type === 'directory') {
      return null;
    }
    const contents = this.contents;
    return {
      key: '',
      kind: found.type === 'notebook' ? 'notebook' : 'file',
      label: path,
      title: `${path} from the file browser, as it is saved when the question is sent`,
      item: async () => {
        if (found.type !== 'notebook' && (found.size ?? 0) > MAX_FILE_BYTES) {
          throw new Error(`too large (${((found.size ?? 0) / 1e6).toFixed(1)} MB; at most ${MAX_FILE_BYTES / 1e6} MB)`);
        }
        if (found.type === 'notebook') {
          return savedNotebookItem(path, (await contents.get(path, { content: true })).content);
        }
        try {
          return { kind: 'file', label: path, text: String((await contents.get(path, { content: true, format: 'text' })).content ?? '') };
        } catch {
          throw new Error('not a text file');
        }
      }
    };
  }
}
