// The Assets page (docs/assets-page.md): what the inventory knows, one row per address.
//  - search as you type across address, hostname, service, product and certificate subject (debounced,
//    stale requests aborted); filters: port, service, first seen, certificate expiring within N days;
//    all filtering and paging is the server's (cursor "Load more"), so it stays fast at a million assets;
//  - the asset's detail: services with fingerprint, TLS certificate, HTTP title and screenshot, the scans
//    that saw it, and its history;
//  - select assets, then a scan action (Comprehensive Scan, Port Scan, Web Scan, Web Crawl): a manual scan
//    of the selected addresses (POST /api/assets/scan), its follow-ups chained by the appliance.

import { api, isAbort, listOf } from '../api.js';
import { h, icon, fmtNum, fmtAbs, timeEl, toast, openDialog, setTitle } from '../ui.js';

const PAGE_SIZE = 50;
const ACTIONS = [
  { action: 'comprehensive', label: 'Comprehensive Scan', hint: 'Port scan, then fingerprint, screenshot and crawl what answers' },
  { action: 'portscan', label: 'Port Scan', hint: 'Common ports' },
  { action: 'webscan', label: 'Web Scan', hint: 'Fingerprint the web ports, screenshot the web services' },
  { action: 'webcrawl', label: 'Web Crawl', hint: 'Crawl the web ports' },
];
const FIRST_SEEN = [
  { key: '', label: 'Any time' },
  { key: '1', label: 'Last 24 hours' },
  { key: '7', label: 'Last 7 days' },
  { key: '30', label: 'Last 30 days' },
];

export function mount(root, ctx) {
  setTitle('Assets');
  const selected = new Set();
  let listCtrl = null;
  let cursor = null;
  let timer = 0;

  const search = h('input', {
    type: 'search', id: 'assets-search', value: ctx.params.get('q') ?? '', 'data-testid': 'assets-search', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search address, hostname, service, product, certificate…', 'aria-label': 'Search assets',
  });
  const port = h('input', { type: 'number', min: '1', max: '65535', id: 'assets-port', 'data-testid': 'filter-port', placeholder: 'any', inputmode: 'numeric' });
  const service = h('input', { type: 'text', id: 'assets-service', 'data-testid': 'filter-service', placeholder: 'http, ssh…', autocomplete: 'off' });
  const firstSeen = h('select', { id: 'assets-first-seen', 'data-testid': 'filter-first-seen' }, FIRST_SEEN.map(f => h('option', { value: f.key }, f.label)));
  const expiring = h('input', { type: 'number', min: '0', max: '3650', id: 'assets-expiring', 'data-testid': 'filter-cert-expiring', placeholder: 'days', inputmode: 'numeric' });
  const tbody = h('tbody', { 'data-testid': 'assets-rows' });
  const all = h('input', { type: 'checkbox', 'data-testid': 'select-all', 'aria-label': 'Select all listed assets' });
  const emptyEl = h('div', { class: 'empty', hidden: true, 'data-testid': 'assets-empty' }, 'No assets match. Assets appear here once a scan has been processed.');
  const errorEl = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'assets-error', style: 'margin:12px 14px' });
  const more = h('button', { type: 'button', class: 'btn', 'data-testid': 'assets-more', hidden: true }, 'Load more');
  const summary = h('span', { class: 'muted small', 'data-testid': 'assets-summary', 'aria-live': 'polite' });
  const scannerPick = h('select', { id: 'assets-scanner', 'data-testid': 'scan-scanner', 'aria-label': 'Scanner for the scan' },
    h('option', { value: '' }, 'Built-in scanner'));
  const selectedNote = h('span', { class: 'muted small', 'data-testid': 'selected-count' }, 'No assets selected');
  const actionButtons = ACTIONS.map(a => h('button', {
    type: 'button', class: `btn ${a.action === 'comprehensive' ? 'btn-primary' : ''}`, 'data-testid': `scan-${a.action}`, title: a.hint, disabled: true,
    onclick: () => startScan(a),
  }, a.label));

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Assets'), h('div', { class: 'sub' }, 'Every address the scans found, with its services and history'))),
    h('div', { class: 'jobs-layout' },
      h('aside', { class: 'filters', 'aria-label': 'Filters' },
        h('section', { class: 'panel filter-group', 'aria-labelledby': 'af-h' }, h('h2', { id: 'af-h' }, 'Filters'),
          h('div', { class: 'field' }, h('label', { for: 'assets-port' }, 'Port'), port),
          h('div', { class: 'field' }, h('label', { for: 'assets-service' }, 'Service'), service),
          h('div', { class: 'field' }, h('label', { for: 'assets-first-seen' }, 'First seen'), firstSeen),
          h('div', { class: 'field' }, h('label', { for: 'assets-expiring' }, 'Certificate expires within (days)'), expiring))),
      h('section', { class: 'panel', 'aria-label': 'Assets' },
        h('div', { class: 'toolbar' }, h('div', { class: 'search' }, icon('search', { size: 16 }), search, h('kbd', { 'aria-hidden': 'true' }, '/'))),
        h('div', { class: 'toolbar asset-actions', 'data-testid': 'asset-actions' }, selectedNote, h('span', { class: 'grow' }), scannerPick, ...actionButtons),
        errorEl,
        h('div', { class: 'table-wrap' },
          h('table', { class: 'data', 'data-testid': 'assets-table' },
            h('caption', { class: 'sr-only' }, 'Assets'),
            h('thead', {}, h('tr', {},
              h('th', { scope: 'col' }, all),
              ['Address', 'Hostnames', 'Services', 'First seen', 'Last seen'].map(t => h('th', { scope: 'col' }, t)))),
            tbody),
          emptyEl),
        h('div', { class: 'table-foot' }, summary, h('span', { class: 'grow' }), more))));

  function query(after) {
    const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
    const q = search.value.trim();
    if (q) p.set('q', q);
    if (port.value) p.set('port', port.value);
    if (service.value.trim()) p.set('service', service.value.trim());
    if (firstSeen.value) p.set('firstSeenSince', new Date(Date.now() - Number(firstSeen.value) * 86400000).toISOString());
    if (expiring.value !== '') p.set('certExpiresWithinDays', expiring.value);
    if (after) p.set('cursor', after);
    return `/api/assets?${p}`;
  }

  async function load(append) {
    listCtrl?.abort();
    const c = listCtrl = new AbortController();
    try {
      const data = await api(query(append ? cursor : null), { signal: c.signal });
      const rows = (data?.assets ?? []).map(row);
      if (append) tbody.append(...rows); else { tbody.replaceChildren(...rows); selected.clear(); }
      cursor = data?.nextCursor ?? null;
      more.hidden = !cursor;
      emptyEl.hidden = tbody.children.length > 0;
      summary.textContent = `${fmtNum(tbody.children.length)} asset${tbody.children.length === 1 ? '' : 's'} shown${cursor ? ', more below' : ''}`;
      errorEl.textContent = '';
      paintSelection();
    } catch (err) {
      if (!isAbort(err)) errorEl.textContent = `Could not load the assets: ${err.message}`;
    }
  }

  function row(a) {
    const box = h('input', { type: 'checkbox', 'data-testid': 'select-asset', 'aria-label': `Select ${a.ip}`, checked: selected.has(a.ip) });
    box.addEventListener('change', () => { if (box.checked) selected.add(a.ip); else selected.delete(a.ip); paintSelection(); });
    return h('tr', { 'data-testid': 'asset-row', 'data-ip': a.ip },
      h('td', {}, box),
      h('td', { class: 'mono' }, h('button', { type: 'button', class: 'link', 'data-testid': 'asset-open', onclick: () => openDetail(a.ip) }, a.ip)),
      h('td', { class: 'small' }, (a.hostnames ?? []).join(', ') || '—'),
      h('td', {}, fmtNum(a.services)),
      h('td', {}, timeEl(a.firstSeen)),
      h('td', {}, timeEl(a.lastSeen)));
  }

  function paintSelection() {
    for (const b of actionButtons) b.disabled = selected.size === 0;
    selectedNote.textContent = selected.size === 0 ? 'No assets selected' : `${fmtNum(selected.size)} selected`;
    const boxes = tbody.querySelectorAll('[data-testid="select-asset"]');
    all.checked = boxes.length > 0 && selected.size === boxes.length;
  }

  all.addEventListener('change', () => {
    for (const tr of tbody.querySelectorAll('[data-testid="asset-row"]')) {
      const box = tr.querySelector('[data-testid="select-asset"]');
      box.checked = all.checked;
      if (all.checked) selected.add(tr.dataset.ip); else selected.delete(tr.dataset.ip);
    }
    paintSelection();
  });

  async function startScan({ action, label }) {
    const ips = [...selected];
    for (const b of actionButtons) b.disabled = true;
    try {
      const body = { ips, action };
      if (scannerPick.value) body.scannerIds = [Number(scannerPick.value)];
      const scan = await api('/api/assets/scan', { method: 'POST', body });
      toast(`${label} of ${ips.length} asset${ips.length === 1 ? '' : 's'} started (scan ${scan.id})`);
    } catch (err) {
      toast(`${label} was not started: ${err.message}`, { tone: 'fail' });
    } finally {
      paintSelection();
    }
  }

  async function openDetail(ip) {
    let detail;
    try {
      detail = await api(`/api/assets/${encodeURIComponent(ip)}`);
    } catch (err) {
      toast(`Could not load ${ip}: ${err.message}`, { tone: 'fail' });
      return;
    }
    openDialog({
      title: ip, testid: 'asset-detail', wide: true,
      build: (body) => body.append(...detailView(detail)),
      actions: [{ label: 'Close', testid: 'asset-detail-close' }],
    });
  }

  // GET /api/assets/{ip}: {asset, services, seenByScans, history} (docs/inventory.md).
  function detailView(d) {
    const a = d.asset ?? {};
    const services = d.services ?? [];
    const certificates = services.filter(s => s.certificate?.subject);
    return [
      h('p', { class: 'small', 'data-testid': 'asset-hostnames' }, (a.hostnames ?? []).length
        ? `Hostnames: ${a.hostnames.map(n => (a.dnsNames ?? []).includes(n) ? `${n} (reverse DNS)` : n).join(', ')}` : 'No hostnames known'),
      h('p', { class: 'small muted' }, 'First seen ', timeEl(a.firstSeen), ', last seen ', timeEl(a.lastSeen),
        (d.seenByScans ?? []).length ? `, by scans ${d.seenByScans.join(', ')}` : ''),
      h('h3', {}, 'Services'),
      h('table', { class: 'data', 'data-testid': 'asset-services' },
        h('thead', {}, h('tr', {}, ['Port', 'Service', 'Product', 'HTTP title', 'Seen'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, services.map(s => h('tr', { 'data-testid': 'asset-service', class: s.goneScanId ? 'muted' : '' },
          h('td', { class: 'mono' }, `${s.port}/${s.proto}`),
          h('td', {}, s.service ?? '—'),
          h('td', {}, [s.product, s.version].filter(Boolean).join(' ') || '—'),
          h('td', {}, s.httpTitle ?? ''),
          h('td', { class: 'small' }, s.goneScanId ? `gone in scan ${s.goneScanId}` : timeEl(s.lastSeen)))))),
      h('h3', {}, 'Certificates'),
      certificates.length
        ? h('ul', { 'data-testid': 'asset-certificates' }, certificates.map(s => h('li', {},
          h('span', { class: 'mono small' }, `${s.port}/${s.proto} `), s.certificate.subject,
          s.certificate.notAfter ? ` — expires ${fmtAbs(s.certificate.notAfter)}` : '')))
        : h('p', { class: 'muted small', 'data-testid': 'asset-certificates' }, 'No TLS certificates seen'),
      h('h3', {}, 'Screenshots'),
      h('div', { class: 'row', 'data-testid': 'asset-screenshots' },
        services.filter(s => s.screenshot).map(s => h('figure', {},
          h('img', { src: s.screenshot, alt: `${a.ip}:${s.port}`, loading: 'lazy', width: '320', 'data-testid': 'asset-screenshot' }),
          h('figcaption', { class: 'small mono' }, `${s.port}/${s.proto}`)))),
      h('h3', {}, 'History'),
      h('ol', { 'data-testid': 'asset-history' }, (d.history ?? []).map(e => h('li', { class: 'small' },
        timeEl(e.at), ` ${e.kind}${e.port ? ` ${e.port}/${e.proto}` : ''}${e.detail ? ` (${e.detail})` : ''} — scan ${e.scanId}`))),
    ];
  }

  const reload = () => { clearTimeout(timer); timer = setTimeout(() => load(false), 250); };
  for (const input of [search, port, service, expiring]) input.addEventListener('input', reload);
  firstSeen.addEventListener('change', () => load(false));
  search.addEventListener('keydown', (e) => { if (e.key === 'Escape' && search.value) { search.value = ''; load(false); } });
  more.addEventListener('click', () => load(true));
  load(false);
  const scannersCtrl = new AbortController();
  api('/api/scanners', { signal: scannersCtrl.signal }).then((data) => {
    // The built-in scanner is the default; another one can run the scan instead.
    scannerPick.append(...listOf(data, 'scanners').filter(s => s.name !== 'local').map(s => h('option', { value: String(s.id) }, s.name)));
  }).catch(() => { /* the default still works */ });
  return { unmount: () => { clearTimeout(timer); listCtrl?.abort(); scannersCtrl.abort(); } };
}
