// Vulnerabilities: what the checks found, most severe first (docs/vulnerabilities.md).
//  - table of severity, title, asset, port, first and last seen, status;
//  - filters by severity and status with live counts (each counted under the other filters),
//    by check (exact id, suggested from what is loaded), and search over title, check, address, evidence;
//  - a row opens the detail: evidence, remediation, references, note; an operator accepts the
//    risk with a note (or takes an acceptance back); a fixed one only reopens when a run sees it again;
//  - exports (SARIF, CSV, NDJSON) of what the filters show; auto-refresh on the common period.

import { api, isAbort } from '../api.js';
import { h, icon, fmtAbs, fmtCompact, timeEl, tickTimes, debounce, toast, openDialog, preserveFocus, setTitle, REFRESH_MS } from '../ui.js';

const PAGE_SIZE = 100;
// The severities and statuses of src/Store/Records/Vulnerabilities/VulnerabilitySeverity.cs, most severe first.
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const STATUSES = ['open', 'accepted', 'fixed'];

export function mount(root, ctx) {
  setTitle('Vulnerabilities');
  const state = {
    severity: ctx.params.get('severity') ?? '', status: ctx.params.get('status') ?? 'open',
    checkId: ctx.params.get('checkId') ?? '', q: ctx.params.get('q') ?? '',
    rows: [], counts: null, nextCursor: null,
  };
  if (!SEVERITIES.includes(state.severity)) state.severity = '';
  if (state.status !== '' && !STATUSES.includes(state.status)) state.status = 'open';
  let ctrl = null;
  let timer = 0;

  const search = h('input', { type: 'search', id: 'vuln-search', value: state.q, 'data-testid': 'vuln-search', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search title, check, address, evidence…', 'aria-label': 'Search vulnerabilities' });
  const checkInput = h('input', { type: 'text', id: 'vuln-check', value: state.checkId, 'data-testid': 'vuln-check', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Check id', list: 'vuln-checks', 'aria-label': 'Filter by check', style: 'width:14rem' });
  const checkList = h('datalist', { id: 'vuln-checks' });
  const severityList = h('ul', { class: 'filter-list', 'data-testid': 'severity-filter' });
  const statusList = h('ul', { class: 'filter-list', 'data-testid': 'vuln-status-filter' });
  const tbody = h('tbody', { 'data-testid': 'vuln-rows' });
  const emptyEl = h('div', { class: 'empty', hidden: true, 'data-testid': 'vuln-empty' }, icon('shield', { size: 34 }), h('strong', {}, 'Nothing here'),
    h('span', {}, 'No vulnerability matches these filters.'));
  const errorEl = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'vuln-error', style: 'margin:12px 14px' });
  const summary = h('span', { class: 'muted small', 'data-testid': 'vuln-summary', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn', 'data-testid': 'vuln-more', hidden: true }, 'Load more');
  const exports = ['sarif', 'csv', 'ndjson'].map(f => h('a', { class: 'btn btn-sm', 'data-testid': `vuln-export-${f}`, download: `outpost-vulnerabilities.${f}` },
    icon('download', { size: 15 }), f.toUpperCase()));

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Vulnerabilities'), h('div', { class: 'sub' }, 'What the checks found on your services, most severe first')),
      h('div', { class: 'actions' }, ...exports)),
    h('div', { class: 'jobs-layout' },
      h('aside', { class: 'filters', 'aria-label': 'Filters' },
        h('section', { class: 'panel filter-group', 'aria-labelledby': 'vsev-h' }, h('h2', { id: 'vsev-h' }, 'Severity'), severityList),
        h('section', { class: 'panel filter-group', 'aria-labelledby': 'vst-h' }, h('h2', { id: 'vst-h' }, 'Status'), statusList)),
      h('section', { class: 'panel', 'aria-label': 'Vulnerabilities' },
        h('div', { class: 'toolbar' },
          h('div', { class: 'search' }, icon('search', { size: 16 }), search, h('kbd', { 'aria-hidden': 'true' }, '/')),
          checkInput, checkList),
        errorEl,
        h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-testid': 'vuln-table' },
          h('caption', { class: 'sr-only' }, 'Vulnerabilities'),
          h('thead', {}, h('tr', {}, ['Severity', 'Title', 'Asset', 'Port', 'First seen', 'Last seen', 'Status'].map(t => h('th', { scope: 'col' }, t)))),
          tbody), emptyEl),
        h('div', { class: 'table-foot' }, summary, h('span', { class: 'grow' }), more))));

  function params({ cursor = null, format = null } = {}) {
    const p = new URLSearchParams();
    if (state.severity) p.set('severity', state.severity);
    if (state.status) p.set('status', state.status);
    if (state.checkId.trim()) p.set('checkId', state.checkId.trim());
    if (state.q.trim()) p.set('q', state.q.trim());
    if (format) p.set('format', format); else p.set('limit', String(PAGE_SIZE));
    if (cursor) p.set('cursor', cursor);
    return p;
  }

  async function load(append = false) {
    ctrl?.abort();
    const c = ctrl = new AbortController();
    for (const [i, f] of ['sarif', 'csv', 'ndjson'].entries()) exports[i].href = `/api/vulnerabilities?${params({ format: f })}`;
    const p = new URLSearchParams(params({ cursor: append ? state.nextCursor : null }));
    history.replaceState(null, '', `#/vulnerabilities?${new URLSearchParams([...p].filter(([k]) => k !== 'limit' && k !== 'cursor'))}`);
    try {
      const data = await api(`/api/vulnerabilities?${p}`, { signal: c.signal });
      state.rows = append ? state.rows.concat(data.vulnerabilities) : data.vulnerabilities;
      state.counts = data.counts;
      state.nextCursor = data.nextCursor;
      errorEl.textContent = '';
      render();
    } catch (e) {
      if (!isAbort(e)) errorEl.textContent = `Could not load vulnerabilities: ${e.message}`;
    }
  }

  function filterButton(kind, key, label, count, testid) {
    const pressed = state[kind] === key;
    return h('li', {}, h('button', { type: 'button', class: 'filter-btn', 'aria-pressed': String(pressed), 'data-testid': testid, 'data-focus-key': testid,
      onclick: () => { state[kind] = pressed && key ? '' : key; load(); } },
      key && kind === 'severity' ? h('span', { class: `sev sev-${key}` }, label) : h('span', {}, label),
      h('span', { class: 'count', 'data-testid': `${testid}-count` }, count === null ? '…' : fmtCompact(count))));
  }

  function render() {
    const sev = state.counts?.severity ?? {};
    const st = state.counts?.status ?? {};
    preserveFocus(severityList, () => severityList.replaceChildren(
      filterButton('severity', '', 'All severities', SEVERITIES.reduce((n, s) => n + (sev[s] ?? 0), 0), 'severity-all'),
      ...SEVERITIES.map(s => filterButton('severity', s, s, sev[s] ?? 0, `severity-${s}`))));
    preserveFocus(statusList, () => statusList.replaceChildren(
      filterButton('status', '', 'Any status', STATUSES.reduce((n, s) => n + (st[s] ?? 0), 0), 'vstatus-all'),
      ...STATUSES.map(s => filterButton('status', s, s[0].toUpperCase() + s.slice(1), st[s] ?? 0, `vstatus-${s}`))));
    tbody.replaceChildren(...state.rows.map(row));
    checkList.replaceChildren(...[...new Set(state.rows.map(v => v.checkId))].sort().map(id => h('option', { value: id })));
    emptyEl.hidden = state.rows.length > 0;
    more.hidden = !state.nextCursor;
    summary.textContent = `${state.rows.length}${state.nextCursor ? '+' : ''} shown`;
    tickTimes(tbody);
  }

  function row(v) {
    return h('tr', { 'data-testid': 'vuln-row', 'data-id': String(v.id), tabindex: '0', class: 'clickable',
      onclick: () => openDetail(v), onkeydown: (e) => { if (e.key === 'Enter') openDetail(v); } },
      h('td', {}, h('span', { class: `sev sev-${v.severity}`, 'data-testid': 'vuln-severity' }, v.severity)),
      h('td', { 'data-testid': 'vuln-title' }, v.title, h('div', { class: 'muted small mono' }, v.checkId)),
      h('td', { class: 'mono' }, v.ip),
      h('td', { class: 'mono' }, String(v.port)),
      h('td', {}, timeEl(v.firstSeen)),
      h('td', {}, timeEl(v.lastSeen)),
      h('td', {}, h('span', { class: `badge vstatus-${v.status}`, 'data-testid': 'vuln-status' }, v.status)));
  }

  function openDetail(v) {
    const canChange = ctx.session?.role === 'operator' || ctx.session?.role === 'admin';
    const note = h('textarea', { id: 'vuln-note', 'data-testid': 'vuln-note', maxlength: '2000', placeholder: 'Why this risk is accepted' });
    note.value = v.note ?? '';
    const err = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'vuln-detail-error' });
    const actions = [{ label: 'Close', testid: 'vuln-detail-close' }];
    if (canChange && v.status === 'open') actions.push({ label: 'Accept risk', cls: 'btn-primary', testid: 'vuln-accept', onClick: (_, close) => change({ status: 'accepted', note: note.value }, close) });
    if (canChange && v.status === 'accepted') actions.push({ label: 'Reopen', cls: 'btn-primary', testid: 'vuln-reopen', onClick: (_, close) => change({ status: 'open', note: note.value }, close) });
    openDialog({
      title: v.title, testid: 'vuln-detail', wide: true,
      build: (body) => body.append(
        h('p', {}, h('span', { class: `sev sev-${v.severity}` }, v.severity), ' ', h('span', { class: 'mono' }, `${v.ip}:${v.port}`), ' · ',
          h('span', { class: 'mono small' }, v.checkId), ' · ', h('span', { class: `badge vstatus-${v.status}` }, v.status)),
        h('p', { class: 'muted small' }, `First seen ${fmtAbs(v.firstSeen)}, last seen ${fmtAbs(v.lastSeen)}`),
        h('h3', {}, 'Evidence'), h('pre', { class: 'evidence', 'data-testid': 'vuln-evidence' }, v.evidence),
        h('h3', {}, 'Remediation'), h('p', { 'data-testid': 'vuln-remediation' }, v.remediation ?? 'No remediation given for this check.'),
        v.references.length ? h('ul', { class: 'small' }, v.references.map(r => h('li', {}, /^https?:\/\//.test(r) ? h('a', { href: r, target: '_blank', rel: 'noopener noreferrer' }, r) : r))) : null,
        canChange && v.status !== 'fixed'
          ? h('div', { class: 'field' }, h('label', { for: 'vuln-note' }, 'Note'), note)
          : (v.note ? h('p', { 'data-testid': 'vuln-note-text' }, h('strong', {}, 'Note: '), v.note) : null),
        err),
      actions,
    });

    async function change(body, close) {
      if (body.status === 'accepted' && !body.note.trim()) { err.textContent = 'Say why the risk is accepted.'; note.focus(); return; }
      try {
        await api(`/api/vulnerabilities/${v.id}`, { method: 'PATCH', body });
        toast(body.status === 'accepted' ? 'Marked accepted' : 'Reopened');
        close();
        load();
      } catch (e) {
        err.textContent = e.message;
      }
    }
  }

  const onSearch = debounce(() => { state.q = search.value; load(); }, 250);
  const onCheck = debounce(() => { state.checkId = checkInput.value; load(); }, 250);
  search.addEventListener('input', onSearch);
  search.addEventListener('keydown', (e) => { if (e.key === 'Escape') { search.value = ''; state.q = ''; load(); } });
  checkInput.addEventListener('input', onCheck);
  more.addEventListener('click', () => load(true));
  // Refresh the first page only: a refresh must not drop rows the operator loaded with "Load more".
  timer = setInterval(() => { if (!document.querySelector('dialog[open]') && state.rows.length <= PAGE_SIZE) load(); }, REFRESH_MS);
  load();
  return { unmount: () => { clearInterval(timer); onSearch.cancel(); onCheck.cancel(); ctrl?.abort(); } };
}
