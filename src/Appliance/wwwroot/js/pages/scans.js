// The Scans page (seed 002): tabs Active / Processing / Scheduled / Failed / Completed /
// Recurring, each with search; clicking a scan opens its card at the top of the page with the
// two concentric rings (outer: probing, inner: processing), timestamps, scanners and results
// (CSV/JSON export). Create a scan (now, at a time, or recurring by cron), stop a running one,
// remove a scheduled or recurring one.

import { call, isAbort } from '../api.js';
import {
  h, icon, statusBadge, fmtNum, fmtCompact, fmtAbs, timeEl, tickTimes, toast, confirmDialog, openDialog,
  expectedProbes, debounce, setTitle, toDate, fmtDuration, preserveFocus, refreshEvery,
} from '../ui.js';

/** Change summaries by scan and finish: a processed finish's summary does not change. */
const changesCache = new Map();
// The change lists an admin expanded (`scan@finish:list`): the card is drawn again at every refresh and keeps them open.
const openChanges = new Set();
/** A recurring scan's runs by its id, kept between refreshes so the card is drawn at once and then brought up to date. */
const runsCache = new Map();

const TABS = [
  { key: 'active', label: 'Active', hint: 'Scans currently probing or stopping' },
  { key: 'processing', label: 'Processing', hint: 'Probing finished; results are being finalised' },
  { key: 'scheduled', label: 'Scheduled', hint: 'One-off scans that will start later' },
  { key: 'failed', label: 'Failed', hint: 'Scans that could not finish: errors or a stop' },
  { key: 'completed', label: 'Completed', hint: 'Finished scans, newest first' },
  { key: 'recurring', label: 'Recurring', hint: 'Scans that repeat on a schedule' },
];

const counts = (s) => s.jobCounts ?? {};
const unfinished = (s) => { const c = counts(s); return Number(c.queued ?? 0) + Number(c.claimed ?? 0) + Number(c.running ?? 0); };
const totalJobs = (s) => Object.values(counts(s)).reduce((a, b) => a + Number(b || 0), 0);
// Field names as ScanResponse has them in /openapi/v1.json (docs/admin-api.md): a recurring scan carries `recurring`.
const cronOf = (s) => s.recurring?.cron ?? null;
const isRecurring = (s) => s.recurring != null;
const scheduledAt = (s) => s.scheduledAt ?? null;

/** Which tab a scan belongs to. A scan that is running with every job finished is "processing". */
export function tabOf(s) {
  if (isRecurring(s) && s.status === 'scheduled') return 'recurring';
  switch (s.status) {
    case 'scheduled': return 'scheduled';
    case 'processing': return 'processing';
    case 'running': return unfinished(s) === 0 && totalJobs(s) > 0 ? 'processing' : 'active';
    case 'stopping': return 'active';
    case 'failed': case 'stopped': case 'cancelled': return 'failed';
    case 'completed': return 'completed';
    default: return 'active';
  }
}

/** The status word shown for a scan (recurring templates read "Recurring"). */
function displayStatus(s) {
  if (tabOf(s) === 'recurring') return 'recurring';
  if (tabOf(s) === 'processing' && s.status === 'running') return 'processing';
  return s.status;
}

export function mount(root, ctx) {
  setTitle('Scans');
  const state = {
    tab: TABS.some(t => t.key === ctx.params.get('tab')) ? ctx.params.get('tab') : 'active',
    q: ctx.params.get('q') ?? '',
    selected: ctx.params.get('id') ? Number(ctx.params.get('id')) : null,
    /** @type {import('../api-types').ScanResponse[]} */
    scans: [],
    /** @type {import('../api-types').ScannerResponse[]} */
    scanners: [],
    loaded: false,
    error: null,
    results: null,
    typed: null,
    resultsFor: null,
    resultsError: null,
    /** Ids of the scans the appliance matched to the search by address or hostname (GET /api/scans?q=), for the search's text. */
    found: { q: '', ids: new Set() },
  };
  let ctrl = null;
  let findCtrl = null;
  let resCtrl = null;
  let userPickedTab = ctx.params.has('tab');

  const newBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'new-scan' }, icon('plus', { size: 16 }), 'New scan');
  const cardHost = h('div', { 'data-testid': 'scan-card-host' });
  const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Scan lists' });
  const searchInput = h('input', { type: 'search', value: state.q, placeholder: 'Search all scans: name, target or address, hostname, scanner, ID…', 'aria-label': 'Search scans', 'data-testid': 'scans-search', autocomplete: 'off' });
  const tbody = h('tbody', { 'data-testid': 'scan-rows' });
  const tabHint = h('span', { class: 'muted small' });
  const emptyEl = h('div', { class: 'empty', hidden: true, 'data-testid': 'scans-empty' });
  const errorEl = h('div', { class: 'form-error', role: 'alert', style: 'margin:12px 14px' });
  const table = h('table', { class: 'data', 'data-testid': 'scans-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Scan'), h('th', { scope: 'col' }, 'Targets'),
      h('th', { scope: 'col' }, 'Scanners'), h('th', { scope: 'col' }, 'Progress'), h('th', { scope: 'col', class: 'num' }, 'Results'),
      h('th', { scope: 'col' }, 'When'))),
    tbody);
  const tabPanel = h('div', { role: 'tabpanel', id: 'scan-tabpanel', tabindex: '-1' },
    h('div', { class: 'toolbar' }, h('div', { class: 'search' }, icon('search', { size: 16 }), searchInput, h('kbd', { 'aria-hidden': 'true' }, '/')), tabHint),
    errorEl, h('div', { class: 'table-wrap' }, table, emptyEl));

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Scans'), h('div', { class: 'sub' }, 'Create scans, follow their progress and export results')),
      h('div', { class: 'actions' }, newBtn)),
    cardHost,
    h('section', { class: 'panel', 'aria-label': 'Scans' }, tabList, tabPanel));

  // ---------- data ----------
  async function load() {
    ctrl?.abort();
    const c = ctrl = new AbortController();
    try {
      const [scansData, scannersData] = await Promise.all([
        call('GET /api/scans', { signal: c.signal }),
        call('GET /api/scanners', { signal: c.signal }).then(d => d.scanners).catch(e => { if (isAbort(e)) throw e; return state.scanners; }),
      ]);
      state.scans = scansData.scans;
      state.scanners = scannersData;
      state.error = null;
      if (!state.loaded && !userPickedTab) {
        // Land on the first tab that has something in it, so the page never opens on an empty list.
        const withScans = TABS.find(t => state.scans.some(s => tabOf(s) === t.key));
        if (withScans && !state.scans.some(s => tabOf(s) === state.tab)) state.tab = withScans.key;
      }
      state.loaded = true;
    } catch (e) {
      if (isAbort(e)) return;
      state.error = e.message;
    }
    render();
    if (state.selected !== null) loadResults(state.selected, { quiet: true });
  }

  async function loadResults(id, { quiet = false } = {}) {
    const scan = state.scans.find(s => s.id === id);
    if (!scan) return;
    // Results only change while the scan runs; a finished scan's list is fetched once.
    if (quiet && state.resultsFor === id && state.results && ['completed', 'failed', 'stopped'].includes(scan.status)) return;
    resCtrl?.abort();
    const c = resCtrl = new AbortController();
    try {
      const data = await call('GET /api/scans/{id}/results', { path: { id }, signal: c.signal });
      state.results = data.results;
      // The first page only: a next cursor means there are more (the exports carry the whole set).
      state.resultsMore = Boolean(data && data.nextCursor);
      // The typed results of the other capabilities (docs/capabilities.md): services and screenshots, or pages.
      const cap = scan.capability ?? 'portscan';
      state.typed = cap === 'portscan' ? null
        : cap === 'crawler' ? await call('GET /api/scans/{id}/pages', { path: { id }, signal: c.signal })
        : await call('GET /api/scans/{id}/services', { path: { id }, signal: c.signal });
      state.resultsFor = id;
      state.resultsError = null;
    } catch (e) {
      if (isAbort(e)) return;
      state.resultsError = e.message;
      state.resultsFor = id;
    }
    renderCard();
  }

  // ---------- render ----------
  function scannerName(id) {
    const s = state.scanners.find(x => String(x.id) === String(id));
    return s ? s.name : `#${id}`;
  }

  function matches(s, q) {
    if (!q) return true;
    if (state.found.q === q && state.found.ids.has(s.id)) return true;
    const hay = [s.name, s.id, s.status, s.ports, ...(s.targets ?? []), ...(s.scannerIds ?? []).map(scannerName), cronOf(s)].join(' ').toLowerCase();
    return q.toLowerCase().split(/\s+/).every(w => hay.includes(w));
  }

  function sortFor(tab, list) {
    const t = (v) => toDate(v)?.getTime() ?? 0;
    if (tab === 'completed' || tab === 'failed') return list.sort((a, b) => t(b.finishedAt) - t(a.finishedAt) || b.id - a.id);
    if (tab === 'scheduled') return list.sort((a, b) => t(scheduledAt(a)) - t(scheduledAt(b)));
    return list.sort((a, b) => t(b.startedAt ?? b.createdAt) - t(a.startedAt ?? a.createdAt) || b.id - a.id);
  }

  function render() {
    renderTabs();
    preserveFocus(tbody, renderList);
    renderCard();
  }

  function renderTabs() {
    const q = state.q.trim();
    preserveFocus(tabList, () => tabList.replaceChildren(...TABS.map(t => {
      const n = state.scans.filter(s => tabOf(s) === t.key && matches(s, q)).length;
      const sel = t.key === state.tab;
      return h('button', {
        type: 'button', role: 'tab', class: 'tab', id: `tab-${t.key}`, 'aria-selected': String(sel), 'aria-controls': 'scan-tabpanel',
        tabindex: sel ? '0' : '-1', 'data-testid': `tab-${t.key}`, 'data-focus-key': `tab-${t.key}`, title: t.hint,
        onclick: () => selectTab(t.key),
      }, t.label, h('span', { class: 'count', 'data-testid': `tab-count-${t.key}` }, state.loaded ? String(n) : '…'));
    })));
    tabPanel.setAttribute('aria-labelledby', `tab-${state.tab}`);
    tabHint.textContent = TABS.find(t => t.key === state.tab)?.hint ?? '';
  }

  function renderList() {
    const q = state.q.trim();
    const list = sortFor(state.tab, state.scans.filter(s => tabOf(s) === state.tab && matches(s, q)));
    tbody.replaceChildren(...list.map(renderRow));
    errorEl.textContent = state.error ? `Could not load scans: ${state.error}` : '';
    const empty = state.loaded && list.length === 0;
    emptyEl.hidden = !empty;
    table.hidden = empty;
    if (empty) {
      const tab = TABS.find(t => t.key === state.tab);
      emptyEl.replaceChildren(icon(state.tab === 'recurring' ? 'repeat' : state.tab === 'scheduled' ? 'calendar' : 'radar', { size: 34 }),
        h('strong', {}, q ? `No ${tab.label.toLowerCase()} scans match “${q}”` : `No ${tab.label.toLowerCase()} scans`),
        h('span', {}, q ? 'The search covers every tab: check the counts above.' : tab.hint),
        state.tab !== 'failed' && !q ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => openCreate() }, icon('plus', { size: 14 }), 'New scan') : null);
    }
  }

  /** @param {import('../api-types').ScanResponse} s */
  function renderRow(s) {
    const selected = s.id === state.selected;
    const probes = expectedProbes(s.targets, s.ports);
    const pct = probes ? Math.min(100, (Number(s.progressCount ?? 0) / probes) * 100) : null;
    const jobsDone = totalJobs(s) - unfinished(s);
    const when = s.status === 'scheduled' ? timeEl(scheduledAt(s) ?? s.createdAt, { prefix: 'starts ' })
      : s.finishedAt ? timeEl(s.finishedAt, { prefix: 'finished ' })
        : s.startedAt ? timeEl(s.startedAt, { prefix: 'started ' }) : timeEl(s.createdAt, { prefix: 'created ' });
    const tr = h('tr', {
      class: `clickable${selected ? ' is-selected' : ''}`, tabindex: '0', 'data-testid': 'scan-row', 'data-scan-id': s.id, 'data-focus-key': `scan-${s.id}`,
      'aria-selected': String(selected), 'aria-label': `Open scan ${s.name}`,
      onclick: () => select(s.id),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(s.id); } },
    },
      h('td', {}, statusBadge(displayStatus(s))),
      h('td', {}, h('div', { class: 'cell-main', 'data-testid': 'scan-name' }, s.name), h('div', { class: 'cell-sub' }, `Scan #${s.id}${cronOf(s) ? ` · cron ${cronOf(s)}` : ''}`)),
      h('td', { class: 'target' }, (s.targets ?? []).slice(0, 2).join(', '), (s.targets ?? []).length > 2 ? h('span', { class: 'cell-sub' }, ` +${s.targets.length - 2}`) : '',
        h('div', { class: 'cell-sub' }, `ports ${s.ports ?? '—'}`)),
      h('td', {}, [...(s.scannerIds ?? []).map(scannerName), ...(s.pools ?? []).map(p => `pool ${p}`)].join(', ') || '—'),
      h('td', {}, h('div', { class: 'prog', style: 'min-width:150px' },
        pct !== null ? h('div', { class: `bar${s.status === 'failed' ? ' fail' : s.status === 'completed' ? ' ok' : ''}` }, h('span', { style: `width:${pct.toFixed(1)}%` })) : null,
        h('div', { class: 'prog-line' }, `${jobsDone} of ${totalJobs(s)} jobs`, pct !== null ? h('span', { class: 'sep-dot' }) : '', pct !== null ? `${pct.toFixed(0)}%` : ''))),
      h('td', { class: 'num' }, fmtNum(s.resultCount ?? 0)),
      h('td', { class: 'small nowrap' }, when));
    return tr;
  }

  function ring(r, frac, cls, width) {
    const c = 2 * Math.PI * r;
    const off = c * (1 - Math.max(0, Math.min(1, frac ?? 0)));
    return [
      `<circle class="ring-track" cx="60" cy="60" r="${r}" fill="none" stroke-width="${width}"/>`,
      `<circle class="${cls}" cx="60" cy="60" r="${r}" fill="none" stroke-width="${width}" stroke-linecap="round" stroke-dasharray="${c.toFixed(2)}" stroke-dashoffset="${off.toFixed(2)}" transform="rotate(-90 60 60)"/>`,
    ].join('');
  }

  function renderCard() {
    const s = state.scans.find(x => x.id === state.selected);
    if (!s) { cardHost.replaceChildren(); return; }
    const probes = expectedProbes(s.targets, s.ports);
    const progress = Number(s.progressCount ?? 0);
    const total = totalJobs(s);
    const done = total - unfinished(s);
    const finished = ['processing', 'completed', 'failed', 'stopped'].includes(s.status);
    const probeFrac = finished ? 1 : probes ? Math.min(1, progress / probes) : 0;
    // The inner ring is the inventory's processing (docs/inventory.md): results folded of those to fold, once probing has ended.
    const proc = s.processing ?? null;
    const procFrac = proc ? (proc.total ? Math.min(1, proc.processed / proc.total) : (s.status === 'processing' ? 0 : 1)) : 0;
    const c = counts(s);

    const svg = h('svg', { viewBox: '0 0 120 120', width: '132', height: '132', role: 'img', 'aria-label': `Probing ${Math.round(probeFrac * 100)}%, processing ${Math.round(procFrac * 100)}%`, 'data-testid': 'scan-rings' });
    svg.innerHTML = ring(52, probeFrac, 'ring-outer', 10) + ring(36, procFrac, 'ring-inner', 10)
      + `<text x="60" y="58" text-anchor="middle" font-size="17" font-weight="700" fill="currentColor">${Math.round(probeFrac * 100)}%</text>`
      + `<text x="60" y="75" text-anchor="middle" font-size="9.5" fill="currentColor" opacity=".65">probed</text>`;

    const actions = [];
    if (s.status === 'running') actions.push(h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'stop-scan', onclick: () => stopScan(s) }, icon('stop', { size: 15 }), 'Stop scan'));
    if (s.status === 'scheduled' || tabOf(s) === 'recurring') actions.push(h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'remove-scan', onclick: () => removeScan(s) }, icon('trash', { size: 15 }), isRecurring(s) ? 'Remove recurring scan' : 'Remove scheduled scan'));
    actions.push(h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': 'Close scan details', 'data-testid': 'close-card', onclick: () => select(null) }, icon('x', { size: 18 })));

    const duration = s.startedAt ? fmtDuration((toDate(s.finishedAt)?.getTime() ?? Date.now()) - toDate(s.startedAt).getTime()) : '—';
    const facts = [
      ['Created', timeEl(s.createdAt)],
      scheduledAt(s) ? ['Scheduled for', h('span', { title: fmtAbs(scheduledAt(s)) }, fmtAbs(scheduledAt(s)))] : null,
      cronOf(s) ? ['Repeats', h('code', {}, cronOf(s))] : null,
      ['Started', timeEl(s.startedAt)],
      ['Finished', timeEl(s.finishedAt)],
      ['Duration', duration],
      ['Targets', h('span', { class: 'target' }, (s.targets ?? []).join(', ') || '—')],
      ['Capability', h('span', { class: 'cap', 'data-testid': 'scan-capability' }, s.capability ?? 'portscan')],
      ['Ports', h('span', { class: 'target' }, s.ports ?? '—')],
      ['Scanners', (s.scannerIds ?? []).map(scannerName).join(', ') || '—'],
      ['Pools', (s.pools ?? []).join(', ') || '—'],
      ['Rate limit', s.maxProbesPerSecond ? `${fmtNum(s.maxProbesPerSecond)} probes/s` : 'Scanner and subnet limits'],
      ['Started by', s.automated ? 'Scheduler' : 'Admin (manual)'],
    ].filter(Boolean);

    let stoppingNote = null;
    if (s.status === 'stopping') {
      stoppingNote = h('div', { class: 'note warn', 'data-testid': 'stopping-note' }, icon('info', { size: 18 }),
        h('span', {}, 'Stopping: queued jobs were cancelled; the scan shows Stopped once every scanner has confirmed its running jobs ended.'));
    }

    const resultsSection = h('section', { class: 'card-section', 'aria-label': 'Results' },
      h('div', { class: 'panel-head' }, h('h3', {}, 'Results'), h('span', { class: 'muted small', 'data-testid': 'results-count' },
        state.resultsFor === s.id && state.results ? `${fmtNum(state.results.length)}${state.resultsMore ? '+' : ''} findings${state.results.length > 500 ? ', first 500 shown' : ''}` : ''),
      h('span', { class: 'grow' }),
      h('a', { class: 'btn btn-sm', href: `/api/scans/${s.id}/results?format=csv`, download: `scan-${s.id}-results.csv`, 'data-testid': 'export-csv' }, icon('download', { size: 14 }), 'CSV'),
      h('a', { class: 'btn btn-sm', href: `/api/scans/${s.id}/results?format=ndjson`, download: `scan-${s.id}-results.ndjson`, 'data-testid': 'export-json' }, icon('download', { size: 14 }), 'NDJSON')),
      resultsTable(s));

    cardHost.replaceChildren(h('article', { class: 'panel scan-card', 'data-testid': 'scan-card', 'data-scan-id': s.id, 'aria-label': `Scan ${s.name}`, tabindex: '-1' },
      h('div', { class: 'card-top' },
        h('div', { class: 'rings' }, svg, h('div', { class: 'ring-legend' },
          h('div', {}, h('div', { class: 'k' }, h('span', { class: 'swatch', style: 'background:var(--run)' }), 'Probing (outer)'),
            h('div', { class: 'v', 'data-testid': 'probe-progress' }, `${fmtCompact(progress)}${probes ? ` / ${fmtCompact(probes)}` : ''} probes`)),
          h('div', {}, h('div', { class: 'k' }, h('span', { class: 'swatch', style: 'background:var(--ok)' }), 'Processing (inner)'),
            h('div', { class: 'v', 'data-testid': 'processing-progress' }, proc ? `${fmtCompact(proc.processed)} / ${fmtCompact(proc.total)} results processed` : `${done} / ${total} jobs done`)),
          h('div', {}, h('div', { class: 'k' }, icon('radar', { size: 12 }), 'Results'), h('div', { class: 'v' }, fmtNum(s.resultCount ?? 0))))),
        h('div', {},
          h('div', { class: 'card-title' }, h('h2', { 'data-testid': 'card-name' }, s.name), h('span', { 'data-testid': 'scan-status' }, statusBadge(displayStatus(s), { pill: true, testid: 'scan-status-badge' })),
            h('span', { class: 'muted small' }, `#${s.id}`), h('div', { class: 'actions' }, actions)),
          stoppingNote,
          h('dl', { class: 'facts', style: stoppingNote ? 'margin-top:14px' : '' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
          h('div', { class: 'jobcounts', 'data-testid': 'job-counts' },
            ['queued', 'running', 'completed', 'failed', 'cancelled'].map(k => {
              const n = k === 'queued' ? Number(c.queued ?? 0) + Number(c.claimed ?? 0) : Number(c[k] ?? 0);
              return h('span', { class: 'row', style: 'gap:6px' }, statusBadge(k), h('b', {}, fmtNum(n)));
            })))),
      changesSection(s), pastRunsSection(s), resultsSection));
  }

  /**
   * A recurring scan's past runs, newest first (GET /api/schedules/{id}): when each was due, the run's status or why it
   * was skipped, and a processed run's change counts; a run opens its own card.
   */
  function pastRunsSection(s) {
    if (tabOf(s) !== 'recurring') return null;
    const host = h('section', { class: 'card-section', 'aria-label': 'Past runs', 'data-testid': 'past-runs' });
    const counts = (c) => c ? [['new assets', c.newAssets], ['gone assets', c.goneAssets], ['new services', c.newServices],
      ['gone services', c.goneServices], ['changed services', c.changedServices]].map(([k, n]) => `${fmtNum(n)} ${k}`).join(' · ') : '';
    const openRun = (id) => {
      const run = state.scans.find(x => x.id === id);
      if (run) selectTab(tabOf(run));
      select(id);
    };
    const row = (r) => h('tr', { 'data-testid': 'past-run', 'data-scan-id': r.scanId ?? '' },
      h('td', { class: 'small nowrap' }, timeEl(r.at)),
      h('td', {}, r.scanId === null
        ? h('span', { class: 'muted small', 'data-testid': 'past-run-skipped' }, `Skipped: ${r.reason ?? 'not started'}`)
        : h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'data-testid': 'open-run', onclick: () => openRun(r.scanId) },
          statusBadge(r.scanStatus ?? 'running'), `Run #${r.scanId}`)),
      h('td', { class: 'small', 'data-testid': 'past-run-changes' }, counts(r.changes)));
    const fill = (runs) => host.replaceChildren(
      h('div', { class: 'panel-head' }, h('h3', {}, 'Past runs'), h('span', { class: 'muted small' }, `${fmtNum(runs.length)} so far`)),
      runs.length === 0
        ? h('div', { class: 'empty small', 'data-testid': 'past-runs-empty' }, 'No run yet: the first starts at the next due time.')
        : h('div', { class: 'results-wrap' }, h('table', { class: 'data' },
          h('thead', {}, h('tr', {}, ['Due', 'Run', 'Changes against the run before'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, runs.map(row)))));
    if (runsCache.has(s.id)) fill(runsCache.get(s.id));
    else host.append(h('div', { class: 'empty small' }, 'Loading past runs…'));
    call('GET /api/schedules/{id}', { path: { id: s.id }, allow404: true })
      .then(r => { if (r) { runsCache.set(s.id, r.runs); fill(r.runs); } else host.replaceChildren(); })
      .catch(() => { if (!runsCache.has(s.id)) host.replaceChildren(); });
    return host;
  }

  /** The change summary against the previous run (docs/inventory.md): counts, each list expandable. Fetched once per finish. */
  function changesSection(s) {
    if (!s.processing || !['completed', 'failed', 'stopped'].includes(s.status)) return null;
    const key = `${s.id}@${s.finishedAt}`;
    const host = h('section', { class: 'card-section', 'aria-label': 'Changes', 'data-testid': 'scan-changes' });
    const svc = (x) => `${x.ip}:${x.port}/${x.proto}${x.product ? ` ${x.product}${x.version ? ` ${x.version}` : ''}` : (x.service ? ` ${x.service}` : '')}`;
    const list = (label, items, testid) => {
      const id = `${key}:${testid}`;
      return h('details', { 'data-testid': testid, open: openChanges.has(id),
        ontoggle: (e) => { if (e.currentTarget.open) openChanges.add(id); else openChanges.delete(id); } },
      h('summary', {}, h('b', {}, fmtNum(items.length)), ` ${label}`),
      h('ul', { class: 'mono small' }, items.slice(0, 200).map(t => h('li', {}, t)),
        items.length > 200 ? h('li', { class: 'muted' }, `… and ${fmtNum(items.length - 200)} more (the API lists them all)`) : null));
    };
    const fill = (c) => host.replaceChildren(
      h('div', { class: 'panel-head' }, h('h3', {}, 'Changes'), h('span', { class: 'muted small' },
        c.previousScanId ? `against run #${c.previousScanId}` : 'first run: everything is new')),
      h('div', { class: 'row', style: 'gap:18px;flex-wrap:wrap;padding:0 18px 12px' },
        list('new assets', c.newAssets, 'changes-new-assets'),
        list('gone assets', c.goneAssets, 'changes-gone-assets'),
        list('new services', c.newServices.map(svc), 'changes-new-services'),
        list('gone services', c.goneServices.map(svc), 'changes-gone-services'),
        list('changed services', c.changedServices.map(x => `${svc(x.service)} (was ${svc(x.previous)}${x.previous.certificate?.sha256 !== x.service.certificate?.sha256 ? ', certificate changed' : ''})`), 'changes-changed-services')));
    if (changesCache.has(key)) {
      fill(changesCache.get(key));
    } else {
      host.append(h('div', { class: 'empty small' }, 'Loading changes…'));
      call('GET /api/scans/{id}/changes', { path: { id: s.id }, allow404: true })
        .then(c => { if (c) { changesCache.set(key, c); fill(c); } else host.replaceChildren(); })
        .catch(() => host.replaceChildren());
    }
    return host;
  }

  /** @param {import('../api-types').ScanResponse} s */
  function resultsTable(s) {
    if (state.resultsFor !== s.id) return h('div', { class: 'empty small' }, 'Loading results…');
    if (state.resultsError) return h('div', { class: 'form-error', style: 'margin:12px 18px' }, `Could not load results: ${state.resultsError}`);
    if (state.typed?.pages) return pagesTable(state.typed.pages);
    if (state.typed) return servicesTable(state.typed.services ?? [], state.typed.screenshots ?? []);
    const rows = state.results ?? [];
    if (rows.length === 0) return h('div', { class: 'empty small', 'data-testid': 'results-empty' }, icon('inbox', { size: 26 }), s.status === 'scheduled' ? 'Results appear once the scan runs.' : 'No open or closed ports found yet.');
    return h('div', { class: 'results-wrap' }, h('table', { class: 'data', 'data-testid': 'results-table' },
      h('thead', {}, h('tr', {}, ['IP', 'Port', 'Proto', 'State', 'TTL', 'Job', 'Seen'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.slice(0, 500).map(r => h('tr', { 'data-testid': 'result-row' },
        h('td', { class: 'mono' }, r.ip), h('td', { class: 'mono' }, String(r.port)), h('td', {}, r.proto ?? 'tcp'),
        h('td', {}, h('span', { class: `status status--${r.state === 'open' ? 'ok' : 'muted'}` }, icon(r.state === 'open' ? 'check' : 'ban', { size: 14 }), h('span', { class: 'label' }, r.state))),
        h('td', { class: 'mono' }, r.ttl ?? '—'), h('td', { class: 'mono' }, r.jobId ?? '—'), h('td', { class: 'small' }, timeEl(r.seenAt)))))));
  }

  /** One row per (ip, port): the service, its product and version, its certificate, its HTTP answer and its screenshot. */
  function servicesTable(services, screenshots) {
    const key = (ip, port) => `${ip}:${port}`;
    const rows = new Map();
    for (const x of services) rows.set(key(x.service.ip, x.service.port), { ip: x.service.ip, port: x.service.port, svc: x.service, seenAt: x.seenAt });
    for (const shot of screenshots) {
      const k = key(shot.ip, shot.port);
      rows.set(k, { ...(rows.get(k) ?? { ip: shot.ip, port: shot.port, seenAt: shot.seenAt }), shot });
    }
    if (rows.size === 0) return h('div', { class: 'empty small', 'data-testid': 'results-empty' }, icon('inbox', { size: 26 }), 'No services found yet.');
    const tls = (t) => t ? h('div', { class: 'small' },
      h('div', { class: 'mono' }, t.subject), h('div', { class: 'cell-sub' }, `issuer ${t.issuer}${t.selfSigned ? ' (self-signed)' : ''}`),
      h('div', { class: 'cell-sub' }, `${t.version} · ${t.keyType} ${t.keyBits} · until `, timeEl(t.notAfter))) : h('span', { class: 'faint' }, '—');
    const http = (x) => x ? h('div', { class: 'small' }, h('span', { class: 'mono' }, String(x.status)), ' ', x.title ?? '', x.server ? h('div', { class: 'cell-sub' }, x.server) : null)
      : h('span', { class: 'faint' }, '—');
    return h('div', { class: 'results-wrap' }, h('table', { class: 'data', 'data-testid': 'services-table' },
      h('thead', {}, h('tr', {}, ['IP', 'Port', 'Service', 'Product', 'Certificate', 'HTTP', 'Screenshot'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, [...rows.values()].slice(0, 500).map(r => h('tr', { 'data-testid': 'service-row', 'data-endpoint': key(r.ip, r.port) },
        h('td', { class: 'mono' }, r.ip), h('td', { class: 'mono' }, String(r.port)),
        h('td', { 'data-testid': 'service-name' }, r.svc?.service ?? h('span', { class: 'faint' }, '—')),
        h('td', { 'data-testid': 'service-product' }, r.svc?.product ? `${r.svc.product}${r.svc.version ? ' ' + r.svc.version : ''}` : h('span', { class: 'faint' }, r.svc?.banner ?? '—')),
        h('td', {}, tls(r.svc?.tls)), h('td', {}, http(r.svc?.http)),
        h('td', {}, r.shot ? h('a', { href: r.shot.href, target: '_blank', rel: 'noopener' },
          h('img', { class: 'shot', src: r.shot.href, alt: `Screenshot of ${r.shot.url}`, loading: 'lazy', 'data-testid': 'screenshot' })) : h('span', { class: 'faint' }, '—')))))));
  }

  /** The crawler's pages: URL, status, title, depth and the forms found. */
  function pagesTable(pages) {
    if (pages.length === 0) return h('div', { class: 'empty small', 'data-testid': 'results-empty' }, icon('inbox', { size: 26 }), 'No pages crawled yet.');
    return h('div', { class: 'results-wrap' }, h('table', { class: 'data', 'data-testid': 'pages-table' },
      h('thead', {}, h('tr', {}, ['URL', 'Status', 'Title', 'Depth', 'Forms'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, pages.slice(0, 500).map(p => h('tr', { 'data-testid': 'page-row' },
        h('td', { class: 'mono small' }, p.url), h('td', { class: 'mono' }, p.status ? String(p.status) : (p.error ?? '—')),
        h('td', {}, p.title ?? h('span', { class: 'faint' }, '—')), h('td', { class: 'mono' }, String(p.depth)),
        h('td', { class: 'small' }, (p.forms ?? []).length ? p.forms.map(f => h('div', { class: 'mono' }, `${f.method} ${f.action} (${f.inputs.join(', ')})`)) : h('span', { class: 'faint' }, '—')))))));
  }

  // ---------- actions ----------
  function syncUrl() {
    const p = new URLSearchParams();
    p.set('tab', state.tab);
    if (state.q.trim()) p.set('q', state.q.trim());
    if (state.selected !== null) p.set('id', String(state.selected));
    history.replaceState(null, '', `#/scans?${p}`);
  }

  function selectTab(key, focus = false) {
    state.tab = key;
    userPickedTab = true;
    syncUrl();
    renderTabs();
    renderList();
    if (focus) tabList.querySelector(`#tab-${key}`)?.focus();
  }

  function select(id) {
    state.selected = id;
    if (id !== null && state.resultsFor !== id) { state.results = null; state.typed = null; state.resultsFor = null; }
    syncUrl();
    renderList();
    renderCard();
    if (id !== null) {
      loadResults(id);
      cardHost.querySelector('.scan-card')?.focus({ preventScroll: true });
      cardHost.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  }

  tabList.addEventListener('keydown', (e) => {
    const i = TABS.findIndex(t => t.key === state.tab);
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + TABS.length) % TABS.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = TABS.length - 1;
    if (j !== null) { e.preventDefault(); selectTab(TABS[j].key, true); }
  });

  // The words match here, at once; an address inside a target block, or a hostname the inventory knows, only the
  // appliance can match (docs/admin-api.md, "Search by address and name"), so its answer joins when it arrives.
  async function findOnServer(q) {
    findCtrl?.abort();
    if (!q) return;
    const c = findCtrl = new AbortController();
    try {
      const data = await call('GET /api/scans', { query: { q }, signal: c.signal });
      state.found = { q, ids: new Set(data.scans.map(s => s.id)) };
      renderTabs();
      renderList();
    } catch (e) {
      if (!isAbort(e)) state.found = { q: '', ids: new Set() };
    }
  }
  const onSearch = debounce(() => { syncUrl(); renderTabs(); renderList(); findOnServer(state.q.trim()); }, 150);
  searchInput.addEventListener('input', () => { state.q = searchInput.value; onSearch(); });
  searchInput.addEventListener('keydown', (e) => { if (e.key === 'Escape' && searchInput.value) { e.preventDefault(); searchInput.value = ''; state.q = ''; onSearch(); } });

  async function stopScan(s) {
    const ok = await confirmDialog({
      title: `Stop “${s.name}”?`,
      message: 'Queued jobs are cancelled at once. Running jobs are told to stop; the scan shows Stopped when their scanners confirm, which can take a few moments.',
      bullets: ['Results found so far are kept', 'Stopped scans are listed under Failed'],
      confirmLabel: 'Stop scan', danger: true,
    });
    if (!ok) return;
    try {
      await call('POST /api/scans/{id}/stop', { path: { id: s.id } });
      toast(`Stopping “${s.name}”`);
    } catch (e) { toast(e.message, { tone: 'fail' }); }
    await load();
  }

  async function removeScan(s) {
    const ok = await confirmDialog({
      title: isRecurring(s) ? `Remove recurring scan “${s.name}”?` : `Remove scheduled scan “${s.name}”?`,
      message: isRecurring(s) ? 'No further runs will be created. Past runs and their results stay.' : 'The scan will not run. This cannot be undone.',
      confirmLabel: 'Remove', danger: true,
    });
    if (!ok) return;
    try {
      await call('DELETE /api/scans/{id}', { path: { id: s.id } });
      toast(`Removed “${s.name}”`);
      state.selected = null;
      syncUrl();
    } catch (e) { toast(e.message, { tone: 'fail' }); }
    await load();
  }

  async function openCreate() {
    let portLists = [];
    try { const st = await call('GET /api/settings/scan', { allow404: true }); portLists = st?.portLists ?? []; } catch { /* optional */ }
    const scanners = state.scanners;
    const err = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'scan-form-error' });
    const name = h('input', { type: 'text', id: 'scan-name', required: true, 'data-testid': 'scan-name', placeholder: 'e.g. DMZ weekly sweep' });
    const targets = h('textarea', { id: 'scan-targets', required: true, 'data-testid': 'scan-targets', placeholder: '10.0.0.0/24\n10.0.1.5\n10.0.2.1-10.0.2.50', 'aria-describedby': 'scan-targets-hint' });
    const ports = h('input', { type: 'text', id: 'scan-ports', value: '22,80,443', required: true, 'data-testid': 'scan-ports', class: 'mono', 'aria-describedby': 'scan-ports-hint' });
    const capability = h('select', { id: 'scan-capability', 'data-testid': 'scan-capability-select', 'aria-describedby': 'scan-capability-hint' },
      [['portscan', 'Port scan'], ['fingerprint', 'Service fingerprint'], ['screenshot', 'Screenshots of web services'], ['crawler', 'Web crawl'], ['vulnscan', 'Vulnerability checks']]
        .map(([v, label]) => h('option', { value: v }, label)));
    const rate = h('input', { type: 'number', id: 'scan-rate', min: '1', step: '1', placeholder: 'No extra limit', 'data-testid': 'scan-rate' });
    const estimate = h('span', { class: 'hint', 'data-testid': 'scan-estimate', 'aria-live': 'polite' });
    const at = h('input', { type: 'datetime-local', id: 'scan-at', 'data-testid': 'scan-at' });
    const cron = h('input', { type: 'text', id: 'scan-cron', class: 'mono', placeholder: '0 22 * * 1-5', 'data-testid': 'scan-cron', 'aria-describedby': 'scan-cron-hint' });
    const whenAt = h('div', { class: 'field', hidden: true }, h('label', { for: 'scan-at' }, 'Start at'), at, h('span', { class: 'hint' }, 'Local time of this browser.'));
    const whenCron = h('div', { class: 'field', hidden: true }, h('label', { for: 'scan-cron' }, 'Cron schedule'), cron,
      h('span', { class: 'hint', id: 'scan-cron-hint' }, 'minute hour day month weekday: “0 22 * * 1-5” is 22:00 on weekdays. Runs only inside scan windows.'));
    const whenRadios = ['now', 'at', 'cron'].map((v, i) => h('label', {}, h('input', { type: 'radio', name: 'scan-when', value: v, checked: i === 0, 'data-testid': `scan-when-${v}` }), ['Start now', 'Once, later', 'Recurring'][i]));
    const portSelect = portLists.length ? h('select', { id: 'scan-portlist', 'aria-label': 'Port list', onchange: (e) => { if (e.target.value) { ports.value = portLists[Number(e.target.value)].ports; updateEstimate(); } } },
      h('option', { value: '' }, 'Custom ports'), portLists.map((p, i) => h('option', { value: String(i) }, `${p.name} (${p.ports})`))) : null;

    const scannerList = scanners.length
      ? h('div', { class: 'choice-list', role: 'group', 'aria-labelledby': 'scan-scanners-label', 'data-testid': 'scan-scanners' },
        scanners.map(sc => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: 'scanner', value: String(sc.id), checked: scanners.length === 1, disabled: sc.enabled === false, 'data-testid': `scan-scanner-${sc.id}` }),
          h('span', {}, sc.name), h('span', { class: 'grow' }), statusBadge(sc.enabled === false ? 'disabled' : sc.online ? 'online' : 'offline'))))
      : h('div', { class: 'note warn' }, icon('alert', { size: 18 }), h('span', {}, 'No scanners yet. Add one on the ', h('a', { href: '#/scanners' }, 'Scanners'), ' page first.'));

    // Pools (sites): any online member claims a pool's jobs, and a job lost with one member goes to another.
    const pools = [...new Set(scanners.map(sc => sc.pool).filter(Boolean))].sort();
    const poolList = pools.length
      ? h('div', { class: 'choice-list', role: 'group', 'aria-labelledby': 'scan-pools-label', 'data-testid': 'scan-pools' },
        pools.map(p => {
          const members = scanners.filter(sc => sc.pool === p);
          const online = members.filter(sc => sc.enabled !== false && sc.online).length;
          return h('label', { class: 'check' },
            h('input', { type: 'checkbox', name: 'pool', value: p, 'data-testid': `scan-pool-${p}` }),
            h('span', {}, p), h('span', { class: 'grow' }), h('span', { class: 'muted small' }, `${online} of ${members.length} online`));
        }))
      : null;

    function updateEstimate() {
      const list = targets.value.split(/[\s,]+/).filter(Boolean);
      const n = expectedProbes(list, ports.value);
      estimate.textContent = list.length ? (n ? `${fmtNum(n)} probes (${list.length} target${list.length > 1 ? 's' : ''})` : 'Some targets or ports could not be counted') : '';
    }
    targets.addEventListener('input', updateEstimate);
    ports.addEventListener('input', updateEstimate);

    const form = h('form', { id: 'scan-form', 'data-testid': 'scan-form', novalidate: true },
      h('div', { class: 'form-grid' },
        h('div', { class: 'field span2' }, h('label', { for: 'scan-name' }, 'Name'), name),
        h('div', { class: 'field span2' }, h('label', { for: 'scan-targets' }, 'Targets'), targets,
          h('span', { class: 'hint', id: 'scan-targets-hint' }, 'One per line or comma-separated: CIDRs, single IPs or ranges.'), estimate),
        h('div', { class: 'field' }, h('label', { for: 'scan-ports' }, 'Ports'), ports, portSelect,
          h('span', { class: 'hint', id: 'scan-ports-hint' }, 'e.g. 22,80,443,8000-8100')),
        h('div', { class: 'field' }, h('label', { for: 'scan-capability' }, 'Capability'), capability,
          h('span', { class: 'hint', id: 'scan-capability-hint' }, 'Beyond the port scan, each address is visited on each port.')),
        h('div', { class: 'field' }, h('label', { for: 'scan-rate' }, 'Max probes per second'), rate, h('span', { class: 'hint' }, 'Optional; the slowest of scanner, subnet and port-list limits wins.')),
        h('div', { class: 'field span2' }, h('span', { id: 'scan-scanners-label', class: 'label', style: 'font-weight:560;font-size:.9rem' }, 'Scanners'), scannerList),
        poolList ? h('div', { class: 'field span2' }, h('span', { id: 'scan-pools-label', class: 'label', style: 'font-weight:560;font-size:.9rem' }, 'Pools'), poolList,
          h('span', { class: 'hint' }, 'Any online member of a pool takes its jobs.')) : null,
        h('div', { class: 'field span2' }, h('span', { style: 'font-weight:560;font-size:.9rem' }, 'When'),
          h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'When' }, whenRadios)),
        h('div', { class: 'span2' }, whenAt, whenCron)),
      err);

    form.addEventListener('change', (e) => {
      if (e.target.name !== 'scan-when') return;
      whenAt.hidden = e.target.value !== 'at';
      whenCron.hidden = e.target.value !== 'cron';
    });

    const dlg = openDialog({
      title: 'New scan', testid: 'scan-dialog', wide: true,
      build: (body) => body.append(form),
      actions: [
        { label: 'Cancel', testid: 'scan-cancel' },
        { label: 'Create scan', cls: 'btn-primary', testid: 'scan-submit', submit: true, form: 'scan-form' },
      ],
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const targetList = targets.value.split(/[\s,]+/).map(t => t.trim()).filter(Boolean);
      const scannerIds = [...form.querySelectorAll('input[name="scanner"]:checked')].map(x => Number.isFinite(Number(x.value)) ? Number(x.value) : x.value);
      const poolNames = [...form.querySelectorAll('input[name="pool"]:checked')].map(x => x.value);
      const when = form.querySelector('input[name="scan-when"]:checked').value;
      const problems = [];
      if (!name.value.trim()) problems.push([name, 'Give the scan a name.']);
      if (targetList.length === 0) problems.push([targets, 'Enter at least one target.']);
      if (!ports.value.trim()) problems.push([ports, 'Enter the ports to probe.']);
      if (scannerIds.length === 0 && poolNames.length === 0) problems.push([null, pools.length ? 'Pick at least one scanner or pool.' : 'Pick at least one scanner.']);
      if (when === 'at' && !at.value) problems.push([at, 'Pick the start time.']);
      if (when === 'cron' && !cron.value.trim()) problems.push([cron, 'Enter a cron schedule.']);
      for (const el of [name, targets, ports, at, cron]) el.removeAttribute('aria-invalid');
      if (problems.length) {
        for (const [el] of problems) el?.setAttribute('aria-invalid', 'true');
        err.replaceChildren(icon('alert', { size: 16 }), h('span', {}, problems.map(p => p[1]).join(' ')));
        (problems[0][0] ?? form.querySelector('input[name="scanner"]'))?.focus();
        return;
      }
      const body = { name: name.value.trim(), targets: targetList, ports: ports.value.replace(/\s+/g, ''), scannerIds, capability: capability.value };
      if (poolNames.length) body.pools = poolNames;
      if (rate.value) body.maxProbesPerSecond = Number(rate.value);
      if (when === 'at') body.schedule = { at: new Date(at.value).toISOString() };
      if (when === 'cron') body.schedule = { cron: cron.value.trim() };
      const submit = dlg.foot.querySelector('[data-testid="scan-submit"]');
      submit.disabled = true;
      try {
        const created = await call('POST /api/scans', { body });
        dlg.close();
        toast(`Scan “${body.name}” created`);
        await load();
        const id = created.id;
        const scan = state.scans.find(x => x.id === id);
        if (scan) selectTab(tabOf(scan));
        if (id !== undefined) select(id);
      } catch (ex) {
        err.replaceChildren(icon('alert', { size: 16 }), h('span', {}, ex.message));
        submit.disabled = false;
      }
    });
  }
  newBtn.addEventListener('click', () => openCreate());

  const tick = setInterval(() => tickTimes(root), 1000);
  const stopRefresh = refreshEvery(load);
  render();
  load();
  findOnServer(state.q.trim());

  return {
    unmount() {
      clearInterval(tick);
      stopRefresh();
      onSearch.cancel();
      findCtrl?.abort();
      ctrl?.abort();
      resCtrl?.abort();
    },
  };
}
