/**
 * The read-only view of a shared chat (`g4f/chat/<id>`, and the hub's shares service): the
 * conversation comes inside the page as JSON and is drawn by the chat's own message view.
 */
import type { IConversation } from '../chat/types';
import { MessageView } from '../view/message';
import { pageData } from './transport';

const conversation = pageData<IConversation>('g4f-share');
const messages = document.getElementById('g4fc-shared-messages');
if (messages) {
  messages.replaceChildren(
    ...(Array.isArray(conversation.items) ? conversation.items : []).map(
      item => new MessageView(item, { codeActions: [] }).node
    )
  );
}
