/** How the chat names things to people: who answered, token usage, sizes, HTTP failures. */
import type { IProviderInfo, IUsage } from './types';

/** "Local · SmolLM2-135M-Instruct" (or whichever part is known; "assistant" when none is). */
export function providerLabel(provider: IProviderInfo | string | undefined): string {
  if (typeof provider === 'string') {
    return provider || 'assistant'; // older clients stored the name alone
  }
  const name = provider?.label || provider?.name || '';
  const model = provider?.model || '';
  return name && model ? `${name} · ${model}` : name || model || 'assistant';
}

const USAGE_KEYS = ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const;

/** "prompt 5 · completion 7 · total 12" (the counts the usage carries). */
export function usageText(usage: IUsage | undefined): string {
  if (!usage) {
    return '';
  }
  return USAGE_KEYS.filter(key => typeof usage[key] === 'number')
    .map(key => `${key.split('_')[0]} ${usage[key]}`)
    .join(' · ');
}

/** Bytes as megabytes with one decimal below 10 MB ("0.4", "12"). */
export function megabytes(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0);
}

/** "42% (1.3 MB)": progress through `total` bytes; 99 % at most until the work is done. */
export function progress(done: number, total: number): string {
  const percent = total ? Math.min(99, Math.round((100 * done) / total)) : 0;
  return `${percent}% (${megabytes(done)} MB)`;
}

/** Retry-After as people read it: seconds, or a date turned into seconds from `now`. */
export function retryAfter(header: string | null, now = Date.now()): string {
  if (!header) {
    return '';
  }
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : Math.ceil((Date.parse(header) - now) / 1000);
  return Number.isFinite(seconds) && seconds >= 0 ? `retry after ${seconds} s` : '';
}

/** A failed request as one line: 403 and 429 are named as such, with Retry-After when given. */
export function failureText(status: number, message: string, retry: string): string {
  const named: Record<number, string> = { 403: 'Forbidden (403)', 429: 'Too many requests (429)' };
  const head = named[status];
  const parts = head ? [head, message] : [message || `HTTP ${status}`];
  return parts.filter(Boolean).join(': ') + (retry ? ` — ${retry}.` : '');
}
