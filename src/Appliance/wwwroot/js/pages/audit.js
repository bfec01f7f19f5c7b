// Audit (admins only): every change anyone made through the API, sign-ins and refused attempts
// included, newest first. Search narrows it; "Load older" follows the cursor; the CSV export
// streams every matching entry. Nothing here can edit or remove an entry.

import { call, isAbort } from '../api.js';
import { h, icon, fmtAbs, setTitle } from '../ui.js';

export function mount(root) {
  setTitle('Audit');
  let ctrl = null;
  let cursor = null;
  let timer = 0;
  const search = h('input', { type: 'search', id: 'audit-search', 'data-testid': 'audit-search', placeholder: 'User, action, target or address', autocomplete: 'off' });
  const exportLink = h('a', { class: 'btn', 'data-testid': 'audit-export', href: '/api/audit?format=csv', download: 'outpost-audit.csv' }, icon('download', { size: 16 }), 'Export CSV');
  const tbody = h('tbody', { 'data-testid': 'audit-rows' });
  const more = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'audit-more', hidden: true }, 'Load older');
  const errorEl = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'audit-error' });

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Audit'), h('div', { class: 'sub' }, 'Who changed what, from where, and how it went')),
      h('div', { class: 'actions' }, exportLink)),
    h('section', { class: 'panel', 'aria-label': 'Audit log' },
      h('div', { class: 'toolbar' }, h('label', { for: 'audit-search', class: 'sr-only' }, 'Search the audit log'), search),
      errorEl,
      h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-testid': 'audit-table' },
        h('thead', {}, h('tr', {}, ['Time', 'User', 'Role', 'Source IP', 'Action', 'Target', 'Outcome'].map(t => h('th', { scope: 'col' }, t)))),
        tbody)),
      h('div', { class: 'table-foot' }, more)));

  function row(e) {
    return h('tr', { 'data-testid': 'audit-row' },
      h('td', {}, h('time', { datetime: e.at }, fmtAbs(e.at))),
      h('td', {}, e.user ?? '—'),
      h('td', {}, e.role ?? '—'),
      h('td', { class: 'mono small' }, e.sourceIp ?? ''),
      h('td', { class: 'mono small' }, e.action),
      h('td', { class: 'mono small' }, e.target ?? ''),
      h('td', {}, h('span', { class: `badge outcome-${e.outcome}` }, `${e.outcome} (${e.status})`)));
  }

  async function load(append) {
    ctrl?.abort();
    const c = ctrl = new AbortController();
    const q = search.value.trim();
    exportLink.href = `/api/audit?${new URLSearchParams(q ? { format: 'csv', q } : { format: 'csv' })}`;
    try {
      const data = await call('GET /api/audit', { query: { limit: 100, q, cursor: append ? cursor : null }, signal: c.signal });
      const rows = (data?.entries ?? []).map(row);
      if (append) tbody.append(...rows); else tbody.replaceChildren(...rows);
      cursor = data?.nextCursor ?? null;
      more.hidden = !cursor;
      errorEl.textContent = '';
    } catch (err) {
      if (!isAbort(err)) errorEl.textContent = `Could not load the audit log: ${err.message}`;
    }
  }

  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => load(false), 250); });
  more.addEventListener('click', () => load(true));
  load(false);
  return { unmount: () => { clearTimeout(timer); ctrl?.abort(); } };
}
