/** The one stream parser: NDJSON and SSE framing alike, whatever the chunk boundaries. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LineSplitter, parseLine, readEvents, readObjects, StreamFormatError } from '../src/chat/stream';

/** A body that arrives in pieces of `size` bytes (cutting lines and UTF-8 characters apart). */
function body(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    }
  });
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
  }
  return out;
}

// Era A: one JSON object per line (spec §2.3).
const NDJSON =
  '{"type": "provider", "provider": {"name": "Local", "label": "Local", "model": "SmolLM2", "url": ""}}\n' +
  '{"type": "content", "content": "Héllo 👋"}\n' +
  '{"type": "content", "content": " world"}\n' +
  '{"type": "finish", "finish": {"reason": "stop"}}\n';

// Era H/P: `event: T` + `data: {json}` + a blank line per object (spec §2.3), ending in [DONE].
const SSE =
  'event: provider\r\ndata: {"type": "provider", "provider": {"name": "Local", "label": "Local", "model": "SmolLM2", "url": ""}}\r\n\r\n' +
  ': keep-alive\n\n' +
  'event: content\ndata: {"type": "content", "content": "Héllo 👋"}\n\n' +
  'id: 7\nretry: 1000\nevent: content\ndata: {"type": "content", "content": " world"}\n\n' +
  'event: finish\ndata: {"type": "finish", "finish": {"reason": "stop"}}\n\n' +
  'data: [DONE]\n\n';

test('NDJSON and SSE framing give the same events, for any chunk size', async () => {
  const expected = await all(readEvents(body(NDJSON, 1 << 16)));
  assert.equal(expected.length, 4);
  assert.deepEqual(expected[1], { type: 'content', content: 'Héllo 👋' });
  for (const size of [1, 2, 3, 7, 64]) {
    assert.deepEqual(await all(readEvents(body(NDJSON, size))), expected, `NDJSON in ${size}-byte pieces`);
    assert.deepEqual(await all(readEvents(body(SSE, size))), expected, `SSE in ${size}-byte pieces`);
  }
});

test('a last line without its newline is still read', async () => {
  const events = await all(readEvents(body('{"type": "content", "content": "a"}\n{"type": "usage", "usage": {}}', 5)));
  assert.deepEqual(
    events.map(e => e.type),
    ['content', 'usage']
  );
});

test('lines that carry no object are skipped: blanks, comments, SSE fields, [DONE]', () => {
  for (const line of ['', '   ', ': ping', 'event: content', 'id: 3', 'retry: 500', 'data:', 'data: [DONE]', '\r']) {
    assert.equal(parseLine(line), null, JSON.stringify(line));
  }
  assert.deepEqual(parseLine('data:{"type":"title","title":"T"}'), { type: 'title', title: 'T' });
});

test('a line that is not a JSON object is an error, not a silent drop', () => {
  assert.throws(() => parseLine('{"type": "content", "content": "cut'), StreamFormatError);
  assert.throws(() => parseLine('data: 42'), StreamFormatError);
  assert.throws(() => parseLine('["content"]'), StreamFormatError);
  assert.throws(() => parseLine('<html>'), /not JSON: <html>/);
});

test("bucket progress (spec §4.3): unnamed SSE events without a type are objects, not answer events", async () => {
  const progress =
    'data: {"action": "load", "size": 24}\n\ndata: {"action": "load", "size": 52}\n\n' +
    'data: {"action": "delete_files"}\n\ndata: {"action": "done", "size": 66}\n\n';
  const objects = await all(readObjects(body(progress, 9)));
  assert.deepEqual(
    objects.map(o => [o.action, o.size]),
    [
      ['load', 24],
      ['load', 52],
      ['delete_files', undefined],
      ['done', 66]
    ]
  );
  assert.deepEqual(await all(readEvents(body(progress, 9))), []);
});

test('the line splitter keeps an unfinished line for the next piece', () => {
  const lines = new LineSplitter();
  assert.deepEqual(lines.push('{"a":'), []);
  assert.deepEqual(lines.push('1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(lines.push(':2}\n'), ['{"b":2}']);
  assert.deepEqual(lines.end(), []);
  lines.push('tail');
  assert.deepEqual(lines.end(), ['tail']);
});

test('a reader that stops early cancels the body', async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new TextEncoder().encode('{"type": "content", "content": "x"}\n'));
    },
    cancel() {
      cancelled = true;
    }
  });
  for await (const event of readEvents(stream)) {
    assert.equal(event.type, 'content');
    break;
  }
  assert.ok(cancelled);
});
