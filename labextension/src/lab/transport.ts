/** Requests from the Lab panel go through JupyterLab's ServerConnection: Lab's own login applies. */
import { ServerConnection } from '@jupyterlab/services';

import type { ITransport } from '../chat/client';

function cookie(name: string): string | undefined {
  const match = document.cookie.match(new RegExp(`(?:^|;\\s*)${name}=([^;]*)`));
  return match ? decodeURIComponent(match[1]) : undefined;
}

export function labTransport(): ITransport {
  const settings = ServerConnection.makeSettings();
  return {
    baseUrl: settings.baseUrl,
    // Lab's default `no-store` would add a cache-busting query argument, which the routes refuse as unknown.
    fetch: (url, init) => ServerConnection.makeRequest(url, { cache: 'no-cache', ...init }, settings),
    authHeaders() {
      const headers: Record<string, string> = {};
      const xsrf = cookie('_xsrf');
      if (settings.token) {
        headers.Authorization = `token ${settings.token}`;
      }
      if (xsrf !== undefined) {
        headers['X-XSRFToken'] = xsrf;
      }
      return headers;
    }
  };
}
