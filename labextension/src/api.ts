/**
 * The /backend-api/v2 routes, called through JupyterLab's ServerConnection so that the
 * server's login (token or cookie + XSRF) applies exactly as for Lab's own requests.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IProvider {
  name: string;
  label?: string;
  auth?: boolean;
}

export interface IModel {
  model?: string;
  id?: string;
  label?: string;
  default?: boolean;
}

/** One part of a message's content: text, or a bucket the server reads into the prompt. */
export type ContentPart = { type: 'text'; text: string } | { bucket_id: string; url: string };

export interface IMessage {
  role: 'user' | 'assistant' | 'system';
  content: string | ContentPart[];
}

/** One event of a streamed answer (spec §2.4): `type` names the key that carries its value. */
export interface IStreamEvent {
  type: string;
  [key: string]: unknown;
}

/** A conversation as the share route stores it (spec §5.1). */
export interface IConversation {
  id: string;
  title: string;
  added: number;
  updated: number;
  items: Array<IMessage & { provider?: unknown }>;
}

const settings = (): ServerConnection.ISettings => ServerConnection.makeSettings();

export function apiUrl(...parts: string[]): string {
  return URLExt.join(settings().baseUrl, 'backend-api/v2', ...parts.map(encodeURIComponent));
}

/** An absolute link to one of the server's own pages (share and QR pages). */
export function pageUrl(...parts: string[]): string {
  const base = new URL(settings().baseUrl, window.location.href).href;
  return URLExt.join(base, ...parts.map(encodeURIComponent));
}

/** The server's `{"error": {"message"}}`, or the status line when the body is not that shape. */
async function failure(response: Response): Promise<Error> {
  try {
    const body = await response.json();
    if (body?.error?.message) {
      return new Error(String(body.error.message));
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return new Error(`${response.status} ${response.statusText}`);
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  const response = await ServerConnection.makeRequest(url, init, settings());
  if (!response.ok) {
    throw await failure(response);
  }
  return response;
}

export async function providers(): Promise<IProvider[]> {
  return (await request(apiUrl('providers'))).json();
}

export async function models(provider: string): Promise<IModel[]> {
  return (await request(apiUrl('models', provider))).json();
}

/**
 * The JSON objects of a streamed body, as they arrive: NDJSON lines and SSE `data:` lines
 * alike (spec "Our decisions"), so the panel also reads servers that frame with SSE.
 */
async function* jsonLines(response: Response): AsyncGenerator<Record<string, unknown>> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { value, done } = await reader.read();
    pending += value ?? '';
    const lines = pending.split('\n');
    pending = done ? '' : lines.pop()!;
    for (const raw of lines) {
      const line = raw.startsWith('data:') ? raw.slice(5).trim() : raw.trim();
      if (line.startsWith('{')) {
        yield JSON.parse(line);
      }
    }
    if (done) {
      return;
    }
  }
}

/** Ask: the answer's events as the server flushes them; `signal` aborts the request (Stop). */
export async function* converse(
  body: { provider?: string; model?: string; messages: IMessage[]; id: string },
  signal: AbortSignal
): AsyncGenerator<IStreamEvent> {
  const response = await request(apiUrl('conversation'), {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
    signal
  });
  for await (const event of jsonLines(response)) {
    yield event as IStreamEvent;
  }
}

/** Upload files into a new bucket (multipart field `files`). */
export async function upload(bucketId: string, files: File[]): Promise<void> {
  const form = new FormData();
  for (const file of files) {
    form.append('files', file, file.name);
  }
  await request(apiUrl('files', bucketId), { method: 'POST', body: form });
}

/** Read (extract) a bucket, calling `progress` with the bytes read so far; resolves when done. */
export async function extract(bucketId: string, progress: (bytes: number) => void): Promise<number> {
  const response = await request(apiUrl('files', bucketId), { headers: { Accept: 'text/event-stream' } });
  let size = 0;
  for await (const event of jsonLines(response)) {
    const error = event.error as { message?: string } | undefined;
    if (error) {
      throw new Error(error.message ?? 'the files could not be read');
    }
    if (typeof event.size === 'number') {
      size = event.size;
      progress(size);
    }
  }
  return size;
}

/** Store the conversation under `shareId` (spec §5.1); the share id the server kept. */
export async function share(shareId: string, conversation: IConversation): Promise<string> {
  const response = await request(apiUrl('chat', shareId), {
    method: 'POST',
    body: JSON.stringify(conversation),
    headers: { 'Content-Type': 'application/json' }
  });
  return ((await response.json()).share_id as string | undefined) ?? shareId;
}

/** A random id for messages, buckets and shares (safe as a bucket or share name; works without HTTPS). */
export function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('');
}
