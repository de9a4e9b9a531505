// What both views use: the JSON API (with the token on state-changing requests), navigation, the reviewer's name.
import { useState } from './preact-htm.js';

// The token arrives in the address's fragment (#token=T), which no request carries; it is kept for the tab only.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('token')) {
  sessionStorage.setItem('die-inspect-token', fragment.get('token'));
  history.replaceState(null, '', location.pathname + location.search);
}

export async function api(path, options = {}) {
  const headers = { ...(options.headers ?? {}) };
  const token = sessionStorage.getItem('die-inspect-token');
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
  }
  const res = await fetch(path, { ...options, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ? `${body.error.message} (${body.error.code})` : `HTTP ${res.status}`);
  return body;
}

export function navigate(path) {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useReviewer(config) {
  const [name, setName] = useState(localStorage.getItem('die-inspect-reviewer') ?? '');
  const set = (v) => {
    localStorage.setItem('die-inspect-reviewer', v);
    setName(v);
  };
  return [name || config?.reviewer || '', set];
}

