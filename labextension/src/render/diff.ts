/**
 * The one diff renderer of the chat: an answer's code against the text it would replace (a Fix
 * answer against its cell), line by line, drawn as text nodes only (nothing from an answer is
 * parsed as HTML). jsdiff finds the lines; long unchanged stretches fold to one line.
 */
import { diffLines } from 'diff';

/** Unchanged lines kept around each change; a longer unchanged stretch folds. */
const AROUND = 3;

function lines(text: string): string[] {
  const split = text.split('\n');
  if (split.length > 1 && split[split.length - 1] === '') {
    split.pop(); // the newline that ends the last line
  }
  return split;
}

function row(kind: 'add' | 'del' | 'same' | 'fold', text: string): HTMLElement {
  const node = document.createElement('div');
  node.className = `g4fc-diff-line g4fc-diff-${kind}`;
  const sign = { add: '+', del: '-', same: ' ', fold: '⋯' }[kind];
  node.textContent = `${sign} ${text}`;
  return node;
}

/** The diff from `before` to `after` as an element (`.g4fc-diff`), with counts of added and removed lines. */
export function renderDiff(before: string, after: string): { node: HTMLElement; added: number; removed: number } {
  const node = document.createElement('div');
  node.className = 'g4fc-diff';
  let added = 0;
  let removed = 0;
  const changes = diffLines(before.replace(/\n?$/, '\n'), after.replace(/\n?$/, '\n'));
  changes.forEach((change, index) => {
    const text = lines(change.value);
    if (change.added || change.removed) {
      const kind = change.added ? 'add' : 'del';
      added += change.added ? text.length : 0;
      removed += change.removed ? text.length : 0;
      node.append(...text.map(line => row(kind, line)));
      return;
    }
    const head = index === 0 ? 0 : AROUND; // context after the previous change
    const tail = index === changes.length - 1 ? 0 : AROUND; // context before the next one
    if (text.length <= head + tail + 1) {
      node.append(...text.map(line => row('same', line)));
      return;
    }
    node.append(...text.slice(0, head).map(line => row('same', line)));
    node.append(row('fold', `${text.length - head - tail} unchanged lines`));
    node.append(...text.slice(text.length - tail).map(line => row('same', line)));
  });
  if (!added && !removed) {
    node.replaceChildren(row('fold', 'no change: the code is the same'));
  }
  node.setAttribute('aria-label', `Changes: ${added} lines added, ${removed} removed`);
  return { node, added, removed };
}
