// Small DOM helpers shared by every page: element builder, icons, status badges,
// formatting, toasts and accessible dialogs (native <dialog>, focus trap, Esc closes).

/**
 * h('button', {class: 'btn', onclick: fn, 'data-testid': 'x'}, 'Label', childNode)
 * Attributes starting with "on" become listeners; false/null attributes are skipped.
 * @returns {any} the element, whatever its tag (HTMLInputElement for an input, and so on)
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag === 'svg' ? document.createElementNS('http://www.w3.org/2000/svg', 'svg') : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    // Through the CSSOM: the Content-Security-Policy (style-src 'self') refuses style attributes, not this.
    else if (k === 'style') el.style.cssText = v;
    else if (k === 'html') el.innerHTML = v;
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const ICONS = {
  clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
  running: '<circle cx="12" cy="12" r="9" opacity=".25"/><path d="M21 12a9 9 0 0 0-9-9"/>',
  check: '<circle cx="12" cy="12" r="9"/><path d="m8 12.5 2.7 2.7L16 9.5"/>',
  fail: '<circle cx="12" cy="12" r="9"/><path d="m15 9-6 6M9 9l6 6"/>',
  alert: '<path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4M12 17h.01"/>',
  ban: '<circle cx="12" cy="12" r="9"/><path d="m5.7 5.7 12.6 12.6"/>',
  calendar: '<rect x="3" y="4.5" width="18" height="17" rx="2"/><path d="M16 2.5v4M8 2.5v4M3 10h18"/>',
  repeat: '<path d="m17 2 4 4-4 4"/><path d="M3 11v-1a4 4 0 0 1 4-4h14"/><path d="m7 22-4-4 4-4"/><path d="M21 13v1a4 4 0 0 1-4 4H3"/>',
  stop: '<circle cx="12" cy="12" r="9"/><rect x="9" y="9" width="6" height="6" rx="1"/>',
  stopping: '<circle cx="12" cy="12" r="9" stroke-dasharray="3 3"/><rect x="9" y="9" width="6" height="6" rx="1"/>',
  pause: '<rect x="6" y="4.5" width="4" height="15" rx="1"/><rect x="14" y="4.5" width="4" height="15" rx="1"/>',
  play: '<path d="M7 4.5v15l12-7.5z"/>',
  rerun: '<path d="M3 12a9 9 0 0 1 15.5-6.2L21 8.5"/><path d="M21 3.5v5h-5"/><path d="M21 12a9 9 0 0 1-15.5 6.2L3 15.5"/><path d="M3 20.5v-5h5"/>',
  refresh: '<path d="M21 12a9 9 0 1 1-2.6-6.4L21 8"/><path d="M21 3v5h-5"/>',
  search: '<circle cx="11" cy="11" r="7"/><path d="m20.5 20.5-4.2-4.2"/>',
  sun: '<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>',
  moon: '<path d="M20.5 13.4A8.5 8.5 0 1 1 10.6 3.5a6.6 6.6 0 0 0 9.9 9.9z"/>',
  copy: '<rect x="9" y="9" width="12" height="12" rx="2"/><path d="M5 15H4.5A1.5 1.5 0 0 1 3 13.5v-9A1.5 1.5 0 0 1 4.5 3h9A1.5 1.5 0 0 1 15 4.5V5"/>',
  plus: '<path d="M12 5v14M5 12h14"/>',
  key: '<circle cx="8" cy="15" r="5"/><path d="m11.5 11.5 9-9M17 6l3 3M14.5 8.5l2 2"/>',
  online: '<path d="M4.9 9.5a10 10 0 0 1 14.2 0"/><path d="M8.4 13a5 5 0 0 1 7.2 0"/><circle cx="12" cy="17.5" r="1.3" fill="currentColor"/>',
  offline: '<path d="M4.9 9.5a10 10 0 0 1 14.2 0" opacity=".45"/><path d="M8.4 13a5 5 0 0 1 7.2 0" opacity=".45"/><circle cx="12" cy="17.5" r="1.3" fill="currentColor"/><path d="m3 3 18 18"/>',
  power: '<path d="M12 2.5v9"/><path d="M18.4 6.6a9 9 0 1 1-12.8 0"/>',
  download: '<path d="M12 3.5v11M7 10l5 5 5-5M4.5 20.5h15"/>',
  trash: '<path d="M3.5 6h17M9 6V3.5h6V6M6 6l1 14.5h10L18 6"/>',
  x: '<path d="M18 6 6 18M6 6l12 12"/>',
  bell: '<path d="M6 9a6 6 0 0 1 12 0c0 6.5 2.5 8.5 2.5 8.5h-17S6 15.5 6 9"/><path d="M10.3 21a1.9 1.9 0 0 0 3.4 0"/>',
  edit: '<path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L8 18l-4 1 1-4z"/>',
  info: '<circle cx="12" cy="12" r="9"/><path d="M12 16.5v-5M12 8h.01"/>',
  lock: '<rect x="4.5" y="10.5" width="15" height="10.5" rx="2"/><path d="M8 10.5V7a4 4 0 0 1 8 0v3.5"/>',
  shield: '<path d="M12 2.5 4.5 5.5v6c0 4.6 3.2 8.3 7.5 10 4.3-1.7 7.5-5.4 7.5-10v-6z"/>',
  inbox: '<path d="M3 13h5l1.5 3h5L16 13h5"/><path d="M5.5 5h13L21 13v6a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 19v-6z"/>',
  radar: '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5" opacity=".6"/><path d="M12 12 18.4 5.6"/>',
  terminal: '<rect x="2.5" y="4" width="19" height="16" rx="2"/><path d="m7 9 3 3-3 3M12.5 15h4.5"/>',
};

/**
 * An inline SVG icon, decorative (aria-hidden) unless a label is given.
 * @param {string} name
 * @param {{size?: number, label?: string, cls?: string}} [options]
 */
export function icon(name, { size = 16, label, cls = '' } = {}) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('fill', name === 'play' ? 'currentColor' : 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  if (cls) svg.setAttribute('class', cls);
  if (label) { svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', label); }
  else svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = ICONS[name] ?? ICONS.info;
  return svg;
}

/** Every status the UI shows: a word, an icon and a tone. The word is always printed. */
export const STATUS = {
  queued: { label: 'Queued', icon: 'clock', tone: 'queue' },
  claimed: { label: 'Queued', icon: 'clock', tone: 'queue' },
  running: { label: 'Running', icon: 'running', tone: 'run', spin: true },
  completed: { label: 'Completed', icon: 'check', tone: 'ok' },
  failed: { label: 'Failed', icon: 'fail', tone: 'fail' },
  cancelled: { label: 'Cancelled', icon: 'ban', tone: 'muted' },
  scheduled: { label: 'Scheduled', icon: 'calendar', tone: 'sched' },
  recurring: { label: 'Recurring', icon: 'repeat', tone: 'sched' },
  processing: { label: 'Processing', icon: 'running', tone: 'run', spin: true },
  stopping: { label: 'Stopping', icon: 'stopping', tone: 'warn' },
  stopped: { label: 'Stopped', icon: 'stop', tone: 'muted' },
  online: { label: 'Online', icon: 'online', tone: 'ok' },
  offline: { label: 'Offline', icon: 'offline', tone: 'fail' },
  disabled: { label: 'Disabled', icon: 'ban', tone: 'muted' },
  paused: { label: 'Paused', icon: 'pause', tone: 'warn' },
};

export function statusInfo(status) {
  return STATUS[status] ?? { label: status ? String(status)[0].toUpperCase() + String(status).slice(1) : 'Unknown', icon: 'info', tone: 'muted' };
}

/** Colour-coded icon plus text. `pill` gives it a soft background. */
export function statusBadge(status, { pill = false, testid = 'status' } = {}) {
  const s = statusInfo(status);
  return h('span', { class: `status status--${s.tone}${pill ? ' pill' : ''}`, 'data-testid': testid, 'data-status': status },
    icon(s.icon, { cls: s.spin ? 'spin' : '' }), h('span', { class: 'label' }, s.label));
}

const nf = new Intl.NumberFormat(undefined);
export const fmtNum = (n) => (n === null || n === undefined || Number.isNaN(n)) ? '—' : nf.format(n);
const cf = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
export const fmtCompact = (n) => (n === null || n === undefined) ? '—' : (Math.abs(n) < 10000 ? nf.format(n) : cf.format(n));

export function toDate(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
export function fmtRel(v, now = Date.now()) {
  const d = toDate(v);
  if (!d) return '—';
  const s = Math.round((d.getTime() - now) / 1000);
  const a = Math.abs(s);
  if (a < 5) return 'just now';
  if (a < 60) return rtf.format(s, 'second');
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

const dtf = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
export function fmtAbs(v) {
  const d = toDate(v);
  return d ? dtf.format(d) : '—';
}

/** A <time> element showing relative time with the absolute one as its tooltip. */
export function timeEl(v, { prefix = '' } = {}) {
  const d = toDate(v);
  if (!d) return h('span', { class: 'faint' }, '—');
  return h('time', { datetime: d.toISOString(), title: fmtAbs(d), 'data-rel': d.toISOString(), 'data-prefix': prefix }, prefix + fmtRel(d));
}

/** Refreshes the text of every relative <time> below root (called once a second by pages). */
export function tickTimes(root) {
  const now = Date.now();
  for (const t of root.querySelectorAll('time[data-rel]')) t.textContent = (t.dataset.prefix ?? '') + fmtRel(t.dataset.rel, now);
}

/** "2 h 05 min", "14 min", "45 s": for countdowns in hours and minutes. */
export function fmtCountdown(ms) {
  if (ms <= 0) return 'now';
  const totalMin = Math.floor(ms / 60000);
  if (totalMin < 1) return `${Math.ceil(ms / 1000)} s`;
  const hrs = Math.floor(totalMin / 60);
  const min = totalMin % 60;
  if (hrs === 0) return `${min} min`;
  if (hrs >= 48) return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
  return `${hrs} h ${String(min).padStart(2, '0')} min`;
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** How often every page, and the alarm banner, reloads what it shows: one period for the whole UI. */
export const REFRESH_MS = 15000;

/**
 * Calls `load` every REFRESH_MS, except while a dialog is open (a reload would repaint what the admin is editing).
 * Returns the function that stops it. The Jobs page keeps its own countdown to the same period, because it shows it.
 * @param {() => unknown} load
 */
export function refreshEvery(load) {
  const timer = setInterval(() => { if (!document.querySelector('dialog[open]')) load(); }, REFRESH_MS);
  return () => clearInterval(timer);
}

export function debounce(fn, ms) {
  let t = 0;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}

// ---------- targets arithmetic (for progress bars: expected probes = addresses x ports) ----------
function ipv4(s) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some(p => p > 255)) return null;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** Number of addresses in "10.0.0.0/24", "10.0.0.5" or "10.0.0.1-10.0.0.50"; null if unknown (IPv6, names). */
export function countAddresses(target) {
  if (!target) return null;
  const t = String(target).trim();
  const slash = t.indexOf('/');
  if (slash > 0) {
    const bits = Number(t.slice(slash + 1));
    if (ipv4(t.slice(0, slash)) === null || !(bits >= 0 && bits <= 32)) return null;
    return 2 ** (32 - bits);
  }
  const dash = t.indexOf('-');
  if (dash > 0) {
    const a = ipv4(t.slice(0, dash)), b = ipv4(t.slice(dash + 1));
    return a === null || b === null || b < a ? null : b - a + 1;
  }
  return ipv4(t) === null ? null : 1;
}

/** Number of ports in "22,80,443,8000-8100"; null if it can't be parsed. */
export function countPorts(ports) {
  if (ports === null || ports === undefined) return null;
  let n = 0;
  for (const part of String(ports).split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(p);
    if (!m) return null;
    const a = Number(m[1]), b = m[2] ? Number(m[2]) : a;
    if (b < a) return null;
    n += b - a + 1;
  }
  return n || null;
}

export function expectedProbes(targets, ports) {
  let total = 0;
  for (const t of targets ?? []) {
    const cidr = typeof t === 'string' ? t : t.cidr;
    const p = typeof t === 'string' ? ports : (t.ports ?? ports);
    const a = countAddresses(cidr), n = countPorts(p);
    if (a === null || n === null) return null;
    total += a * n;
  }
  return total || null;
}

// ---------- toasts ----------
export function toast(message, { tone = 'ok', timeout = 4500 } = {}) {
  const host = document.getElementById('toasts');
  const el = h('div', { class: `toast ${tone}`, role: tone === 'fail' ? 'alert' : 'status', 'data-testid': 'toast' },
    icon(tone === 'fail' ? 'alert' : 'check', { size: 18 }), h('span', {}, message));
  host.append(el);
  setTimeout(() => el.remove(), timeout);
  return el;
}

// ---------- dialogs ----------
const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Opens a modal dialog. `build(body, close)` fills the body; actions are footer buttons.
 * Native showModal() makes the page inert; we also keep Tab inside the dialog and give
 * focus back to whatever opened it.
 * @param {{title: any, testid?: string, wide?: boolean, build: (body: HTMLElement, close: (result?: any) => void, foot: HTMLElement) => any,
 *   actions?: any[], onClose?: (result?: any) => void, initialFocus?: string}} options
 */
export function openDialog({ title, testid = 'dialog', wide = false, build, actions = [], onClose, initialFocus }) {
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  const titleId = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const body = h('div', { class: 'dlg-body' });
  const foot = h('div', { class: 'dlg-foot' });
  const dlg = h('dialog', { 'aria-labelledby': titleId, 'data-testid': testid, class: wide ? 'wide' : '' },
    h('div', { class: 'dlg-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'btn btn-ghost btn-icon close', 'aria-label': 'Close', 'data-testid': 'dialog-close', onclick: () => close() }, icon('x', { size: 18 }))),
    body, foot);
  let closed = false;
  function close(result) {
    if (closed) return;
    closed = true;
    if (dlg.open) dlg.close();
    dlg.remove();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    onClose?.(result);
  }
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  dlg.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const items = [...dlg.querySelectorAll(FOCUSABLE)].filter(x => x.offsetParent !== null || x === document.activeElement);
    if (items.length === 0) return;
    const first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  build?.(body, close, foot);
  for (const a of actions) {
    foot.append(h('button', {
      type: a.submit ? 'submit' : 'button', class: `btn ${a.cls ?? ''}`, 'data-testid': a.testid, form: a.form,
      onclick: a.onClick ? (e) => a.onClick(e, close) : (a.submit ? null : () => close(a.value)),
    }, a.icon ? icon(a.icon) : null, a.label));
  }
  document.body.append(dlg);
  dlg.showModal();
  const target = (initialFocus && dlg.querySelector(initialFocus)) || body.querySelector('input, select, textarea') || foot.querySelector('.btn-primary, .btn-danger-solid, .btn-warn-solid') || foot.querySelector('button');
  target?.focus();
  return { dialog: dlg, body, foot, close };
}

/** Resolves true when the admin confirms, false on Cancel, Esc or the close button. */
export function confirmDialog({ title, message, bullets = [], confirmLabel = 'Confirm', danger = false, testid = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    openDialog({
      title, testid,
      build: (body) => {
        if (message) body.append(h('p', {}, message));
        if (bullets.length) body.append(h('ul', {}, bullets.map(b => h('li', {}, b))));
      },
      actions: [
        { label: 'Cancel', testid: 'confirm-cancel', value: false },
        { label: confirmLabel, cls: danger ? 'btn-danger-solid' : 'btn-primary', testid: 'confirm-ok', value: true },
      ],
      onClose: (v) => resolve(v === true),
    });
  });
}

/** Copies text; falls back to a hidden textarea where the async Clipboard API is unavailable (plain HTTP on a LAN address). */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return true; }
  } catch { /* fall through */ }
  const ta = h('textarea', { style: 'position:fixed;opacity:0;left:-9999px', readonly: true });
  ta.value = text;
  (document.querySelector('dialog[open]') ?? document.body).append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

export function copyButton(getText, { label = 'Copy', testid = 'copy' } = {}) {
  const btn = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': testid },
    icon('copy', { size: 14 }), h('span', {}, label));
  btn.addEventListener('click', async () => {
    const ok = await copyText(getText());
    btn.querySelector('span').textContent = ok ? 'Copied' : 'Copy failed: select and copy';
    setTimeout(() => { if (btn.isConnected) btn.querySelector('span').textContent = label; }, 1800);
  });
  return btn;
}

/** Keeps keyboard focus on "the same" control across a re-render, by data-focus-key. */
export function preserveFocus(root, render) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? active.getAttribute('data-focus-key') : null;
  render();
  if (key) root.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
}

export function setTitle(t) { document.title = t ? `${t} · Outpost` : 'Outpost'; }
