/**
 * The web chat page (`g4f/`): the one chat view on the whole page. `?id=<chat>` opens a saved
 * chat (the Lab panel's "Web chat" link), `?format=sse` asks for SSE framing. Chats this
 * browser kept in localStorage before the server stored them are imported once.
 */
import { ChatClient } from '../chat/client';
import type { IServerConfig } from '../chat/types';
import { ChatView } from '../view/chatview';
import { local } from '../view/dom';
import { pageData, pageTransport } from './transport';

const CURRENT = 'g4f:current';
const IMPORTED = 'g4f:imported';
const STORED = 'conversation:';

/** Hand this browser's old localStorage chats to the store, once (again next time if it failed). */
async function importLocalChats(client: ChatClient): Promise<void> {
  if (local.get(IMPORTED)) {
    return;
  }
  const chats: Record<string, unknown> = {};
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith(STORED)) {
      try {
        chats[key] = JSON.parse(localStorage.getItem(key) ?? '');
      } catch {
        // a damaged entry stays behind, unread
      }
    }
  }
  if (Object.keys(chats).length) {
    await client.importConversations(chats);
  }
  local.set(IMPORTED, String(Date.now()));
}

async function main(): Promise<void> {
  const config = pageData<IServerConfig>('g4f-config');
  const client = new ChatClient(pageTransport(config.base_url));
  const query = new URLSearchParams(location.search);
  const view = new ChatView({
    client,
    config,
    place: {
      recall: () => local.get(CURRENT),
      remember: id => (id ? local.set(CURRENT, id) : local.remove(CURRENT))
    },
    codeActions: [],
    sse: query.get('format') === 'sse'
  });
  document.body.append(view.node);
  try {
    await importLocalChats(client);
  } catch (error) {
    console.warn('g4f: the chats kept in this browser could not be imported yet', error);
  }
  await view.start(query.get('id'));
}

void main();
