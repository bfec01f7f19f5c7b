// The shell: hash router, session check (who is signed in, with which role), theme toggle, alarm
// banner, logout. The role hides what it cannot do (body[data-role], css/app.css; the API refuses it
// anyway); the built-in admin signed in with the admin secret is kept on Account until it sets a password.
// Each page module exports mount(root, ctx) and returns an unmount() that stops its timers
// and aborts its requests, so leaving a page leaves nothing running.

import { call, onUnauthorized, isAbort } from './api.js';
import { h, icon, fmtRel, fmtAbs, toast, REFRESH_MS } from './ui.js';
import * as jobs from './pages/jobs.js';
import * as assets from './pages/assets.js';
import * as scans from './pages/scans.js';
import * as scanners from './pages/scanners.js';
import * as vulnerabilities from './pages/vulnerabilities.js';
import * as settings from './pages/settings.js';
import * as login from './pages/login.js';
import * as users from './pages/users.js';
import * as audit from './pages/audit.js';
import * as account from './pages/account.js';

const PAGES = { jobs, assets, scans, scanners, vulnerabilities, settings, login, users, audit, account };
const ADMIN_PAGES = new Set(['users', 'audit']);
const main = document.getElementById('main');
let current = null;
let currentRoute = null;
let authed = false;
let session = null;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const route = path.split('/')[0] || 'jobs';
  return { route: PAGES[route] ? route : 'jobs', params: new URLSearchParams(query), path };
}

async function render() {
  const { route, params } = parseHash();
  if (route !== 'login' && !authed) {
    authed = await checkSession();
    if (!authed) { goLogin(); return; }
  }
  if (route !== 'login' && session?.mustSetPassword && route !== 'account') { location.hash = '#/account'; return; }
  if (ADMIN_PAGES.has(route) && session?.role !== 'admin') { location.hash = '#/jobs'; return; }
  if (route === currentRoute && current) return; // query-only changes are handled by the page
  current?.unmount?.();
  current = null;
  currentRoute = route;
  document.body.classList.toggle('is-login', route === 'login');
  document.getElementById('logout').hidden = route === 'login';
  document.getElementById('account-link').hidden = route === 'login';
  for (const a of /** @type {NodeListOf<HTMLAnchorElement>} */ (document.querySelectorAll('#nav a'))) {
    if (a.dataset.route === route) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  current = PAGES[route].mount(main, {
    params,
    session,
    onLoggedIn: async () => { authed = await checkSession(); startAlarms(); },
    onPasswordSet: () => { if (session?.mustSetPassword) { session.mustSetPassword = false; location.hash = '#/jobs'; } },
  }) ?? null;
  if (route !== 'login') startAlarms(); else stopAlarms();
}

async function checkSession() {
  try {
    session = await call('GET /api/session');
  } catch {
    session = null;
  }
  document.body.dataset.role = session?.role ?? '';
  for (const a of /** @type {NodeListOf<HTMLAnchorElement>} */ (document.querySelectorAll('#nav a[data-admin]'))) a.hidden = session?.role !== 'admin';
  return session !== null;
}

function goLogin() {
  const { route, path } = parseHash();
  authed = false;
  stopAlarms();
  const next = route === 'login' ? '' : `?next=${encodeURIComponent(path || 'jobs')}`;
  currentRoute = null;
  location.hash = `#/login${next}`;
}

onUnauthorized(() => { if (parseHash().route !== 'login') goLogin(); });

// ---------- theme ----------
const themeBtn = document.getElementById('theme-toggle');
function effectiveTheme() {
  const forced = document.documentElement.dataset.theme;
  if (forced) return forced;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}
function paintThemeButton() {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  themeBtn.replaceChildren(icon(next === 'dark' ? 'moon' : 'sun', { size: 18 }));
  themeBtn.setAttribute('aria-label', `Switch to ${next} theme`);
  themeBtn.title = `Switch to ${next} theme`;
}
themeBtn.addEventListener('click', () => {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  try { localStorage.setItem('outpost.theme', next); } catch { /* private mode */ }
  paintThemeButton();
});
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', paintThemeButton);
paintThemeButton();

// ---------- logout ----------
document.getElementById('logout').addEventListener('click', async () => {
  try { await call('DELETE /api/session'); } catch { /* the cookie may already be gone */ }
  authed = false;
  session = null;
  toast('Signed out');
  goLogin();
});

// ---------- alarms: visible on every page ----------
const alarmsEl = document.getElementById('alarms');
let alarmTimer = 0;
let alarmCtrl = null;
// Labels and severities come from the appliance (GET /api/alarms/kinds; one definition in src/Appliance/Alarms/AlarmKinds.cs).
let alarmKinds = null;

async function loadAlarms() {
  alarmCtrl?.abort();
  alarmCtrl = new AbortController();
  try {
    alarmKinds ??= new Map((await call('GET /api/alarms/kinds', { signal: alarmCtrl.signal })).kinds.map(k => [k.kind, k]));
    const data = await call('GET /api/alarms', { signal: alarmCtrl.signal });
    renderAlarms(data.alarms);
  } catch (e) {
    if (!isAbort(e)) renderAlarms([]);
  }
}

function renderAlarms(alarms) {
  alarmsEl.hidden = alarms.length === 0;
  alarmsEl.replaceChildren(...alarms.map(a => {
    const known = alarmKinds?.get(a.kind);
    const kind = known?.label ?? a.kind;
    const warn = known?.severity === 'warning';
    return h('div', { class: `alarm${warn ? ' warn' : ''}`, role: 'alert', 'data-testid': 'alarm', 'data-kind': a.kind },
      h('span', { class: 'kind' }, icon('bell', { size: 16 }), kind),
      h('span', {}, a.message ?? a.subject ?? ''),
      a.raisedAt ? h('time', { class: 'when', datetime: a.raisedAt, title: fmtAbs(a.raisedAt) }, `raised ${fmtRel(a.raisedAt)}`) : null);
  }));
}

function startAlarms() {
  if (alarmTimer) return;
  loadAlarms();
  alarmTimer = setInterval(loadAlarms, REFRESH_MS);
}
function stopAlarms() {
  clearInterval(alarmTimer);
  alarmTimer = 0;
  alarmCtrl?.abort();
  alarmsEl.hidden = true;
}

window.addEventListener('hashchange', render);
// The skip link must not touch the hash: the hash is the route.
document.querySelector('.skip-link').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
// "/" focuses the page's search box from anywhere (unless the admin is typing).
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  const search = /** @type {HTMLInputElement | null} */ (main.querySelector('input[type="search"]'));
  if (search && !document.querySelector('dialog[open]')) { e.preventDefault(); search.focus(); search.select(); }
});

render();
