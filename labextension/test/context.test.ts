/** Context items as the browser sends them: the chip estimate, `@` mentions, and where they go in a request. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { estimateTokens, itemChars, mentionAt, mentionsIn } from '../src/chat/context';
import { answerRequest, newConversation, prepareRequest } from '../src/chat/conversation';

test('the estimate is about four characters a token, over what the server reads', () => {
  assert.equal(estimateTokens({ kind: 'cell', text: 'b_value = 2' }), 3);
  assert.equal(estimateTokens({ kind: 'variable', text: '' }), 0);
  const outputs = [
    { output_type: 'stream', name: 'stdout', text: ['out ', '3\n'] },
    { output_type: 'display_data', data: { 'text/plain': '<Figure>', 'image/png': '' } },
    { output_type: 'error', ename: 'KeyError', evalue: "'x'", traceback: ['line one', 'KeyError'] }
  ];
  assert.equal(itemChars({ kind: 'output', outputs }), 6 + 8 + 9 + 9);
  const cells = [
    { cell_type: 'markdown', source: '# Title' },
    { cell_type: 'code', source: ['x = 1\n', 'x'], outputs: [{ output_type: 'execute_result', data: { 'text/plain': '1' } }] }
  ];
  assert.equal(itemChars({ kind: 'notebook', cells }), 7 + 7 + 1);
});

test('mentions: names and paths after a space or at the start, not e-mail addresses, each once', () => {
  assert.deepEqual(mentionsIn('@df and @data/notes.txt? mail a@b.com, again @df.'), ['df', 'data/notes.txt']);
  assert.deepEqual(mentionsIn('no mention @ here'), []);
  assert.deepEqual(mentionAt('What is in @d', 13), { start: 11, query: 'd' });
  assert.deepEqual(mentionAt('@', 1), { start: 0, query: '' });
  assert.deepEqual(mentionAt('see @data/', 10), { start: 4, query: 'data/' });
  assert.equal(mentionAt('What is in @df?', 15), null);
  assert.equal(mentionAt('x@y', 3), null);
});

test("a question's context goes in the request (again on Regenerate and Continue), not with a prepare", () => {
  const conversation = newConversation();
  const context = [{ kind: 'cell' as const, label: 'In [1]', text: 'print(1/0)' }];
  conversation.items.push({ role: 'user', content: 'Fix it', context });
  assert.deepEqual(answerRequest(conversation, { provider: 'P', model: 'm' }).context, context);
  conversation.items.push({ role: 'assistant', content: 'Done' });
  assert.deepEqual(answerRequest(conversation, { provider: 'P', model: 'm', action: 'continue' }).context, context);
  const messages = answerRequest(conversation, { provider: 'P', model: 'm' }).messages as Array<{ content: unknown }>;
  assert.deepEqual(messages.map(m => m.content), ['Fix it', 'Done']); // the text as typed, no context in it
  assert.equal(prepareRequest(conversation, [], { provider: 'P', model: 'm' }).context, undefined);
  conversation.items.push({ role: 'user', content: 'Thanks' });
  assert.equal(answerRequest(conversation, { provider: 'P', model: 'm' }).context, undefined);
});
