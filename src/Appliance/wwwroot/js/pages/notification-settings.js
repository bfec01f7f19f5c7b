// The Notifications panel of the Settings page (admins only; docs/notifications.md): webhooks
// (URL and an optional signing secret, never shown back), syslog servers (host, port, UDP or TCP),
// the minimum severity for new vulnerabilities and which inventory events to send; its own Save
// (one PUT of the whole document) and "Send test", which queues a test message to every target.
// The last deliveries show beneath, with their outcome.

import { api, isAbort } from '../api.js';
import { h, icon, toast, fmtAbs } from '../ui.js';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

export function notificationsPanel(signal) {
  const err = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'notify-error' });
  const severity = h('select', { id: 'notify-severity', 'data-testid': 'notify-severity' }, SEVERITIES.map(s => h('option', { value: s }, s)));
  const toggles = { newAssets: 'New assets', newServices: 'New services', certificateExpiry: 'Certificate expiry' };
  const boxes = Object.fromEntries(Object.keys(toggles).map(k => [k, h('input', { type: 'checkbox', id: `notify-${k}`, 'data-testid': `notify-${k}` })]));
  const hooks = h('div', { class: 'stack', 'data-testid': 'notify-webhooks' });
  const syslogs = h('div', { class: 'stack', 'data-testid': 'notify-syslog' });
  const deliveries = h('tbody', { 'data-testid': 'notify-deliveries' });

  function hookRow(w = {}) {
    const url = h('input', { type: 'url', value: w.url ?? '', placeholder: 'https://hooks.example/outpost', 'data-testid': 'webhook-url', 'aria-label': 'Webhook URL' });
    const secret = h('input', { type: 'password', value: '', autocomplete: 'new-password', 'data-testid': 'webhook-secret', 'aria-label': 'Webhook secret',
      placeholder: w.hasSecret ? 'Secret set (leave empty to keep)' : 'Signing secret (optional)' });
    const rowEl = h('div', { class: 'row', 'data-testid': 'webhook-row' }, url, secret,
      h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': 'Remove webhook', onclick: () => rowEl.remove() }, icon('x', { size: 16 })));
    rowEl.read = () => ({ url: url.value.trim(), ...(secret.value ? { secret: secret.value } : {}) });
    hooks.append(rowEl);
  }

  function syslogRow(s = {}) {
    const host = h('input', { type: 'text', value: s.host ?? '', placeholder: 'syslog.example', 'data-testid': 'syslog-host', 'aria-label': 'Syslog host' });
    const port = h('input', { type: 'number', min: '1', max: '65535', value: String(s.port ?? 514), 'data-testid': 'syslog-port', 'aria-label': 'Syslog port', style: 'width:7em' });
    const transport = h('select', { 'data-testid': 'syslog-transport', 'aria-label': 'Transport' }, ['udp', 'tcp'].map(t => h('option', { value: t }, t.toUpperCase())));
    transport.value = s.transport ?? 'udp';
    const rowEl = h('div', { class: 'row', 'data-testid': 'syslog-row' }, host, port, transport,
      h('button', { type: 'button', class: 'btn btn-ghost btn-icon', 'aria-label': 'Remove syslog server', onclick: () => rowEl.remove() }, icon('x', { size: 16 })));
    rowEl.read = () => ({ host: host.value.trim(), port: Number(port.value), transport: transport.value });
    syslogs.append(rowEl);
  }

  function fill(doc) {
    severity.value = doc.minimumSeverity;
    for (const k of Object.keys(toggles)) boxes[k].checked = doc[k];
    hooks.replaceChildren();
    syslogs.replaceChildren();
    doc.webhooks.forEach(hookRow);
    doc.syslog.forEach(syslogRow);
  }

  async function save() {
    const body = {
      minimumSeverity: severity.value,
      ...Object.fromEntries(Object.keys(toggles).map(k => [k, boxes[k].checked])),
      webhooks: [...hooks.children].map(r => r.read()),
      syslog: [...syslogs.children].map(r => r.read()),
    };
    try {
      fill(await api('/api/settings/notifications', { method: 'PUT', body }));
      err.textContent = '';
      toast('Notification settings saved');
    } catch (e) {
      err.textContent = e.message;
    }
  }

  async function sendTest() {
    try {
      const r = await api('/api/settings/notifications/test', { method: 'POST' });
      err.textContent = '';
      toast(`Test queued to ${r.queued} target${r.queued === 1 ? '' : 's'}`);
      setTimeout(loadDeliveries, 1500);
    } catch (e) {
      err.textContent = e.message;
    }
  }

  async function loadDeliveries() {
    try {
      const data = await api('/api/notifications/deliveries?limit=10', { signal });
      deliveries.replaceChildren(...data.deliveries.map(d => h('tr', { 'data-testid': 'delivery-row' },
        h('td', {}, h('time', { datetime: d.createdAt }, fmtAbs(d.createdAt))), h('td', { class: 'mono small' }, d.event),
        h('td', { class: 'mono small' }, d.target), h('td', {}, h('span', { class: `badge outcome-${d.status === 'failed' ? 'failed' : 'ok'}` }, d.status)),
        h('td', { class: 'small' }, d.lastError ?? ''))));
    } catch (e) {
      if (!isAbort(e)) err.textContent = `Could not load deliveries: ${e.message}`;
    }
  }

  (async () => {
    try {
      fill(await api('/api/settings/notifications', { signal }));
      await loadDeliveries();
    } catch (e) {
      if (!isAbort(e)) err.textContent = `Could not load notification settings: ${e.message}`;
    }
  })();

  return h('section', { class: 'panel', 'aria-labelledby': 'nt-h', 'data-testid': 'notifications-panel', style: 'margin-top:18px' },
    h('div', { class: 'panel-head' }, icon('bell', { size: 18 }), h('div', {}, h('h2', { id: 'nt-h' }, 'Notifications'),
      h('div', { class: 'desc' }, 'Webhooks (JSON, signed with X-Outpost-Signature: sha256=HMAC of the body) and syslog (RFC 5424) for new vulnerabilities, new assets and services, and expiring certificates.'))),
    h('div', { class: 'panel-body' },
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: 'notify-severity' }, 'New vulnerabilities at or above'), severity),
        ...Object.entries(toggles).map(([k, label]) => h('label', { class: 'row', for: `notify-${k}` }, boxes[k], label))),
      h('h3', {}, 'Webhooks'), hooks,
      h('div', {}, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'add-webhook', onclick: () => hookRow() }, icon('plus', { size: 14 }), 'Add webhook')),
      h('h3', {}, 'Syslog servers'), syslogs,
      h('div', {}, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'add-syslog', onclick: () => syslogRow() }, icon('plus', { size: 14 }), 'Add syslog server')),
      err,
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'save-notifications', onclick: save }, 'Save notifications'),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'send-test', onclick: sendTest }, icon('bell', { size: 15 }), 'Send test')),
      h('h3', {}, 'Recent deliveries'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
        h('thead', {}, h('tr', {}, ['Time', 'Event', 'Target', 'Status', 'Last error'].map(t => h('th', { scope: 'col' }, t)))), deliveries))));
}
