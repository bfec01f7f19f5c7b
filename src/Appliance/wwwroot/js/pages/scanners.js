// Scanners: the remote nodes (and the built-in one) that pull jobs. Create one and its API key
// is shown exactly once, with a copy button and the outpost-probe command to run; the key is
// dropped from memory when the dialog closes. Enable/disable, rotate the key, edit limits;
// online state, last heartbeat, source IP, version and the capabilities (job names, with
// versions) the scanner advertised at a glance (docs/capabilities.md). Scanners are grouped by
// their pool (a site: any online member claims the pool's jobs), editable in the form.

import { call, isAbort } from '../api.js';
import { h, icon, statusBadge, fmtNum, timeEl, tickTimes, toast, confirmDialog, openDialog, copyButton, setTitle, preserveFocus, refreshEvery } from '../ui.js';


export function mount(root) {
  setTitle('Scanners');
  const state = {
    /** @type {import('../api-types').ScannerResponse[]} */
    scanners: [],
    loaded: false,
    error: null,
  };
  let ctrl = null;

  const addBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'add-scanner' }, icon('plus', { size: 16 }), 'Add scanner');
  const tbody = h('tbody', { 'data-testid': 'scanner-rows' });
  const summary = h('span', { class: 'muted small', 'data-testid': 'scanners-summary' });
  const errorEl = h('div', { class: 'form-error', role: 'alert', style: 'margin:12px 14px' });
  const emptyEl = h('div', { class: 'empty', hidden: true }, icon('radar', { size: 34 }), h('strong', {}, 'No scanners yet'),
    h('span', {}, 'Add a scanner, then run the command it shows on the node that should do the probing.'),
    h('button', { type: 'button', class: 'btn btn-sm', onclick: () => openCreate() }, icon('plus', { size: 14 }), 'Add scanner'));
  const table = h('table', { class: 'data', 'data-testid': 'scanners-table' },
    h('thead', {}, h('tr', {},
      ['State', 'Name', 'Pool', 'Source IP', 'Version', 'Capabilities', 'Last heartbeat', 'Allowed networks', 'Rate limit'].map(t => h('th', { scope: 'col' }, t)),
      h('th', { scope: 'col', class: 'num' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody);

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Scanners'), h('div', { class: 'sub' }, 'Nodes that pull jobs from this appliance and do the probing')),
      h('div', { class: 'actions' }, addBtn)),
    h('section', { class: 'panel', 'aria-label': 'Scanners' },
      errorEl, h('div', { class: 'table-wrap' }, table, emptyEl),
      h('div', { class: 'table-foot' }, summary)));

  async function load() {
    ctrl?.abort();
    const c = ctrl = new AbortController();
    try {
      state.scanners = (await call('GET /api/scanners', { signal: c.signal })).scanners;
      state.error = null;
      state.loaded = true;
    } catch (e) {
      if (isAbort(e)) return;
      state.error = e.message;
    }
    render();
  }

  /** @param {import('../api-types').ScannerResponse} s */
  function stateOf(s) { return s.enabled === false ? 'disabled' : s.online ? 'online' : 'offline'; }

  function render() {
    errorEl.textContent = state.error ? `Could not load scanners: ${state.error}` : '';
    preserveFocus(tbody, () => tbody.replaceChildren(...renderGroups()));
    const empty = state.loaded && state.scanners.length === 0;
    emptyEl.hidden = !empty;
    table.hidden = empty;
    const online = state.scanners.filter(s => stateOf(s) === 'online').length;
    summary.textContent = state.loaded ? `${state.scanners.length} scanner${state.scanners.length === 1 ? '' : 's'} · ${online} online` : 'Loading…';
  }

  /** Rows grouped by pool, pools by name and scanners without one last; no group rows while no scanner is in a pool. */
  function renderGroups() {
    if (!state.scanners.some(s => s.pool)) return state.scanners.map(renderRow);
    const pools = [...new Set(state.scanners.map(s => s.pool ?? ''))].sort((a, b) => Number(a === '') - Number(b === '') || a.localeCompare(b));
    return pools.flatMap(pool => {
      const members = state.scanners.filter(s => (s.pool ?? '') === pool);
      const online = members.filter(s => stateOf(s) === 'online').length;
      return [
        h('tr', { class: 'group-row', 'data-testid': 'pool-group', 'data-pool': pool },
          h('th', { scope: 'rowgroup', colspan: '10', class: 'small' },
            pool ? h('span', {}, icon('radar', { size: 14 }), ' Pool ', h('strong', { 'data-testid': 'pool-name' }, pool)) : h('span', { class: 'muted' }, 'No pool'),
            h('span', { class: 'muted', 'data-testid': 'pool-online' }, ` · ${online} of ${members.length} online`))),
        ...members.map(renderRow),
      ];
    });
  }

  /** @param {import('../api-types').ScannerResponse} s */
  function renderRow(s) {
    const st = stateOf(s);
    const cidrs = s.allowedCidrs ?? [];
    return h('tr', { 'data-testid': 'scanner-row', 'data-scanner-id': s.id, 'data-name': s.name },
      h('td', { 'data-testid': 'scanner-state' }, statusBadge(st)),
      h('td', {}, h('div', { class: 'cell-main', 'data-testid': 'scanner-name' }, s.name), h('div', { class: 'cell-sub' }, `Scanner #${s.id}`)),
      h('td', { 'data-testid': 'scanner-pool' }, s.pool || h('span', { class: 'faint' }, '—')),
      h('td', { class: 'mono' }, s.sourceIp || h('span', { class: 'faint' }, '—')),
      h('td', { class: 'mono' }, s.version || h('span', { class: 'faint' }, '—')),
      h('td', { 'data-testid': 'scanner-capabilities' }, renderCapabilities(s)),
      h('td', { class: 'small nowrap' }, s.lastHeartbeatAt ? timeEl(s.lastHeartbeatAt) : h('span', { class: 'faint' }, 'never')),
      h('td', { class: 'mono small' }, cidrs.length ? cidrs.join(', ') : h('span', { class: 'faint', style: 'font-family:var(--font)' }, 'anywhere')),
      h('td', { class: 'nowrap' }, s.maxProbesPerSecond ? `${fmtNum(s.maxProbesPerSecond)} pps` : h('span', { class: 'faint' }, 'none')),
      h('td', { class: 'num nowrap' },
        h('div', { class: 'row', style: 'justify-content:flex-end;gap:6px;flex-wrap:nowrap' },
          h('button', { type: 'button', class: `btn btn-sm ${s.enabled === false ? '' : 'btn-warn'}`, 'data-testid': 'scanner-toggle', 'data-focus-key': `tog-${s.id}`, onclick: () => toggle(s) },
            icon('power', { size: 14 }), s.enabled === false ? 'Enable' : 'Disable'),
          h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'scanner-rotate', 'data-focus-key': `rot-${s.id}`, onclick: () => rotate(s) }, icon('key', { size: 14 }), 'Rotate key'),
          h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost', 'aria-label': `Edit ${s.name}`, title: 'Edit', 'data-testid': 'scanner-edit', 'data-focus-key': `ed-${s.id}`, onclick: () => openEdit(s) }, icon('edit', { size: 14 })))));
  }

  /** One chip per capability, its version in the tooltip; a scanner that never said runs port scans only. */
  /** @param {import('../api-types').ScannerResponse} s */
  function renderCapabilities(s) {
    const caps = s.capabilities ?? [];
    return h('div', { class: 'row', style: 'gap:4px;flex-wrap:wrap' },
      ...caps.map(c => h('span', {
        class: 'cap', 'data-testid': 'capability', 'data-capability': c.name,
        title: c.version ? `${c.name} ${c.version}` : `${c.name} (version not reported)`,
      }, c.version ? `${c.name} ${c.version}` : c.name)),
      s.capabilitiesReported ? null : h('span', { class: 'faint small', title: 'This scanner has not reported its capabilities' }, '(assumed)'));
  }

  async function toggle(s) {
    const enable = s.enabled === false;
    if (!enable) {
      const ok = await confirmDialog({
        title: `Disable “${s.name}”?`,
        message: 'The scanner is refused on every endpoint until it is enabled again.',
        bullets: ['It gets no new jobs', 'Jobs it holds are re-queued after the re-assign timeout'],
        confirmLabel: 'Disable', danger: true,
      });
      if (!ok) return;
    }
    try {
      await call('PATCH /api/scanners/{id}', { path: { id: s.id }, body: { enabled: enable } });
      toast(`${s.name} ${enable ? 'enabled' : 'disabled'}`);
    } catch (e) { toast(e.message, { tone: 'fail' }); }
    load();
  }

  async function rotate(s) {
    const ok = await confirmDialog({
      title: `Rotate the key of “${s.name}”?`,
      message: 'A new key is issued and the old one stops working at once. The node must be restarted with the new key.',
      confirmLabel: 'Rotate key', danger: true,
    });
    if (!ok) return;
    try {
      const res = await call('POST /api/scanners/{id}/rotate-key', { path: { id: s.id } });
      showKey(s.name, res?.apiKey, 'New API key');
    } catch (e) { toast(e.message, { tone: 'fail' }); }
    load();
  }

  /** Shows a key once. The key lives only in this dialog's DOM and is gone when it closes. */
  function showKey(name, key, title = 'Scanner created') {
    if (!key) { toast('The appliance did not return a key.', { tone: 'fail' }); return; }
    const command = `outpost-probe node --appliance ${location.origin} --api-key ${key}`;
    openDialog({
      title, testid: 'key-dialog', wide: true, initialFocus: '[data-testid="copy-key"]',
      build: (body) => body.append(
        h('div', { class: 'note warn', role: 'note' }, icon('key', { size: 18 }),
          h('span', {}, h('strong', {}, 'Copy this key now. '), `It is shown only once; Outpost keeps only a hash. If it is lost, rotate the key of “${name}”.`)),
        h('div', { class: 'field' }, h('span', { style: 'font-weight:560;font-size:.9rem' }, 'API key'),
          h('div', { class: 'secret' }, h('code', { 'data-testid': 'new-api-key' }, key), copyButton(() => key, { testid: 'copy-key' }))),
        h('div', { class: 'field' }, h('span', { style: 'font-weight:560;font-size:.9rem' }, 'Run on the scanner node'),
          h('div', { class: 'secret' }, icon('terminal', { size: 16 }), h('code', { 'data-testid': 'probe-command' }, command), copyButton(() => command, { testid: 'copy-command' })),
          h('span', { class: 'hint' }, 'Installs as a service with the outpost-probe package: put the same values in /etc/outpost/probe.json.'))),
      actions: [{ label: 'I have copied the key', cls: 'btn-primary', testid: 'key-done' }],
    });
  }

  /** @param {{id: string, values?: Partial<import('../api-types').ScannerResponse>, onSubmit: (body: any) => Promise<void>}} options */
  function scannerForm({ id, values = {}, onSubmit }) {
    const err = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'scanner-form-error' });
    const name = h('input', { type: 'text', id: `${id}-name`, value: values.name ?? '', required: true, 'data-testid': 'scanner-name-input', placeholder: 'e.g. edge-berlin-01' });
    const cidrs = h('textarea', { id: `${id}-cidrs`, 'data-testid': 'scanner-cidrs', placeholder: '203.0.113.0/28', style: 'min-height:64px' });
    cidrs.value = (values.allowedCidrs ?? []).join('\n');
    const rate = h('input', { type: 'number', id: `${id}-rate`, min: '1', step: '1', value: values.maxProbesPerSecond ?? '', placeholder: 'No limit', 'data-testid': 'scanner-rate' });
    const knownPools = [...new Set(state.scanners.map(s => s.pool).filter(Boolean))].sort();
    const pool = h('input', { type: 'text', id: `${id}-pool`, value: values.pool ?? '', list: `${id}-pools`, placeholder: 'e.g. dc-frankfurt', 'data-testid': 'scanner-pool-input', class: 'mono' });
    const poolOptions = h('datalist', { id: `${id}-pools` }, knownPools.map(p => h('option', { value: p })));
    const form = h('form', { id, novalidate: true, 'data-testid': 'scanner-form' },
      h('div', { class: 'form-grid' },
        h('div', { class: 'field span2' }, h('label', { for: `${id}-name` }, 'Name'), name),
        h('div', { class: 'field' }, h('label', { for: `${id}-cidrs` }, 'Allowed source networks'), cidrs,
          h('span', { class: 'hint' }, 'One CIDR per line. The scanner may only fetch jobs from these addresses; empty allows any.')),
        h('div', { class: 'field' }, h('label', { for: `${id}-rate` }, 'Max probes per second'), rate,
          h('span', { class: 'hint' }, 'Upper bound for every job on this scanner.')),
        h('div', { class: 'field span2' }, h('label', { for: `${id}-pool` }, 'Pool'), pool, poolOptions,
          h('span', { class: 'hint' }, 'A site name. Any online member of a pool takes the pool’s jobs; empty: no pool.'))),
      err);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      if (!name.value.trim()) { name.setAttribute('aria-invalid', 'true'); err.textContent = 'Give the scanner a name.'; name.focus(); return; }
      const body = { name: name.value.trim(), allowedCidrs: cidrs.value.split(/[\s,]+/).filter(Boolean) };
      if (rate.value) body.maxProbesPerSecond = Number(rate.value);
      body.pool = pool.value.trim() || null;
      const btn = /** @type {HTMLButtonElement | null} */ (document.querySelector(`button[form="${id}"]`));
      if (btn) btn.disabled = true;
      try { await onSubmit(body); } catch (ex) { err.replaceChildren(icon('alert', { size: 16 }), h('span', {}, ex.message)); if (btn) btn.disabled = false; }
    });
    return form;
  }

  function openCreate() {
    const dlg = openDialog({
      title: 'Add scanner', testid: 'scanner-dialog',
      build: (body) => body.append(scannerForm({
        id: 'scanner-create',
        onSubmit: async (body) => {
          const created = await call('POST /api/scanners', { body: { ...body, pool: body.pool ?? undefined } });
          dlg.close();
          showKey(created?.name ?? body.name, created?.apiKey);
          load();
        },
      })),
      actions: [{ label: 'Cancel', testid: 'scanner-cancel' }, { label: 'Create scanner', cls: 'btn-primary', submit: true, form: 'scanner-create', testid: 'scanner-submit' }],
    });
  }

  /** @param {import('../api-types').ScannerResponse} s */
  function openEdit(s) {
    const dlg = openDialog({
      title: `Edit ${s.name}`, testid: 'scanner-edit-dialog',
      build: (body) => body.append(scannerForm({
        id: 'scanner-edit-form', values: s,
        onSubmit: async (body) => {
          const patch = { name: body.name, allowedCidrs: body.allowedCidrs, pool: body.pool };
          if (body.maxProbesPerSecond) patch.maxProbesPerSecond = body.maxProbesPerSecond;
          await call('PATCH /api/scanners/{id}', { path: { id: s.id }, body: patch });
          dlg.close();
          toast(`Saved ${body.name}`);
          load();
        },
      })),
      actions: [{ label: 'Cancel' }, { label: 'Save', cls: 'btn-primary', submit: true, form: 'scanner-edit-form', testid: 'scanner-save' }],
    });
  }

  addBtn.addEventListener('click', () => openCreate());
  const tick = setInterval(() => tickTimes(tbody), 1000);
  const stopRefresh = refreshEvery(load);
  render();
  load();
  return { unmount() { clearInterval(tick); stopRefresh(); ctrl?.abort(); } };
}
