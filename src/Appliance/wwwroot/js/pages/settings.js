// Settings: scan windows (when automated scans may run), rate limits (per subnet, per port
// list; per scanner on the Scanners page), the do-not-scan list, the scan attribution header,
// and the appliance's TLS fingerprint. One PUT saves the whole scan-settings document; fields this page does not
// know are sent back untouched.

import { call, isAbort } from '../api.js';
import { h, icon, toast, copyButton, setTitle } from '../ui.js';
import { notificationsPanel } from './notification-settings.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_LABEL = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

export function mount(root, ctx) {
  setTitle('Settings');
  let doc = null;
  let dirty = false;
  const ctrl = new AbortController();
  let seq = 0;
  const uid = () => `f${++seq}`;

  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', form: 'settings-form', 'data-testid': 'save-settings', disabled: true }, 'Save settings');
  const dirtyNote = h('span', { class: 'muted small', 'data-testid': 'settings-state', 'aria-live': 'polite' });
  const formErr = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'settings-error' });
  const windowsHost = h('div', { class: 'rows', 'data-testid': 'windows', 'data-empty': 'No windows: automated scans may start at any time.' });
  const subnetHost = h('div', { class: 'rows', 'data-testid': 'subnet-limits', 'data-empty': 'No subnet limits: every network gets the other limits.' });
  const portHost = h('div', { class: 'rows', 'data-testid': 'port-lists', 'data-empty': 'No port lists yet.' });
  const exclusionHost = h('div', { class: 'rows', 'data-testid': 'exclusions', 'data-empty': 'Nothing excluded: every target of a scan is probed.' });
  const tz = h('input', { type: 'text', id: 'tz', list: 'tz-list', 'data-testid': 'timezone', placeholder: 'UTC', autocomplete: 'off' });
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const tzList = h('datalist', { id: 'tz-list' }, ['UTC', ...zones].map(z => h('option', { value: z })));
  const hdrName = h('input', { type: 'text', id: 'hdr-name', class: 'mono', 'data-testid': 'attr-name', placeholder: 'X-Outpost-Scan' });
  const hdrNameField = h('div', { class: 'field' }, h('label', { for: 'hdr-name' }, 'Header name'), hdrName);
  const hdrValueLabel = h('label', { for: 'hdr-value' }, 'Header value');
  const defaultRate = h('input', { type: 'number', id: 'default-rate', min: '1', 'data-testid': 'default-rate' });
  const defaultRateField = h('div', { class: 'field', hidden: true }, h('label', { for: 'default-rate' }, 'Default max probes/s'), defaultRate,
    h('span', { class: 'hint' }, 'What a job gets when no scanner, subnet, port-list or scan limit applies.'));
  const tzField = h('div', { class: 'field' });
  // The daemon may keep the attribution header as one string ("text scanners announce") or as {name, value}.
  let headerAsObject = false;
  let hasTimeZone = false;
  const hdrValue = h('input', { type: 'text', id: 'hdr-value', class: 'mono', 'data-testid': 'attr-value', placeholder: 'acme-security-scan' });
  const hdrValueField = h('div', { class: 'field' }, hdrValueLabel, hdrValue);
  const hdrPreview = h('code', { 'data-testid': 'attr-preview' });
  const applianceHost = h('div', { class: 'panel-body', 'data-testid': 'appliance-info' }, h('span', { class: 'muted' }, 'Loading…'));

  const form = h('form', { id: 'settings-form', novalidate: true, 'data-testid': 'settings-form' },
    h('div', { class: 'settings-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'sw-h' },
        h('div', { class: 'panel-head' }, icon('calendar', { size: 18 }), h('div', {}, h('h2', { id: 'sw-h' }, 'Scan windows'),
          h('div', { class: 'desc' }, 'Automated scans start only inside these windows. None: any time. Manual scans ignore them.'))),
        h('div', { class: 'panel-body' },
          tzField,
          windowsHost,
          h('div', {}, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'add-window', onclick: () => { addWindow({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '06:00' }, true); markDirty(); } }, icon('plus', { size: 14 }), 'Add window')))),
      h('section', { class: 'panel', 'aria-labelledby': 'rl-h' },
        h('div', { class: 'panel-head' }, icon('shield', { size: 18 }), h('div', {}, h('h2', { id: 'rl-h' }, 'Rate limits'),
          h('div', { class: 'desc' }, 'Probes per second. The slowest applicable limit wins: scanner, subnet, port list, scan. ', h('a', { href: '#/scanners' }, 'Scanner limits'), ' are set per scanner.'))),
        h('div', { class: 'panel-body' },
          defaultRateField,
          h('h3', {}, 'Subnet limits'), subnetHost,
          h('div', {}, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'add-subnet', onclick: () => { addSubnet({}, true); markDirty(); } }, icon('plus', { size: 14 }), 'Add subnet limit')),
          h('h3', { style: 'margin-top:8px' }, 'Port lists'), portHost,
          h('div', {}, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'add-portlist', onclick: () => { addPortList({}, true); markDirty(); } }, icon('plus', { size: 14 }), 'Add port list')))),
      h('section', { class: 'panel', 'aria-labelledby': 'dn-h' },
        h('div', { class: 'panel-head' }, icon('shield', { size: 18 }), h('div', {}, h('h2', { id: 'dn-h' }, 'Do-not-scan list'),
          h('div', { class: 'desc' }, 'Never probed: an address, subnet or range (every port), or address:port. Leave the pool empty for every scanner. An edit reaches running scans within seconds.'))),
        h('div', { class: 'panel-body' },
          exclusionHost,
          h('div', {}, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'add-exclusion', onclick: () => { addExclusion({}, true); markDirty(); } }, icon('plus', { size: 14 }), 'Add exclusion')))),
      h('section', { class: 'panel', 'aria-labelledby': 'ah-h' },
        h('div', { class: 'panel-head' }, icon('info', { size: 18 }), h('div', {}, h('h2', { id: 'ah-h' }, 'Scan attribution header'),
          h('div', { class: 'desc' }, 'Scanners announce their probes with it, so target owners and your SOC can tell Outpost traffic from an attack and allowlist it.'))),
        h('div', { class: 'panel-body' },
          h('div', { class: 'form-grid' },
            hdrNameField,
            hdrValueField),
          h('div', { class: 'secret' }, hdrPreview))),
      h('section', { class: 'panel', 'aria-labelledby': 'ap-h' },
        h('div', { class: 'panel-head' }, icon('lock', { size: 18 }), h('div', {}, h('h2', { id: 'ap-h' }, 'Appliance'),
          h('div', { class: 'desc' }, 'Give scanner nodes this fingerprint to pin the appliance\u2019s TLS certificate.'))),
        applianceHost)),
    h('div', { class: 'sticky-save' }, formErr, dirtyNote, saveBtn));

  root.append(
    h('div', { class: 'page-head' }, h('div', { class: 'titles' }, h('h1', {}, 'Settings'), h('div', { class: 'sub' }, 'Scan windows, rate limits and traffic attribution'))),
    form);
  // Notifications are admin-only settings with their own save (a separate document on the appliance).
  if (ctx?.session?.role === 'admin') root.append(notificationsPanel(ctrl.signal));

  function markDirty() {
    dirty = true;
    saveBtn.disabled = false;
    dirtyNote.textContent = 'Unsaved changes';
  }
  form.addEventListener('input', markDirty);
  form.addEventListener('change', markDirty);
  const paintPreview = () => {
    hdrPreview.textContent = headerAsObject ? `${hdrName.value || 'X-Outpost-Scan'}: ${hdrValue.value || '…'}` : (hdrValue.value || 'Not set: scanners announce nothing extra.');
  };
  hdrName.addEventListener('input', paintPreview);
  hdrValue.addEventListener('input', paintPreview);

  function removeBtn(label, row) {
    return h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': label, title: label, onclick: () => { row.remove(); markDirty(); } }, icon('trash', { size: 16 }));
  }

  function addWindow(w, focus = false) {
    const id = uid();
    const days = new Set(w.days ?? []);
    const start = h('input', { type: 'time', id: `${id}-s`, value: w.start ?? '', 'data-field': 'start', required: true });
    const end = h('input', { type: 'time', id: `${id}-e`, value: w.end ?? '', 'data-field': 'end', required: true });
    const row = h('fieldset', { class: 'window-row', 'data-testid': 'window-row', style: 'margin:0' },
      h('legend', { class: 'sr-only' }, 'Scan window'),
      h('div', { class: 'days', role: 'group', 'aria-label': 'Days' }, DAYS.map(d => h('label', { class: 'day' },
        h('input', { type: 'checkbox', value: d, checked: days.has(d), 'aria-label': DAY_LABEL[d] }), h('span', { 'aria-hidden': 'true' }, DAY_LABEL[d])))),
      h('div', { class: 'rule-row' },
        h('div', { class: 'field' }, h('label', { for: `${id}-s` }, 'From'), start),
        h('div', { class: 'field' }, h('label', { for: `${id}-e` }, 'Until'), end),
        null));
    row.querySelector('.rule-row').append(removeBtn('Remove window', row));
    windowsHost.append(row);
    if (focus) row.querySelector('input')?.focus();
  }

  function addSubnet(r, focus = false) {
    const id = uid();
    const row = h('div', { class: 'rule-row', 'data-testid': 'subnet-row' },
      h('div', { class: 'field' }, h('label', { for: `${id}-c` }, 'Subnet'), h('input', { type: 'text', id: `${id}-c`, class: 'mono', value: r.cidr ?? '', placeholder: '10.20.0.0/16', 'data-field': 'cidr' })),
      h('div', { class: 'field' }, h('label', { for: `${id}-r` }, 'Max probes/s'), h('input', { type: 'number', id: `${id}-r`, min: '1', value: r.maxProbesPerSecond ?? '', 'data-field': 'rate' })));
    row.append(removeBtn('Remove subnet limit', row));
    subnetHost.append(row);
    if (focus) row.querySelector('input')?.focus();
  }

  function addPortList(r, focus = false) {
    const id = uid();
    const row = h('div', { class: 'rule-row three', 'data-testid': 'portlist-row' },
      h('div', { class: 'field' }, h('label', { for: `${id}-n` }, 'Name'), h('input', { type: 'text', id: `${id}-n`, value: r.name ?? '', placeholder: 'web', 'data-field': 'name' })),
      h('div', { class: 'field' }, h('label', { for: `${id}-p` }, 'Ports'), h('input', { type: 'text', id: `${id}-p`, class: 'mono', value: r.ports ?? '', placeholder: '80,443,8000-8100', 'data-field': 'ports' })),
      h('div', { class: 'field' }, h('label', { for: `${id}-r` }, 'Max probes/s'), h('input', { type: 'number', id: `${id}-r`, min: '1', value: r.maxProbesPerSecond ?? '', 'data-field': 'rate' })));
    row.append(removeBtn('Remove port list', row));
    portHost.append(row);
    if (focus) row.querySelector('input')?.focus();
  }

  function addExclusion(r, focus = false) {
    const id = uid();
    const row = h('div', { class: 'rule-row', 'data-testid': 'exclusion-row' },
      h('div', { class: 'field' }, h('label', { for: `${id}-t` }, 'Target'), h('input', { type: 'text', id: `${id}-t`, class: 'mono', value: r.target ?? '', placeholder: '10.20.0.0/24 or 10.20.0.5:22', 'data-field': 'target' })),
      h('div', { class: 'field' }, h('label', { for: `${id}-p` }, 'Pool (optional)'), h('input', { type: 'text', id: `${id}-p`, value: r.pool ?? '', placeholder: 'every scanner', 'data-field': 'pool' })));
    row.append(removeBtn('Remove exclusion', row));
    exclusionHost.append(row);
    if (focus) row.querySelector('input')?.focus();
  }

  function fill(d) {
    doc = d ?? {};
    windowsHost.replaceChildren();
    subnetHost.replaceChildren();
    portHost.replaceChildren();
    exclusionHost.replaceChildren();
    (doc.exclusions ?? []).forEach(r => addExclusion(r));
    (doc.windows ?? []).forEach(w => addWindow(w));
    (doc.subnetLimits ?? []).forEach(r => addSubnet(r));
    (doc.portLists ?? []).forEach(r => addPortList(r));
    hasTimeZone = Object.hasOwn(doc, 'timeZone');
    tz.value = doc.timeZone ?? '';
    tzField.replaceChildren(...(hasTimeZone
      ? [h('label', { for: 'tz' }, 'Time zone'), tz, tzList]
      : [h('span', { class: 'hint' }, 'Windows are in the appliance\u2019s time of day. A window whose end is before its start runs past midnight.')]));
    headerAsObject = doc.attributionHeader !== null && typeof doc.attributionHeader === 'object';
    hdrNameField.hidden = !headerAsObject;
    hdrValueField.classList.toggle('span2', !headerAsObject);
    hdrValueLabel.textContent = headerAsObject ? 'Header value' : 'Attribution text';
    hdrValue.placeholder = headerAsObject ? 'acme-security-scan' : 'Outpost scan by ACME SecOps, contact soc@example.com';
    hdrName.value = headerAsObject ? (doc.attributionHeader.name ?? '') : '';
    hdrValue.value = headerAsObject ? (doc.attributionHeader.value ?? '') : (doc.attributionHeader ?? '');
    defaultRateField.hidden = typeof doc.defaultMaxProbesPerSecond !== 'number';
    defaultRate.value = doc.defaultMaxProbesPerSecond ?? '';
    paintPreview();
    dirty = false;
    saveBtn.disabled = true;
    dirtyNote.textContent = '';
  }

  function collect() {
    const problems = [];
    const val = (row, f) => row.querySelector(`[data-field="${f}"]`).value.trim();
    const windows = [...windowsHost.querySelectorAll('[data-testid="window-row"]')].map(row => {
      const days = [...row.querySelectorAll('.days input:checked')].map(x => x.value);
      const w = { days, start: val(row, 'start'), end: val(row, 'end') };
      if (!days.length) problems.push('Each scan window needs at least one day.');
      if (!w.start || !w.end) problems.push('Each scan window needs a start and an end time.');
      return w;
    });
    const subnetLimits = [...subnetHost.children].map(row => {
      const r = { cidr: val(row, 'cidr'), maxProbesPerSecond: Number(val(row, 'rate')) };
      if (!r.cidr || !(r.maxProbesPerSecond > 0)) problems.push('Each subnet limit needs a subnet and a positive rate.');
      return r;
    });
    const portLists = [...portHost.children].map(row => {
      const rate = val(row, 'rate');
      const r = { name: val(row, 'name'), ports: val(row, 'ports').replace(/\s+/g, '') };
      if (rate) r.maxProbesPerSecond = Number(rate);
      if (!r.name || !r.ports) problems.push('Each port list needs a name and ports.');
      return r;
    });
    const exclusions = [...exclusionHost.children].map(row => {
      const r = { target: val(row, 'target').replace(/\s+/g, '') };
      const pool = val(row, 'pool');
      if (pool) r.pool = pool;
      if (!r.target) problems.push('Each exclusion needs a target.');
      return r;
    });
    const out = { ...doc, windows, subnetLimits, portLists, exclusions };
    if (hasTimeZone) out.timeZone = tz.value.trim() || 'UTC';
    if (headerAsObject) out.attributionHeader = { name: hdrName.value.trim(), value: hdrValue.value.trim() };
    else out.attributionHeader = hdrValue.value.trim() || null;
    if (!defaultRateField.hidden) {
      const n = Number(defaultRate.value);
      if (!(n > 0)) problems.push('The default rate must be a positive number.');
      else out.defaultMaxProbesPerSecond = n;
    }
    return { out, problems: [...new Set(problems)] };
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formErr.textContent = '';
    const { out, problems } = collect();
    if (problems.length) { formErr.textContent = problems.join(' '); return; }
    saveBtn.disabled = true;
    dirtyNote.textContent = 'Saving…';
    try {
      const saved = await call('PUT /api/settings/scan', { body: out });
      fill(saved && typeof saved === 'object' && !Array.isArray(saved) ? saved : out);
      dirtyNote.textContent = 'Saved';
      toast('Settings saved');
    } catch (ex) {
      formErr.textContent = ex.message;
      saveBtn.disabled = false;
      dirtyNote.textContent = 'Unsaved changes';
    }
  });

  async function load() {
    try {
      fill(await call('GET /api/settings/scan', { signal: ctrl.signal, allow404: true }));
    } catch (e) {
      if (!isAbort(e)) formErr.textContent = `Could not load settings: ${e.message}`;
    }
    try {
      const a = await call('GET /api/appliance', { signal: ctrl.signal, allow404: true });
      const fp = a?.tlsFingerprint;
      applianceHost.replaceChildren(
        h('dl', { class: 'facts' },
          h('div', {}, h('dt', {}, 'Version'), h('dd', { class: 'mono', 'data-testid': 'appliance-version' }, a?.version ?? '—')),
          h('div', {}, h('dt', {}, 'Address'), h('dd', { class: 'mono' }, location.origin))),
        h('div', { class: 'field' }, h('span', { style: 'font-weight:560;font-size:.9rem' }, 'TLS certificate fingerprint (SHA-256)'),
          fp ? h('div', { class: 'secret' }, h('code', { class: 'fingerprint', 'data-testid': 'tls-fingerprint' }, fp), copyButton(() => fp, { testid: 'copy-fingerprint' }))
            : h('div', { class: 'note', 'data-testid': 'tls-fingerprint' }, icon('info', { size: 16 }), h('span', {}, 'Not available: this appliance is not serving TLS here (for example a development run on plain HTTP).'))));
    } catch (e) {
      if (!isAbort(e)) applianceHost.replaceChildren(h('span', { class: 'muted' }, `Appliance details unavailable: ${e.message}`));
    }
  }

  const beforeUnload = (e) => { if (dirty) { e.preventDefault(); } };
  window.addEventListener('beforeunload', beforeUnload);
  load();
  return { unmount() { ctrl.abort(); window.removeEventListener('beforeunload', beforeUnload); } };
}
