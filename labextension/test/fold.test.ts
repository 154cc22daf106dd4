/** The one fold: upstream's event shapes (spec §2.4, orders of §2.5) into conversation items. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { answerRequest, newConversation, prepareRequest, questionContent } from '../src/chat/conversation';
import { foldEvent, hasAnswer, startTurn, type ITurn } from '../src/chat/fold';
import { failureText, progress, providerLabel, retryAfter, usageText } from '../src/chat/labels';
import type { IConversation, IStreamEvent } from '../src/chat/types';

function fold(events: IStreamEvent[], provider = '', conversation: IConversation = newConversation()): ITurn {
  const turn = startTurn(conversation, provider);
  events.forEach(event => foldEvent(turn, event));
  return turn;
}

const PROVIDER = { type: 'provider', provider: { name: 'Custom', url: 'http://x', label: 'Custom', model: 'm1' } };

test('era A order: provider, parameters, content, usage, finish, log', () => {
  const turn = fold([
    PROVIDER,
    { type: 'parameters', parameters: { temperature: { type: 'number' } } },
    { type: 'content', content: 'Hello' },
    { type: 'content', content: ', world' },
    { type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
    { type: 'finish', finish: { reason: 'stop' } },
    { type: 'log', log: 'answered by Custom' }
  ]);
  assert.equal(turn.item.content, 'Hello, world');
  assert.deepEqual(turn.item.provider, PROVIDER.provider);
  assert.deepEqual(turn.item.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  assert.deepEqual(turn.item.finish, { reason: 'stop' });
  assert.deepEqual(turn.log, ['answered by Custom']);
  assert.equal(turn.error, '');
  assert.ok(hasAnswer(turn));
  assert.equal(usageText(turn.item.usage), 'prompt 5 · completion 2 · total 7');
  assert.equal(providerLabel(turn.item.provider), 'Custom · m1');
});

test("era P's debugging events (request, headers, response) and unknown types change nothing", () => {
  const turn = fold([
    PROVIDER,
    { type: 'request', request: { model: 'm1' } },
    { type: 'headers', headers: { 'x-a': '1' } },
    { type: 'response', response: { choices: [] } },
    PROVIDER,
    { type: 'content', content: 'ok' },
    { type: 'something-new', value: 1 }
  ]);
  assert.deepEqual(
    { ...turn.item },
    { role: 'assistant', content: 'ok', provider: PROVIDER.provider }
  );
});

test('reasoning is flattened: tokens build the text, status and label name the step, <think> marks', () => {
  const turn = fold([
    { type: 'reasoning', is_thinking: '<think>' },
    { type: 'reasoning', token: 'First, ' },
    { type: 'reasoning', status: 'Searching' },
    { type: 'reasoning', token: 'then.' },
    { type: 'reasoning', label: 'Thought for 2 s' }
  ]);
  assert.equal(turn.item.reasoning, 'First, then.');
  assert.equal(turn.status, 'Thought for 2 s');
  assert.ok(turn.thinking);
  foldEvent(turn, { type: 'reasoning', is_thinking: '</think>' });
  assert.ok(!turn.thinking);
  assert.ok(hasAnswer(turn), 'reasoning alone is kept');
});

test('media: a content event with urls stands apart from the text; bare urls become image links', () => {
  const turn = fold([
    { type: 'content', content: 'Here it is:' },
    { type: 'content', content: '[![a cat](/media/cat.png)](/media/cat.png)', urls: ['/media/cat.png'], alt: 'a cat' },
    { type: 'content', urls: ['/media/dog.png'], alt: 'a dog' }
  ]);
  assert.equal(
    turn.item.content,
    'Here it is:\n\n[![a cat](/media/cat.png)](/media/cat.png)\n\n[![a dog](/media/dog.png)](/media/dog.png)'
  );
});

test('a preview shows until the answer starts; a login link is shown the same way', () => {
  const turn = fold([{ type: 'preview', preview: 'drawing… 40%', urls: ['/media/p.png'], alt: '' }]);
  assert.equal(turn.preview, 'drawing… 40%');
  assert.deepEqual(turn.previewUrls, ['/media/p.png']);
  foldEvent(turn, { type: 'content', content: 'Done.' });
  assert.equal(turn.preview, '');
  assert.deepEqual(turn.previewUrls, []);
  assert.equal(fold([{ type: 'login', login: '[Log in](https://x/login)' }]).preview, '[Log in](https://x/login)');
});

test("the provider's conversation state is kept per provider and sent back next turn", () => {
  const conversation = newConversation();
  fold([PROVIDER, { type: 'conversation', conversation: { message_id: 'abc' } }], 'Custom', conversation);
  assert.deepEqual(conversation.data, { Custom: { message_id: 'abc' } });
  // automatic choice: kept under the provider that answered
  fold([{ type: 'provider', provider: { name: 'Other' } }, { type: 'conversation', conversation: { n: 1 } }], '', conversation);
  assert.deepEqual(conversation.data, { Custom: { message_id: 'abc' }, Other: { n: 1 } });
  conversation.items.push({ role: 'user', content: 'next' });
  const body = answerRequest(conversation, { provider: 'Custom', model: 'm1' });
  assert.deepEqual(body.conversation, { message_id: 'abc' });
  assert.equal(body.conversation_id, conversation.id);
  assert.equal(answerRequest(conversation, { provider: '', model: '' }).conversation, undefined);
  // era A's server-side conversation id changes nothing here
  fold([{ type: 'conversation_id', conversation_id: 'srv-1' }], 'Custom', conversation);
  assert.deepEqual(conversation.data, { Custom: { message_id: 'abc' }, Other: { n: 1 } });
});

test('title, suggestions, synthesize', () => {
  const conversation = newConversation();
  const turn = fold(
    [
      { type: 'title', title: 'Cats' },
      { type: 'suggestions', suggestions: ['Why?', 'How?', 3] },
      { type: 'synthesize', synthesize: { provider: 'Gemini', data: { text: 'hi' } } }
    ],
    '',
    conversation
  );
  assert.equal(conversation.title, 'Cats');
  assert.deepEqual(turn.suggestions, ['Why?', 'How?']);
  assert.deepEqual(turn.item.synthesize, { provider: 'Gemini', data: { text: 'hi' } });
});

test('a message is a warning and the stream goes on; error and auth end it with their message', () => {
  const turn = fold([
    { type: 'content', content: 'partial' },
    { type: 'message', message: 'RateLimitError: slow down', error: 'RateLimitError' },
    { type: 'error', error: 'ResponseError', message: 'ResponseError: upstream said no' }
  ]);
  assert.deepEqual(turn.warnings, ['RateLimitError: slow down']);
  assert.equal(turn.error, 'ResponseError: upstream said no');
  assert.equal(turn.errorKind, 'error');
  assert.equal(turn.item.content, 'partial', 'what arrived before the error stays');
  const auth = fold([{ type: 'auth', auth: 'MissingAuthError', message: 'Add a key: set OPENAI_API_KEY' }]);
  assert.equal(auth.error, 'Add a key: set OPENAI_API_KEY');
  assert.equal(auth.errorKind, 'auth');
  assert.ok(!hasAnswer(auth));
  assert.equal(fold([{ type: 'error', error: 'NameError' }]).error, 'NameError');
});

test('continue and variant: the handles are kept on the item; continuing appends to the last answer', () => {
  const conversation = newConversation();
  const first = fold([{ type: 'content', content: 'One, two' }, { type: 'finish', finish: { reason: 'length' } }], '', conversation);
  conversation.items.push({ role: 'user', content: 'count' }, first.item);
  const again = startTurn(conversation, '', first.item);
  foldEvent(again, { type: 'continue', continue: 'c-1' });
  foldEvent(again, { type: 'content', content: ', three' });
  foldEvent(again, { type: 'variant', variant: 'v-2' });
  assert.equal(again.item, first.item);
  assert.equal(first.item.content, 'One, two, three');
  assert.equal(first.item.continue, 'c-1');
  assert.equal(first.item.variant, 'v-2');
  assert.equal(answerRequest(conversation, { provider: '', model: '', action: 'continue' }).action, 'continue');
});

test('tool calls are named', () => {
  const turn = fold([
    { type: 'tool_calls', tool_calls: [{ id: '1', type: 'function', function: { name: 'search', arguments: '{}' } }] }
  ]);
  assert.deepEqual(turn.toolCalls, ['search']);
});

test('prepare carries the conversation so far with the attachment and no question', () => {
  const conversation = newConversation();
  conversation.system = 'Be brief.';
  conversation.items.push({ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' });
  const part = { bucket_id: 'b1', url: '/backend-api/v2/files/b1' };
  const body = prepareRequest(conversation, [part], { provider: 'Local', model: '' });
  assert.equal(body.action, 'prepare');
  assert.deepEqual(body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: [part] }
  ]);
  assert.equal(conversation.items.length, 2, 'the conversation itself is unchanged');
  assert.deepEqual(questionContent('Why?', [part]), [part, { type: 'text', text: 'Why?' }]);
  assert.equal(questionContent('Why?', []), 'Why?');
});

test('failures name 403 and 429, with Retry-After; progress in % and MB', () => {
  assert.equal(
    failureText(429, 'slow down', retryAfter('30')),
    'Too many requests (429): slow down — retry after 30 s.'
  );
  assert.equal(failureText(403, 'not yours', ''), 'Forbidden (403): not yours');
  assert.equal(failureText(500, '', ''), 'HTTP 500');
  assert.equal(retryAfter(new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1)), 'retry after 60 s');
  assert.equal(retryAfter('soon'), '');
  assert.equal(progress(1572864, 3145728), '50% (1.5 MB)');
  assert.equal(progress(3145728, 3145728), '99% (3.0 MB)');
});
