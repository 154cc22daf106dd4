/**
 * The one parser of streamed answers and bucket progress: NDJSON lines and SSE `data:` lines
 * alike (spec "Our decisions"), so the front-end reads servers of either era.
 */
import type { IStreamEvent } from './types';

/** A line that does not hold the JSON object it should. */
export class StreamFormatError extends Error {
  constructor(readonly line: string) {
    super(`the server sent a line that is not JSON: ${line.slice(0, 80)}`);
  }
}

const SSE_FIELD = /^(event|id|retry):/;

/**
 * The JSON object one received line carries, or null for what carries none: a blank line, an SSE
 * comment, `event:`/`id:`/`retry:` fields and `data: [DONE]`.
 */
export function parseLine(line: string): Record<string, unknown> | null {
  let text = line.trim();
  if (!text || text.startsWith(':') || SSE_FIELD.test(text)) {
    return null;
  }
  if (text.startsWith('data:')) {
    text = text.slice(5).trim();
    if (!text || text === '[DONE]') {
      return null;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StreamFormatError(text);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StreamFormatError(text);
  }
  return value as Record<string, unknown>;
}

/** Cuts decoded text into whole lines; the unfinished tail waits for the next piece. */
export class LineSplitter {
  private pending = '';

  /** The lines completed by `text`. */
  push(text: string): string[] {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }

  /** What is left when the stream ends (a last line without its newline). */
  end(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest ? [rest] : [];
  }
}

/** The objects of a streamed body, as they arrive. */
export async function* readObjects(body: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const lines = new LineSplitter();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (const line of done ? [...lines.push(text), ...lines.end()] : lines.push(text)) {
        const object = parseLine(line);
        if (object) {
          yield object;
        }
      }
      if (done) {
        finished = true;
        return;
      }
    }
  } finally {
    if (!finished) {
      reader.cancel().catch(() => undefined); // the reader stopped early: let the server know
    }
  }
}

/** The events of an answer: objects without a string `type` are not events and are skipped. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<IStreamEvent> {
  for await (const object of readObjects(body)) {
    if (typeof object.type === 'string') {
      yield object as IStreamEvent;
    }
  }
}
