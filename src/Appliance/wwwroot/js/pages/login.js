// Login with the admin secret. The daemon sets an HttpOnly session cookie; we never see it.
// Wrong secret: 401. Too many failures: 429 TOO_MANY_ATTEMPTS with Retry-After, shown as a
// countdown with the button held until it runs out.

import { api } from '../api.js';
import { h, icon, setTitle } from '../ui.js';

export function mount(root, ctx) {
  setTitle('Sign in');
  let timer = 0;
  const secret = h('input', { type: 'password', id: 'login-secret', name: 'secret', autocomplete: 'current-password', required: true, 'data-testid': 'login-secret', 'aria-describedby': 'login-help' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit' }, 'Sign in');
  const error = h('div', { 'data-testid': 'login-error', role: 'alert', 'aria-live': 'assertive' });

  const form = h('form', { class: 'panel login-card', novalidate: true, 'data-testid': 'login-form' },
    h('div', { class: 'logo' }, icon('radar', { size: 34 }), h('div', {},
      h('h1', {}, 'Sign in to Outpost'),
      h('p', { class: 'muted small' }, location.host))),
    h('div', { class: 'field' },
      h('label', { for: 'login-secret' }, 'Admin secret'),
      secret,
      h('span', { class: 'hint', id: 'login-help' }, 'Set at install time; stored in /var/lib/outpost/admin-token.')),
    error,
    submit,
    h('p', { class: 'login-foot' }, icon('lock', { size: 13 }), ' Your session is kept in an HttpOnly cookie on this browser only.'));

  function showError(text, tone = '') {
    error.replaceChildren(text ? h('div', { class: `login-error ${tone}` }, icon(tone === 'warn' ? 'clock' : 'alert', { size: 18 }), h('span', {}, text)) : '');
  }

  function lockout(seconds) {
    clearInterval(timer);
    let left = seconds ?? 60;
    submit.disabled = true;
    const fmt = (n) => (n >= 60 ? `${Math.floor(n / 60)} min ${String(n % 60).padStart(2, '0')} s` : `${n} s`);
    const paint = () => showError(`Too many failed attempts. Sign-in is locked for ${fmt(left)}.`, 'warn');
    paint();
    timer = setInterval(() => {
      left -= 1;
      if (left <= 0) { clearInterval(timer); submit.disabled = false; showError('You can try again now.', 'warn'); secret.focus(); return; }
      paint();
    }, 1000);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!secret.value) { showError('Enter the admin secret.'); secret.focus(); return; }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await api('/api/session', { method: 'POST', body: { secret: secret.value } });
      secret.value = '';
      ctx.onLoggedIn?.();
      const next = ctx.params.get('next');
      location.hash = `#/${next && /^[a-z]+$/.test(next) && next !== 'login' ? next : 'jobs'}`;
    } catch (err) {
      submit.textContent = 'Sign in';
      if (err.status === 429) { lockout(err.retryAfter); return; }
      submit.disabled = false;
      secret.setAttribute('aria-invalid', 'true');
      showError(err.status === 401 ? 'Wrong admin secret. Check it and try again.' : (err.message || 'Sign-in failed.'));
      secret.select();
    }
  });
  secret.addEventListener('input', () => secret.removeAttribute('aria-invalid'));

  root.append(h('div', { class: 'login-wrap' }, form));
  secret.focus();
  return { unmount: () => clearInterval(timer) };
}
