/** Requests from the web page: the `_xsrf` cookie echoed as X-XSRFToken on every request. */
import type { ITransport } from '../chat/client';

function xsrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

/**
 * Jupyter checks the token on every request that is not a GET, and a JupyterHub single-user
 * server on every fetch that is not a page load, GETs included: so it goes on every one.
 */
export function pageTransport(baseUrl: string): ITransport {
  const authHeaders = (): Record<string, string> => ({ 'X-XSRFToken': xsrfToken() });
  return {
    baseUrl,
    authHeaders,
    fetch(url, init = {}) {
      const headers = new Headers(init.headers);
      for (const [name, value] of Object.entries(authHeaders())) {
        headers.set(name, value);
      }
      return fetch(url, { ...init, headers, credentials: 'same-origin' });
    }
  };
}

/** The JSON the server put into the page in `<script type="application/json" id=…>`. */
export function pageData<T>(id: string): T {
  const node = document.getElementById(id);
  if (!node?.textContent) {
    throw new Error(`the page carries no #${id}`);
  }
  return JSON.parse(node.textContent) as T;
}
