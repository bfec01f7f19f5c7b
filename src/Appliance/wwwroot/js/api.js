// The one door to the admin API. Pages call call('METHOD /path/{param}', …): the route is named as the OpenAPI
// document the daemon serves names it, so its answer and body carry the types of api-types.d.ts (generated from that
// document) and `tsc --checkJs` rejects a field the API does not have (tests/Ui.Tests/ApiTypesTests.cs).
// Underneath, api() sends the session cookie, marks mutations with the CSRF header the daemon insists on, turns the
// {"error":{code,message}} shape into an ApiError, and sends the browser to the login page on any 401.

/** @typedef {import('./api-types').Routes} Routes */

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
 * @template {keyof Routes} R
 * @typedef {{
 *   path?: Routes[R]['path'],
 *   query?: Routes[R]['query'],
 *   body?: Routes[R]['body'],
 *   signal?: AbortSignal,
 *   allow404?: boolean,
 * }} CallOptions
 */

/**
 * Calls one operation of the API, e.g. call('GET /api/scans/{id}/results', { path: { id } }). Query values that are
 * null, undefined or '' are left out. With allow404, a 404 answers null.
 * @template {keyof Routes} R
 * @param {R} route
 * @param {CallOptions<R>} [opts]
 * @returns {Promise<Routes[R]['response']>}
 */
export function call(route, { path = {}, query = {}, ...opts } = {}) {
  const space = route.indexOf(' ');
  const url = route.slice(space + 1).replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(path[name])));
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  }
  const search = params.toString();
  return api(search ? `${url}?${search}` : url, { method: route.slice(0, space), ...opts });
}

/**
 * The untyped transport under call(); pages use call().
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
