/**
 * The server's HTTP routes, as the chat uses them. How a request is authenticated is the
 * host's business (`ITransport`): JupyterLab's ServerConnection in the panel, the `_xsrf`
 * cookie echoed as X-XSRFToken on every request (GETs too, as JupyterHub wants) on the page.
 */
import { failureText, retryAfter } from './labels';
import { readEvents, readObjects } from './stream';
import type {
  IConversation,
  IConversationSummary,
  IKeyInfo,
  IProvider,
  IServerConfig,
  IStreamEvent,
  ModelEntry
} from './types';

/** How requests reach the server and prove who sends them. */
export interface ITransport {
  /** The server's base URL, ending in "/" (a path such as "/user/alice/", or a full URL). */
  readonly baseUrl: string;
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** The credentials `fetch` adds, for requests made another way (uploads that report progress). */
  authHeaders(): Record<string, string>;
}

/** A refused request: its status and the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/** The message of a failed response: `{"error": {"message"}}`, or an HTML page's title. */
async function failure(response: Response): Promise<ApiError> {
  const body = await response.text().catch(() => '');
  let message = '';
  try {
    const data = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    message = typeof data.error === 'string' ? data.error : data.error?.message || data.message || '';
  } catch {
    message = /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim() ?? '';
  }
  const text = failureText(response.status, message, retryAfter(response.headers.get('Retry-After')));
  return new ApiError(response.status, text);
}

export interface IUploaded {
  files: string[];
  media: string[];
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export class ChatClient {
  constructor(readonly transport: ITransport) {}

  /** The URL of one of the server's own paths (`g4f/qrcode/x`, `files/b/media/p.png`, ...). */
  url(path: string): string {
    return this.transport.baseUrl + path;
  }

  /** The same as a path from the server's root, as stored in messages (`/base/files/b/media/p.png`). */
  path(path: string): string {
    return new URL(this.url(path), location.href).pathname;
  }

  api(path: string): string {
    return this.url(`backend-api/v2/${path}`);
  }

  private async request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await this.transport.fetch(url, init);
    if (!response.ok) {
      throw await failure(response);
    }
    return response;
  }

  /** The JSON a route answers with (an empty answer, such as a 204, reads as `{}`). */
  private async json<T>(url: string, init: RequestInit = {}): Promise<T> {
    const text = await (await this.request(url, init)).text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  private send<T>(url: string, method: string, body?: unknown): Promise<T> {
    const init: RequestInit = body === undefined ? { method } : { method, headers: JSON_HEADERS, body: JSON.stringify(body) };
    return this.json<T>(url, init);
  }

  config(): Promise<IServerConfig> {
    return this.json(this.url('g4f/config'));
  }

  providers(): Promise<IProvider[]> {
    return this.json(this.api('providers'));
  }

  models(provider: string): Promise<ModelEntry[]> {
    return this.json(this.api(`models/${encodeURIComponent(provider)}`));
  }

  /** Ask: the answer's events as the server flushes them; `signal` stops it (Stop). */
  async *converse(body: Record<string, unknown>, signal: AbortSignal, sse = false): AsyncGenerator<IStreamEvent> {
    const response = await this.request(this.api(sse ? 'conversation?format=sse' : 'conversation'), {
      method: 'POST',
      headers: { ...JSON_HEADERS, Accept: 'text/event-stream' },
      body: JSON.stringify(body),
      signal
    });
    if (!response.body) {
      throw new Error('the answer came without a body');
    }
    yield* readEvents(response.body);
  }

  /** Send `body` and let it go: nothing waits for the answer, and a failure changes nothing. */
  fireAndForget(body: Record<string, unknown>): void {
    this.transport
      .fetch(this.api('conversation'), { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })
      .then(response => response.body?.cancel(), () => undefined)
      .catch(() => undefined);
  }

  /** Upload `files` into bucket `id`, reporting the bytes sent so far. */
  upload(id: string, files: File[], sent: (bytes: number) => void): Promise<IUploaded> {
    const form = new FormData();
    for (const file of files) {
      form.append('files', file, file.name);
    }
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.api(`files/${encodeURIComponent(id)}`));
      for (const [name, value] of Object.entries(this.transport.authHeaders())) {
        xhr.setRequestHeader(name, value);
      }
      xhr.withCredentials = true;
      xhr.upload.onprogress = event => sent(event.loaded);
      xhr.onerror = () => reject(new Error('the upload was interrupted'));
      xhr.onload = () => {
        const response = new Response(xhr.responseText, {
          status: xhr.status,
          headers: { 'Retry-After': xhr.getResponseHeader('Retry-After') ?? '' }
        });
        if (xhr.status < 200 || xhr.status >= 300) {
          void failure(response).then(reject);
          return;
        }
        const data = JSON.parse(xhr.responseText) as { files?: string[]; media?: Array<string | { name: string }> };
        const media = (data.media ?? []).map(entry => (typeof entry === 'string' ? entry : entry.name));
        resolve({ files: data.files ?? [], media });
      };
      xhr.send(form);
    });
  }

  /** Read bucket `id` (its SSE progress stream), reporting the bytes read; the total read. */
  async read(id: string, loaded: (bytes: number) => void): Promise<number> {
    const response = await this.request(this.api(`files/${encodeURIComponent(id)}/stream`), {
      headers: { Accept: 'text/event-stream' }
    });
    let size = 0;
    for await (const event of readObjects(response.body!)) {
      const error = event.error as { message?: string } | string | undefined;
      if (error) {
        throw new Error(typeof error === 'string' ? error : error.message || 'the files could not be read');
      }
      if (typeof event.size === 'number') {
        size = event.size;
        if (event.action === 'load') {
          loaded(size);
        }
      }
    }
    return size;
  }

  async deleteBucket(id: string): Promise<void> {
    await this.transport.fetch(this.api(`files/${encodeURIComponent(id)}`), { method: 'DELETE' });
  }

  /** Publish `conversation` as share `id`; the id the server kept ("invalid date": already current). */
  async share(id: string, conversation: IConversation): Promise<string> {
    try {
      const saved = await this.send<{ share_id?: string }>(this.api(`chat/${encodeURIComponent(id)}`), 'POST', conversation);
      return saved.share_id ?? id;
    } catch (error) {
      if (error instanceof ApiError && error.message === 'invalid date') {
        return id;
      }
      throw error;
    }
  }

  /** Stop sharing `id` here (and, with `hub`, on the hub's shares service); a share already gone is fine. */
  async unshare(id: string, hub: boolean): Promise<void> {
    const paths = [`chat/${encodeURIComponent(id)}`, ...(hub ? [`hub/chat/${encodeURIComponent(id)}`] : [])];
    for (const path of paths) {
      const response = await this.transport.fetch(this.api(path), { method: 'DELETE' });
      if (!response.ok && response.status !== 404) {
        throw await failure(response);
      }
    }
  }

  /** Copy the saved share `id` to the hub's shares service; the link hub users open. */
  async hubShare(id: string): Promise<string> {
    return (await this.send<{ url: string }>(this.api(`hub/chat/${encodeURIComponent(id)}`), 'POST')).url;
  }

  keys(): Promise<IKeyInfo[]> {
    return this.json(this.api('keys'));
  }

  async saveKey(provider: string, key: string): Promise<void> {
    await this.send(this.api(`keys/${encodeURIComponent(provider)}`), 'POST', { api_key: key });
  }

  async removeKey(provider: string): Promise<void> {
    await this.send(this.api(`keys/${encodeURIComponent(provider)}`), 'DELETE');
  }

  // ------------------------------------------------------------------ the conversation store

  conversations(search = '', limit = 50, offset = 0): Promise<{ conversations: IConversationSummary[]; total: number }> {
    const query = new URLSearchParams({ search, limit: String(limit), offset: String(offset) });
    return this.json(this.api(`conversations?${query}`));
  }

  conversation(id: string): Promise<IConversation> {
    return this.json(this.api(`conversations/${encodeURIComponent(id)}`));
  }

  save(conversation: IConversation): Promise<{ id: string; updated: number }> {
    return this.send(this.api(`conversations/${encodeURIComponent(conversation.id)}`), 'PUT', conversation);
  }

  async rename(id: string, title: string): Promise<void> {
    await this.send(this.api(`conversations/${encodeURIComponent(id)}`), 'PATCH', { title });
  }

  async remove(id: string): Promise<void> {
    await this.send(this.api(`conversations/${encodeURIComponent(id)}`), 'DELETE');
  }

  /** Import upstream's exported JSON (one conversation, a list, or localStorage's `conversation:<id>` map). */
  async importConversations(data: unknown): Promise<string[]> {
    return (await this.send<{ imported: string[] }>(this.api('conversations/import'), 'POST', data)).imported;
  }

  /** Write the conversation into the Jupyter file browser; the file's path. */
  async exportConversation(id: string, format: 'ipynb' | 'markdown'): Promise<string> {
    const url = this.api(`conversations/${encodeURIComponent(id)}/export`);
    return (await this.send<{ path: string }>(url, 'POST', { format })).path;
  }
}
