// The one door to the admin API. Every request goes through api(): it sends the session cookie,
// marks mutations with the CSRF header the daemon insists on, turns the {"error":{code,message}}
// shape into an ApiError, and sends the browser to the login page on any 401.

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {number|null} retryAfter */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const listeners = new Set();
/** Called with no arguments whenever the API answers 401 outside the session endpoints. */
export function onUnauthorized(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/**
 * @param {string} path
 * @param {{method?: string, body?: any, signal?: AbortSignal, allow404?: boolean}} [opts]
 */
export async function api(path, { method = 'GET', body, signal, allow404 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-Outpost-Csrf'] = '1';
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body),
    signal,
  });
  if (res.status === 401 && !path.startsWith('/api/session')) {
    listeners.forEach(fn => fn());
  }
  if (allow404 && res.status === 404) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : null;
    const retry = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`,
      err?.message ?? (text && !data ? text.slice(0, 200) : `${res.status} ${res.statusText || 'request failed'}`),
      Number.isFinite(retry) ? retry : null);
  }
  return data;
}

/** Accepts either a bare array or an object holding the array under `key`. */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  return [];
}

export const isAbort = (e) => e && (e.name === 'AbortError');
