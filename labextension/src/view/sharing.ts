/**
 * Share: the conversation is published as a read-only page (`g4f/chat/<id>`) with a QR code, and
 * kept current after each answer; under JupyterHub also for every hub user. Stop sharing removes
 * the link here and the hub's copy. Which conversation is shared under which id is remembered in
 * this browser (the page and the panel of one server share it).
 */
import type { ChatClient } from '../chat/client';
import type { IConversation, IServerConfig } from '../chat/types';
import { button, h, link, local, messageOf } from './dom';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function onLoopback(url: string): boolean {
  return LOOPBACK.test(new URL(url, location.href).hostname);
}

export class Sharing {
  readonly panel = h('section', 'g4fc-panel g4fc-share-panel');
  readonly shareButton: HTMLButtonElement;
  readonly hubButton: HTMLButtonElement;
  private readonly shareLink = link('', '', 'g4fc-share-link');
  private readonly shareQr = link('QR code', '', 'g4fc-share-qr');
  private readonly shareNotice = h(
    'p',
    'g4fc-notice g4fc-share-notice',
    'This link points at a loopback address, so only this computer can open it. ' +
      'Set c.G4FSettings.share_url to the address others reach this server at.'
  );
  private readonly hubRow = h('div', 'g4fc-hub-share');
  private readonly hubLink = link('', '', 'g4fc-hub-share-link');
  private readonly hubQr = link('QR code', '', 'g4fc-hub-share-qr');
  private readonly hubNotice = h(
    'p',
    'g4fc-notice g4fc-hub-share-notice',
    "This hub link points at a loopback address, so only this computer can open it. Set the hub's " +
      'c.JupyterHub.public_url (or G4F_HUB_SHARES_URL) to the address users reach the hub at.'
  );

  constructor(
    private readonly client: ChatClient,
    private readonly config: IServerConfig,
    private readonly current: () => IConversation,
    private readonly report: (text: string) => void
  ) {
    this.shareButton = button('Share', 'g4fc-share', 'Publish this chat as a read-only page with a QR code', () =>
      this.share().catch(error => this.report(`Sharing failed: ${messageOf(error)}`))
    );
    this.hubButton = button('Share with hub users', 'g4fc-hub-share-button', 'A link every user logged in to this JupyterHub can open', () =>
      this.shareWithHub().catch(error => this.report(`Sharing with hub users failed: ${messageOf(error)}`))
    );
    this.hubButton.hidden = !config.hub_shares;
    const stop = button('Stop sharing', 'g4fc-unshare', 'Remove the shared page (and its hub copy)', () =>
      this.stop().catch(error => this.report(`Stopping the share failed: ${messageOf(error)}`))
    );
    const close = button('×', 'g4fc-close', 'Close', () => (this.panel.hidden = true));
    const shared = h('span', 'g4fc-shared', 'Shared: ');
    shared.append(this.shareLink);
    const hubShared = h('span', '', 'Hub users: ');
    hubShared.append(this.hubLink);
    this.hubRow.append(
      hubShared,
      this.hubQr,
      h('span', 'g4fc-muted', 'Anyone logged in to this hub can read this copy (anyone at all if the hub makes shares public). Each answer updates it.')
    );
    this.panel.append(shared, this.shareQr, stop, close, this.shareNotice, this.hubRow, this.hubNotice);
    this.panel.hidden = true;
  }

  private shareId(conversation: IConversation): string | null {
    return local.get(`share:${conversation.id}`);
  }

  /** Publish the open conversation and show its link; the share id, or null with nothing to share. */
  async share(): Promise<string | null> {
    const conversation = this.current();
    if (!conversation.items.length) {
      this.report('Nothing to share yet: send a message first.');
      return null;
    }
    const shareId = await this.client.share(this.shareId(conversation) ?? conversation.id, conversation);
    local.set(`share:${conversation.id}`, shareId);
    if (this.current() === conversation) {
      this.show(conversation);
    }
    return shareId;
  }

  /** Share here first (the hub copies that saved share), then with every user of the hub. */
  async shareWithHub(): Promise<void> {
    const conversation = this.current();
    const shareId = await this.share();
    if (shareId) {
      local.set(`hubshare:${conversation.id}`, await this.client.hubShare(shareId));
      if (this.current() === conversation) {
        this.show(conversation);
      }
    }
  }

  /** Remove the share here and on the hub; the conversation itself stays. */
  async stop(): Promise<void> {
    const conversation = this.current();
    const shareId = this.shareId(conversation);
    if (shareId) {
      await this.client.unshare(shareId, this.config.hub_shares);
    }
    local.remove(`share:${conversation.id}`);
    local.remove(`hubshare:${conversation.id}`);
    this.panel.hidden = true;
  }

  /** A shared conversation stays current: each finished answer updates the share (and its hub copy). */
  refresh(conversation: IConversation): void {
    const shareId = this.shareId(conversation);
    if (!shareId) {
      return;
    }
    this.client
      .share(shareId, conversation)
      .then(() => (local.get(`hubshare:${conversation.id}`) ? this.client.hubShare(shareId) : undefined))
      .catch(error => this.report(`Updating the share failed: ${messageOf(error)}`));
  }

  /** Show the links of `conversation` (hidden when it is not shared). */
  show(conversation: IConversation): void {
    const shareId = this.shareId(conversation);
    this.panel.hidden = !shareId;
    if (!shareId) {
      return;
    }
    const url = this.config.share_prefix + encodeURIComponent(shareId);
    this.shareLink.href = url;
    this.shareLink.textContent = url;
    this.shareQr.href = this.client.url(`g4f/qrcode/${encodeURIComponent(shareId)}`);
    this.shareNotice.hidden = !onLoopback(url);
    const hub = local.get(`hubshare:${conversation.id}`);
    this.hubRow.hidden = !hub;
    this.hubNotice.hidden = !hub || !onLoopback(hub);
    if (hub) {
      this.hubLink.href = hub;
      this.hubLink.textContent = hub;
      this.hubQr.href = this.client.url(`g4f/qrcode/${encodeURIComponent(shareId)}?to=hub`);
    }
  }

  /** Another conversation was opened: its share panel starts closed. */
  reset(): void {
    this.panel.hidden = true;
  }
}
