/**
 * Context items: what goes along with a question beside its messages (`context` in a
 * `/conversation` body): a cell, selected cells, a cell's outputs, the whole notebook, a file,
 * a kernel variable. The browser sends them raw; the server formats, trims and places them
 * (the one trimming rule lives there). Here: their shape, the rough size shown on a chip, and
 * the `@name` mentions of a question.
 */

export type ContextKind = 'cell' | 'selection' | 'output' | 'notebook' | 'file' | 'variable';

/** An nbformat cell or output, as the notebook model gives it (`toJSON()`). */
export type NbJson = Record<string, unknown>;

/** One context item: exactly one of `text`, `cells` (selection, notebook) or `outputs` (output). */
export interface IContextItem {
  kind: ContextKind;
  label?: string;
  text?: string;
  cells?: NbJson[];
  outputs?: NbJson[];
  language?: string;
}

/** The server takes at most this many items with one question. */
export const MAX_CONTEXT_ITEMS = 200;

/** An nbformat multiline string (a string or a list of strings) as one string. */
export function joined(value: unknown): string {
  if (Array.isArray(value)) {
    return value.filter((part): part is string => typeof part === 'string').join('');
  }
  return typeof value === 'string' ? value : '';
}

/** The characters of an output the server reads: stream text, `text/plain`, a traceback. */
function outputChars(output: NbJson): number {
  const data = output.data as Record<string, unknown> | undefined;
  const traceback = Array.isArray(output.traceback) ? output.traceback : [];
  return (
    joined(output.text).length +
    joined(data?.['text/plain']).length +
    traceback.reduce<number>((sum, line) => sum + joined(line).length + 1, 0)
  );
}

function cellChars(cell: NbJson): number {
  const outputs = Array.isArray(cell.outputs) ? (cell.outputs as NbJson[]) : [];
  return joined(cell.source).length + outputs.reduce((sum, output) => sum + outputChars(output), 0);
}

/** About how many characters the item carries (before the server summarizes or trims it). */
export function itemChars(item: IContextItem): number {
  if (item.cells) {
    return item.cells.reduce((sum, cell) => sum + cellChars(cell), 0);
  }
  if (item.outputs) {
    return item.outputs.reduce((sum, output) => sum + outputChars(output), 0);
  }
  return (item.text ?? '').length;
}

/** The chip's estimate: about four characters a token, as the server estimates. */
export function estimateTokens(item: IContextItem): number {
  return Math.ceil(itemChars(item) / 4);
}

/** `@name` and `@path/to/file.py` in a question (after a space or at the start; not e-mail addresses). */
const MENTION = /(?:^|\s)@([\w./-]*[\w/])/g;

/** The names a question mentions with `@`, each once, in order. */
export function mentionsIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(MENTION)) {
    if (!found.includes(match[1])) {
      found.push(match[1]);
    }
  }
  return found;
}

/** The `@` word being typed just before the cursor (`''` right after the `@`), or null. */
export function mentionAt(text: string, cursor: number): { start: number; query: string } | null {
  const match = /(?:^|\s)@([\w./-]*)$/.exec(text.slice(0, cursor));
  if (!match) {
    return null;
  }
  return { start: cursor - match[1].length - 1, query: match[1] };
}
