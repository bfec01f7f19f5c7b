// The Jobs page (seed 000, point by point):
//  - table of Source, Job Name, Target, Source IP, Status (icon + word), last 24 hours;
//  - search as you type (debounced, stale requests aborted), Status filter with live counts,
//    Failed Reasons filter; all filtering and paging is the server's (cursor "Load more"),
//    so the page stays fast with 100 000 jobs in the window;
//  - error tooltip on failed jobs (hover or keyboard focus);
//  - Pause Jobs / Resume Jobs behind a confirmation dialog;
//  - re-run per job, disabled (with the reason) while queued, claimed or running;
//  - auto-refresh every 15 s, a countdown to the next scheduled cycle while not paused;
//  - live progress on running jobs: probes, results and achieved pps from progress deltas.

import { call, isAbort } from '../api.js';
import {
  h, icon, statusBadge, fmtNum, fmtCompact, timeEl, tickTimes, fmtCountdown, debounce, toast,
  confirmDialog, expectedProbes, preserveFocus, setTitle, toDate, REFRESH_MS,
} from '../ui.js';

const PAGE_SIZE = 50;
const STATUS_FILTERS = [
  { key: '', label: 'All jobs' },
  { key: 'queued', label: 'Queued' },
  { key: 'running', label: 'Running' },
  { key: 'completed', label: 'Completed' },
  { key: 'failed', label: 'Failed' },
];
const ACTIVE = new Set(['queued', 'claimed', 'running']);

export function mount(root, ctx) {
  setTitle('Jobs');
  const state = {
    status: ctx.params.get('status') ?? '',
    reason: ctx.params.get('reason') ?? '',
    q: ctx.params.get('q') ?? '',
    /** @type {import('../api-types').JobResponse[]} */
    jobs: [],
    /** @type {import('../api-types').StatusCounts | null} */
    counts: null,
    /** @type {import('../api-types').FailedReason[]} */
    failedReasons: [],
    nextCursor: null,
    loading: false,
    error: null,
    /** @type {import('../api-types').SchedulerResponse | null} */
    scheduler: null,
    nextRefreshAt: Date.now() + REFRESH_MS,
    loadedOnce: false,
  };
  if (!STATUS_FILTERS.some(f => f.key === state.status)) state.status = '';
  /** jobId -> {progress, at}: the previous sample, to turn progress into probes per second. */
  const samples = new Map();
  /** The failed-status element whose error tooltip is showing (hover), to re-place it after a refresh. */
  let activeTip = null;
  const rates = new Map();
  let listCtrl = null;
  let moreCtrl = null;
  let schedCtrl = null;

  // ---------- skeleton ----------
  const cycleEl = h('span', { class: 'cycle', 'data-testid': 'next-cycle', 'aria-live': 'off' });
  const pauseBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'pause-jobs', disabled: true }, 'Pause Jobs');
  const refreshNote = h('span', { class: 'refresh-note', 'data-testid': 'refresh-countdown' });
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm btn-icon', 'aria-label': 'Refresh now', title: 'Refresh now', 'data-testid': 'refresh-now' }, icon('refresh', { size: 15 }));

  const searchInput = h('input', {
    type: 'search', id: 'jobs-search', value: state.q, 'data-testid': 'jobs-search', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search job name, target or address, hostname, scanner, source IP, error…', 'aria-label': 'Search jobs',
  });
  const chips = h('div', { class: 'row', 'data-testid': 'active-filters' });
  const summary = h('span', { class: 'muted small', 'data-testid': 'jobs-summary', 'aria-live': 'polite' });
  const statusList = h('ul', { class: 'filter-list', 'data-testid': 'status-filter' });
  const reasonList = h('ul', { class: 'filter-list', 'data-testid': 'failed-reasons' });
  const reasonGroup = h('section', { class: 'panel filter-group', 'aria-labelledby': 'fr-h' }, h('h2', { id: 'fr-h' }, 'Failed reasons'), reasonList);
  const tbody = h('tbody', { 'data-testid': 'jobs-rows' });
  const loadingBar = h('div', { class: 'loading-bar', hidden: true });
  const table = h('table', { class: 'data jobs-table', 'data-testid': 'jobs-table' },
    h('caption', { class: 'sr-only' }, 'Jobs in the last 24 hours'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Source'),
      h('th', { scope: 'col' }, 'Job name'),
      h('th', { scope: 'col' }, 'Target'),
      h('th', { scope: 'col' }, 'Source IP'),
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, 'Progress'),
      h('th', { scope: 'col' }, 'Updated'),
      h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody);
  const emptyEl = h('div', { class: 'empty', hidden: true, 'data-testid': 'jobs-empty' });
  const errorEl = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'jobs-error', style: 'margin:12px 14px' });
  const loadMore = h('button', { type: 'button', class: 'btn', 'data-testid': 'load-more', hidden: true }, 'Load more');
  const foot = h('div', { class: 'table-foot' }, summary, h('span', { class: 'grow' }), loadMore);

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' },
        h('h1', {}, 'Jobs'),
        h('div', { class: 'sub' }, h('span', {}, 'Scanning activity in the last 24 hours'), refreshNote, refreshBtn)),
      h('div', { class: 'actions' }, cycleEl, pauseBtn)),
    h('div', { class: 'jobs-layout' },
      h('aside', { class: 'filters', 'aria-label': 'Filters' },
        h('section', { class: 'panel filter-group', 'aria-labelledby': 'sf-h' }, h('h2', { id: 'sf-h' }, 'Status'), statusList),
        reasonGroup),
      h('section', { class: 'panel', 'aria-label': 'Jobs' },
        h('div', { class: 'toolbar' },
          h('div', { class: 'search' }, icon('search', { size: 16 }), searchInput, h('kbd', { 'aria-hidden': 'true' }, '/')),
          chips),
        errorEl,
        h('div', { class: 'table-wrap jobs-wrap' }, loadingBar, table, emptyEl),
        foot)),
    h('p', { class: 'kbd-hints' },
      h('span', {}, h('kbd', {}, '/'), ' search'),
      h('span', {}, h('kbd', {}, 'Tab'), ' to a failed status shows its error'),
      h('span', {}, h('kbd', {}, 'Esc'), ' clears the search')));

  // ---------- data ----------
  /** The Jobs list's filters as GET /api/jobs query parameters. */
  function query({ cursor = null, limit = PAGE_SIZE } = {}) {
    return {
      status: state.reason ? 'failed' : state.status,
      reason: state.reason,
      q: state.q.trim(),
      limit,
      cursor,
    };
  }

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.status) p.set('status', state.status);
    if (state.reason) p.set('reason', state.reason);
    if (state.q.trim()) p.set('q', state.q.trim());
    const qs = p.toString();
    history.replaceState(null, '', `#/jobs${qs ? `?${qs}` : ''}`);
  }

  /** Reloads the first page (or as many rows as are loaded, so an auto-refresh keeps the admin's place). */
  async function load({ keepRows = false } = {}) {
    listCtrl?.abort();
    moreCtrl?.abort();
    const ctrl = listCtrl = new AbortController();
    const limit = keepRows ? Math.min(500, Math.max(PAGE_SIZE, state.jobs.length)) : PAGE_SIZE;
    state.loading = true;
    loadingBar.hidden = false;
    table.setAttribute('aria-busy', 'true');
    try {
      const data = await call('GET /api/jobs', { query: query({ limit }), signal: ctrl.signal });
      if (ctrl !== listCtrl) return;
      state.jobs = data?.jobs ?? [];
      state.counts = data?.counts ?? null;
      state.failedReasons = data?.failedReasons ?? [];
      state.nextCursor = data?.nextCursor ?? null;
      state.error = null;
      state.loadedOnce = true;
      measureRates(state.jobs);
    } catch (e) {
      if (isAbort(e) || ctrl !== listCtrl) return;
      state.error = e.message;
    } finally {
      if (ctrl === listCtrl) {
        state.loading = false;
        loadingBar.hidden = true;
        table.removeAttribute('aria-busy');
        state.nextRefreshAt = Date.now() + REFRESH_MS;
        renderAll();
      }
    }
  }

  async function loadNext() {
    if (!state.nextCursor) return;
    moreCtrl?.abort();
    const ctrl = moreCtrl = new AbortController();
    loadMore.disabled = true;
    loadMore.textContent = 'Loading…';
    try {
      const data = await call('GET /api/jobs', { query: query({ cursor: state.nextCursor }), signal: ctrl.signal });
      const seen = new Set(state.jobs.map(j => j.jobId));
      state.jobs = state.jobs.concat((data?.jobs ?? []).filter(j => !seen.has(j.jobId)));
      state.nextCursor = data?.nextCursor ?? null;
      measureRates(data?.jobs ?? []);
      renderRows();
      renderFoot();
    } catch (e) {
      if (!isAbort(e)) toast(e.message, { tone: 'fail' });
    } finally {
      loadMore.disabled = false;
      loadMore.textContent = 'Load more';
    }
  }

  /** Achieved probes/s from the change in progressCount between two refreshes. */
  function measureRates(jobs) {
    const now = Date.now();
    for (const j of jobs) {
      if (j.status !== 'running') { samples.delete(j.jobId); rates.delete(j.jobId); continue; }
      const prev = samples.get(j.jobId);
      const progress = Number(j.progressCount ?? 0);
      if (prev && now - prev.at > 1000) {
        const rate = Math.max(0, (progress - prev.progress) / ((now - prev.at) / 1000));
        rates.set(j.jobId, rate);
        samples.set(j.jobId, { progress, at: now });
      } else if (!prev) {
        samples.set(j.jobId, { progress, at: now });
        // No earlier sample yet: the average since the job started is the best estimate.
        const started = toDate(j.startedAt);
        if (started && progress > 0) rates.set(j.jobId, progress / Math.max(1, (now - started.getTime()) / 1000));
      }
    }
  }

  async function loadScheduler() {
    schedCtrl?.abort();
    const ctrl = schedCtrl = new AbortController();
    try {
      state.scheduler = await call('GET /api/scheduler', { signal: ctrl.signal });
    } catch (e) {
      if (isAbort(e)) return;
      state.scheduler = state.scheduler ?? null;
    }
    renderScheduler();
  }

  // ---------- render ----------
  function renderAll() {
    renderFilters();
    renderChips();
    const tipKey = activeTip?.getAttribute('data-focus-key');
    preserveFocus(tbody, renderRows);
    if (tipKey) placeTip(tbody.querySelector(`[data-focus-key="${CSS.escape(tipKey)}"]`));
    renderFoot();
    errorEl.textContent = state.error ? `Could not load jobs: ${state.error}` : '';
  }

  function countFor(key) {
    const c = state.counts;
    if (!c) return null;
    // The appliance counts claimed jobs as queued already (StatusCounts has no `claimed`).
    if (key === '') return c.queued + c.running + c.completed + c.failed + c.cancelled;
    return Number(c[key] ?? 0);
  }

  function renderFilters() {
    preserveFocus(statusList, () => {
      statusList.replaceChildren(...STATUS_FILTERS.map(f => {
        const n = countFor(f.key);
        const pressed = !state.reason && state.status === f.key;
        return h('li', {}, h('button', {
          type: 'button', class: 'filter-btn', 'aria-pressed': String(pressed), 'data-testid': `status-filter-${f.key || 'all'}`,
          'data-focus-key': `sf-${f.key}`, onclick: () => setFilter({ status: f.key, reason: '' }),
        },
          f.key ? statusBadge(f.key, { testid: 'filter-status' }) : h('span', {}, icon('inbox', { size: 16 }), ' ', f.label),
          h('span', { class: `count${f.key === 'failed' && n ? ' fail' : ''}`, 'data-testid': `status-count-${f.key || 'all'}` }, n === null ? '…' : fmtCompact(n))));
      }));
    });
    const reasons = state.failedReasons ?? [];
    preserveFocus(reasonList, () => {
      if (reasons.length === 0) {
        reasonList.replaceChildren(h('li', { class: 'muted small', style: 'padding: 4px 8px 6px' }, state.loadedOnce ? 'No failures in this window.' : 'Loading…'));
        return;
      }
      reasonList.replaceChildren(...reasons.map(r => h('li', {}, h('button', {
        type: 'button', class: 'filter-btn', 'aria-pressed': String(state.reason === r.reason), 'data-testid': 'failed-reason',
        'data-reason': r.reason, 'data-focus-key': `fr-${r.reason}`, title: r.reason,
        onclick: () => setFilter(state.reason === r.reason ? { status: 'failed', reason: '' } : { status: 'failed', reason: r.reason }),
      }, h('span', { class: 'reason-text' }, r.reason), h('span', { class: 'count fail' }, fmtCompact(r.count))))));
    });
  }

  function renderChips() {
    const list = [];
    if (state.reason) list.push(chip(`Reason: ${state.reason}`, () => setFilter({ status: 'failed', reason: '' }), 'chip-reason'));
    if (state.status && !state.reason) list.push(chip(`Status: ${STATUS_FILTERS.find(f => f.key === state.status)?.label}`, () => setFilter({ status: '', reason: '' }), 'chip-status'));
    chips.replaceChildren(...list);
  }

  function chip(text, onRemove, testid) {
    return h('span', { class: 'chip', 'data-testid': testid }, h('span', { title: text }, text),
      h('button', { type: 'button', 'aria-label': `Remove filter ${text}`, onclick: onRemove }, icon('x', { size: 13 })));
  }

  function renderRows() {
    tbody.replaceChildren(...state.jobs.map(renderRow));
    const empty = state.loadedOnce && state.jobs.length === 0 && !state.error;
    emptyEl.hidden = !empty;
    table.hidden = empty;
    if (empty) {
      const filtered = state.q || state.status || state.reason;
      emptyEl.replaceChildren(icon('inbox', { size: 34 }),
        h('strong', {}, filtered ? 'No jobs match these filters' : 'No jobs in the last 24 hours'),
        h('span', {}, filtered ? 'Try a different search or clear the filters.' : 'Jobs appear here as soon as a scan is started or the scheduler runs.'),
        filtered ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => { searchInput.value = ''; setFilter({ status: '', reason: '', q: '' }); } }, 'Clear filters') : null);
    }
  }

  /** @param {import('../api-types').JobResponse} j */
  function renderRow(j) {
    const status = j.status === 'claimed' ? 'queued' : j.status;
    const targets = j.targets ?? [];
    const first = targets[0];
    const active = ACTIVE.has(j.status);
    const source = j.scannerName || (j.scannerId !== undefined ? `Scanner #${j.scannerId}` : '—');

    let statusCell = statusBadge(j.status === 'claimed' ? 'queued' : j.status);
    if (j.status === 'failed') {
      const tipId = `err-${j.jobId}`;
      statusCell = h('span', {
        class: 'has-tip', tabindex: '0', 'aria-describedby': tipId, 'data-testid': 'job-error', 'data-focus-key': `err-${j.jobId}`,
      }, statusCell, h('span', { class: 'tip', role: 'tooltip', id: tipId, 'data-testid': 'job-error-tooltip' },
        h('strong', {}, 'Error'), j.errorMessage || 'No error message was reported.'));
    }

    const rerunReason = active ? `Can't re-run: the job is ${status === 'queued' ? 'queued' : 'running'}` : 'Re-run this job';
    const rerun = h('button', {
      type: 'button', class: 'btn btn-ghost btn-sm btn-icon', 'data-testid': 'rerun', 'data-focus-key': `rerun-${j.jobId}`,
      'aria-label': `${rerunReason} (job ${j.jobId})`, title: rerunReason, 'aria-disabled': active ? 'true' : null,
      onclick: () => { if (!active) rerunJob(j); },
    }, icon('rerun', { size: 16 }));

    const sub = [`Scan #${j.scanId}`, `Job #${j.jobId}`];
    if (j.rerunOf) sub.push(`re-run of #${j.rerunOf}`);
    if (Number(j.attempts) > 1) sub.push(`attempt ${j.attempts}`);

    return h('tr', { 'data-testid': 'job-row', 'data-job-id': j.jobId, 'data-status': status },
      h('td', {}, h('div', { class: 'cell-main', 'data-testid': 'job-source' }, source),
        h('div', { class: 'cell-sub' }, j.automated ? 'Scheduled scan' : 'Manual scan')),
      h('td', {}, h('div', { class: 'cell-main', 'data-testid': 'job-name' }, j.name ?? '—'), h('div', { class: 'cell-sub job-sub', title: sub.join(' · ') }, sub.join(' · '))),
      h('td', { 'data-testid': 'job-target' }, first
        ? [h('div', { class: 'target' }, first.cidr,
          targets.length > 1 ? h('span', { class: 'faint', title: targets.map(t => `${t.cidr} :${t.ports}`).join('\n') }, ` +${targets.length - 1}`) : null),
        h('div', { class: 'cell-sub target ports', title: `ports ${first.ports}` }, `ports ${first.ports}`)]
        : h('span', { class: 'faint' }, '—')),
      h('td', { class: 'mono', 'data-testid': 'job-source-ip' }, j.sourceIp || h('span', { class: 'faint' }, '—')),
      h('td', {}, statusCell),
      h('td', {}, progressCell(j)),
      h('td', { class: 'nowrap small' }, updatedCell(j)),
      h('td', { class: 'num' }, rerun));
  }

  /** @param {import('../api-types').JobResponse} j */
  function progressCell(j) {
    const probes = Number(j.progressCount ?? 0);
    const results = Number(j.resultCount ?? 0);
    if (j.status === 'running') {
      const total = expectedProbes(j.targets);
      const pct = total ? Math.min(100, (probes / total) * 100) : null;
      const rate = rates.get(j.jobId);
      return h('div', { class: 'prog', 'data-testid': 'job-progress' },
        h('div', { class: 'prog-line' },
          h('b', {}, fmtCompact(probes)), total ? ` / ${fmtCompact(total)}` : '', ' probes', h('span', { class: 'sep-dot' }), h('b', {}, fmtNum(results)), ' results'),
        pct !== null ? h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': pct.toFixed(0), 'aria-label': 'Probing progress' }, h('span', { style: `width:${pct.toFixed(1)}%` })) : null,
        h('div', { class: 'prog-line', 'data-testid': 'job-pps' },
          rate !== undefined ? h('b', {}, `${fmtCompact(Math.round(rate))} pps`) : 'measuring…',
          j.maxProbesPerSecond ? ` of ${fmtCompact(j.maxProbesPerSecond)} max` : ''));
    }
    if (j.status === 'completed' || j.status === 'failed' || j.status === 'cancelled') {
      return h('div', { class: 'prog-line' }, h('b', {}, fmtCompact(probes)), ' probes', h('span', { class: 'sep-dot' }), h('b', {}, fmtNum(results)), ' results');
    }
    return h('span', { class: 'faint small' }, j.maxProbesPerSecond ? `limit ${fmtCompact(j.maxProbesPerSecond)} pps` : 'waiting');
  }

  /** @param {import('../api-types').JobResponse} j */
  function updatedCell(j) {
    const [label, at] = j.finishedAt ? ['Finished', j.finishedAt] : j.startedAt ? ['Started', j.startedAt]
      : j.claimedAt ? ['Claimed', j.claimedAt] : ['Queued', j.createdAt];
    return [h('div', {}, timeEl(at)), h('div', { class: 'cell-sub' }, label)];
  }

  function renderFoot() {
    const total = state.reason
      ? (state.failedReasons.find(r => r.reason === state.reason)?.count ?? null)
      : countFor(state.status);
    const shown = state.jobs.length;
    summary.textContent = !state.loadedOnce ? 'Loading jobs…'
      : state.q.trim() ? `${fmtNum(shown)}${state.nextCursor ? '+' : ''} matching jobs shown`
        : `Showing ${fmtNum(shown)}${total !== null && total >= shown ? ` of ${fmtNum(total)}` : ''} jobs`;
    loadMore.hidden = !state.nextCursor;
  }

  function renderScheduler() {
    const s = state.scheduler;
    if (!s) {
      cycleEl.replaceChildren(icon('clock', { size: 15 }), 'Scheduler status unavailable');
      pauseBtn.disabled = true;
      return;
    }
    pauseBtn.disabled = false;
    pauseBtn.replaceChildren(icon(s.paused ? 'play' : 'pause', { size: 15 }), s.paused ? 'Resume Jobs' : 'Pause Jobs');
    pauseBtn.className = s.paused ? 'btn btn-primary' : 'btn btn-warn';
    cycleEl.classList.toggle('paused', !!s.paused);
    paintCycle();
  }

  function paintCycle() {
    const s = state.scheduler;
    if (!s) return;
    if (s.paused) {
      cycleEl.replaceChildren(icon('pause', { size: 15 }), h('b', { 'data-testid': 'scheduler-state' }, 'Automated jobs paused'));
      return;
    }
    const next = toDate(s.nextCycleAt);
    cycleEl.replaceChildren(icon('clock', { size: 15 }),
      next ? h('span', { 'data-testid': 'scheduler-state', title: next.toLocaleString() }, 'Next scan cycle in ', h('b', {}, fmtCountdown(next.getTime() - Date.now())))
        : h('span', { 'data-testid': 'scheduler-state' }, 'No scan cycle scheduled'));
  }

  function paintRefresh() {
    const left = Math.max(0, Math.ceil((state.nextRefreshAt - Date.now()) / 1000));
    refreshNote.replaceChildren(state.loading ? 'Refreshing…' : `Auto-refresh in ${left} s`);
  }

  // ---------- actions ----------
  function setFilter(next) {
    Object.assign(state, next);
    if (state.reason) state.status = 'failed';
    syncUrl();
    renderFilters();
    renderChips();
    load();
  }

  const searchNow = debounce(() => { syncUrl(); load(); }, 200);
  searchInput.addEventListener('input', () => { state.q = searchInput.value; searchNow(); });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && searchInput.value) { e.preventDefault(); searchInput.value = ''; state.q = ''; searchNow.cancel(); syncUrl(); load(); }
  });
  loadMore.addEventListener('click', loadNext);

  // Error tooltips are position: fixed, so place one next to its status whenever it is about to show.
  function placeTip(host) {
    const tip = host?.querySelector('.tip');
    if (!tip) return;
    activeTip = host;
    const r = host.getBoundingClientRect();
    const w = tip.offsetWidth, hgt = tip.offsetHeight;
    const below = r.top - hgt - 10 < 60;
    tip.classList.toggle('below', below);
    tip.style.top = `${below ? r.bottom + 8 : r.top - hgt - 8}px`;
    tip.style.left = `${Math.max(8, Math.min(window.innerWidth - w - 8, r.right - w + 6))}px`;
  }
  tbody.addEventListener('mouseover', (e) => { const host = e.target.closest?.('.has-tip'); if (host && host !== activeTip) placeTip(host); });
  tbody.addEventListener('mouseleave', () => { activeTip = null; });
  tbody.addEventListener('focusin', (e) => placeTip(e.target.closest?.('.has-tip')));
  const onScroll = () => { if (activeTip?.isConnected) placeTip(activeTip); };
  window.addEventListener('scroll', onScroll, { passive: true, capture: true });
  refreshBtn.addEventListener('click', () => { load({ keepRows: true }); loadScheduler(); });

  pauseBtn.addEventListener('click', async () => {
    const paused = !!state.scheduler?.paused;
    const ok = await confirmDialog(paused ? {
      title: 'Resume automated jobs?',
      message: 'The scheduler will start creating automated scan jobs again at the next cycle.',
      bullets: ['Scheduled and recurring scans run inside their scan windows', 'Rate limits apply as configured'],
      confirmLabel: 'Resume Jobs',
    } : {
      title: 'Pause automated jobs?',
      message: 'This pauses automated scheduling for the whole appliance.',
      bullets: ['New automated scans will not be created', 'Currently running jobs will complete normally', 'Manual scans can still be started'],
      confirmLabel: 'Pause Jobs', danger: true,
    });
    if (!ok) return;
    pauseBtn.disabled = true;
    try {
      await call(paused ? 'POST /api/scheduler/resume' : 'POST /api/scheduler/pause');
      toast(paused ? 'Automated jobs resumed' : 'Automated jobs paused');
    } catch (e) {
      toast(e.message, { tone: 'fail' });
    }
    await loadScheduler();
  });

  async function rerunJob(j) {
    try {
      const rerun = await call('POST /api/jobs/{id}/rerun', { path: { id: j.jobId } });
      toast(`Re-run queued as job #${rerun.jobId}`);
    } catch (e) {
      toast(e.message, { tone: 'fail' });
    }
    load({ keepRows: true });
  }

  // ---------- timers ----------
  const tick = setInterval(() => {
    paintRefresh();
    paintCycle();
    tickTimes(tbody);
    if (!state.loading && Date.now() >= state.nextRefreshAt && !document.querySelector('dialog[open]')) {
      load({ keepRows: true });
      loadScheduler();
    }
  }, 1000);

  renderAll();
  renderScheduler();
  paintRefresh();
  load();
  loadScheduler();

  return {
    unmount() {
      clearInterval(tick);
      window.removeEventListener('scroll', onScroll, { capture: true });
      searchNow.cancel();
      listCtrl?.abort();
      moreCtrl?.abort();
      schedCtrl?.abort();
    },
  };
}
