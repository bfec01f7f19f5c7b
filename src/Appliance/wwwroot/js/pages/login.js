// Sign-in: username and password (and a code from the authenticator app when the user has a second
// factor), or the admin secret for the built-in admin. The daemon sets an HttpOnly session cookie;
// we never see it. Wrong credentials: 401. A second factor needed: 401 TOTP_REQUIRED, and the code
// field appears. Too many failures: 429 TOO_MANY_ATTEMPTS with Retry-After, shown as a countdown
// with the button held until it runs out.

import { call } from '../api.js';
import { h, icon, setTitle } from '../ui.js';

export function mount(root, ctx) {
  setTitle('Sign in');
  let timer = 0;
  let useSecret = false;
  const username = h('input', { type: 'text', id: 'login-username', name: 'username', autocomplete: 'username', required: true, 'data-testid': 'login-username' });
  const password = h('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const code = h('input', { type: 'text', id: 'login-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', 'data-testid': 'login-code' });
  const secret = h('input', { type: 'password', id: 'login-secret', name: 'secret', autocomplete: 'current-password', required: true, 'data-testid': 'login-secret', 'aria-describedby': 'login-help' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit' }, 'Sign in');
  const error = h('div', { 'data-testid': 'login-error', role: 'alert', 'aria-live': 'assertive' });
  const userFields = h('div', {},
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'Username'), username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), password));
  const codeField = h('div', { class: 'field', hidden: true }, h('label', { for: 'login-code' }, 'Code from your authenticator app'), code);
  const secretField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'login-secret' }, 'Admin secret'),
    secret,
    h('span', { class: 'hint', id: 'login-help' }, 'Set at install time; stored in /var/lib/outpost/admin-token.'));
  const mode = h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-testid': 'login-mode' }, 'Use the admin secret instead');

  const form = h('form', { class: 'panel login-card', novalidate: true, 'data-testid': 'login-form' },
    h('div', { class: 'logo' }, icon('radar', { size: 34 }), h('div', {},
      h('h1', {}, 'Sign in to Outpost'),
      h('p', { class: 'muted small' }, location.host))),
    userFields, codeField, secretField,
    error,
    submit,
    mode,
    h('p', { class: 'login-foot' }, icon('lock', { size: 13 }), ' Your session is kept in an HttpOnly cookie on this browser only.'));

  function showError(text, tone = '') {
    error.replaceChildren(text ? h('div', { class: `login-error ${tone}` }, icon(tone === 'warn' ? 'clock' : 'alert', { size: 18 }), h('span', {}, text)) : '');
  }

  function setMode(secretMode) {
    useSecret = secretMode;
    userFields.hidden = secretMode;
    codeField.hidden = true;
    secretField.hidden = !secretMode;
    mode.textContent = secretMode ? 'Sign in with a username instead' : 'Use the admin secret instead';
    showError('');
    (secretMode ? secret : username).focus();
  }
  mode.addEventListener('click', () => setMode(!useSecret));

  function lockout(seconds) {
    clearInterval(timer);
    let left = seconds ?? 60;
    submit.disabled = true;
    const fmt = (n) => (n >= 60 ? `${Math.floor(n / 60)} min ${String(n % 60).padStart(2, '0')} s` : `${n} s`);
    const paint = () => showError(`Too many failed attempts. Sign-in is locked for ${fmt(left)}.`, 'warn');
    paint();
    timer = setInterval(() => {
      left -= 1;
      if (left <= 0) { clearInterval(timer); submit.disabled = false; showError('You can try again now.', 'warn'); (useSecret ? secret : password).focus(); return; }
      paint();
    }, 1000);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const field = useSecret ? secret : (username.value ? password : username);
    if (useSecret ? !secret.value : (!username.value || !password.value)) {
      showError(useSecret ? 'Enter the admin secret.' : 'Enter your username and password.');
      field.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const body = useSecret ? { secret: secret.value } : { username: username.value.trim(), password: password.value, code: code.value.trim() || null };
      await call('POST /api/session', { body });
      secret.value = '';
      password.value = '';
      code.value = '';
      await ctx.onLoggedIn?.();
      const next = ctx.params.get('next');
      location.hash = `#/${next && /^[a-z]+$/.test(next) && next !== 'login' ? next : 'jobs'}`;
    } catch (err) {
      submit.textContent = 'Sign in';
      if (err.status === 429) { lockout(err.retryAfter); return; }
      submit.disabled = false;
      if (err.code === 'TOTP_REQUIRED') {
        codeField.hidden = false;
        showError('Enter the code from your authenticator app.', 'warn');
        code.focus();
        return;
      }
      const bad = useSecret ? secret : password;
      bad.setAttribute('aria-invalid', 'true');
      showError(err.status === 401
        ? (useSecret ? 'Wrong admin secret. Check it and try again.' : 'Wrong username, password or code. Check them and try again.')
        : (err.message || 'Sign-in failed.'));
      bad.select();
    }
  });
  for (const input of [secret, password]) input.addEventListener('input', () => input.removeAttribute('aria-invalid'));

  root.append(h('div', { class: 'login-wrap' }, form));
  username.focus();
  return { unmount: () => clearInterval(timer) };
}
