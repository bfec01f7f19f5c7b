// Account: the signed-in user's own password, personal API tokens (shown once) and TOTP second
// factor. After a first sign-in with the admin secret the shell sends the built-in admin here
// until it has set a password (ctx.mustSetPassword).

import { call, isAbort } from '../api.js';
import { h, icon, fmtAbs, toast, copyButton, setTitle } from '../ui.js';

export function mount(root, ctx) {
  setTitle('Account');
  const session = ctx.session ?? {};
  let ctrl = null;

  // ---- password ----
  const current = h('input', { type: 'password', id: 'current-password', autocomplete: 'current-password', 'data-testid': 'current-password' });
  const next = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password', minlength: '12', required: true, 'data-testid': 'new-password' });
  const pwError = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'password-error' });
  const pwForm = h('form', { class: 'panel form-grid', 'data-testid': 'password-form', 'aria-label': 'Password' },
    session.mustSetPassword
      ? h('p', { class: 'note warn', 'data-testid': 'must-set-password' }, icon('info', { size: 18 }), 'You signed in with the admin secret. Set a password for the admin user before you go on.')
      : h('div', { class: 'field' }, h('label', { for: 'current-password' }, 'Current password'), current),
    h('div', { class: 'field' }, h('label', { for: 'new-password' }, 'New password'), next, h('span', { class: 'hint' }, 'At least 12 characters.')),
    pwError,
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'set-password' }, 'Set password')));
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    pwError.textContent = '';
    try {
      await call('PUT /api/account/password', { body: { currentPassword: current.value || null, password: next.value } });
      current.value = '';
      next.value = '';
      toast('Password set');
      ctx.onPasswordSet?.();
    } catch (err) {
      pwError.textContent = err.message;
    }
  });

  // ---- tokens ----
  const tokenName = h('input', { type: 'text', id: 'token-name', required: true, 'data-testid': 'token-name', autocomplete: 'off' });
  const tokenRows = h('tbody', { 'data-testid': 'token-rows' });
  const shown = h('div', { 'data-testid': 'new-token-box', 'aria-live': 'polite' });
  const tokenError = h('div', { class: 'form-error', role: 'alert' });
  const tokenForm = h('form', { class: 'row' },
    h('label', { for: 'token-name' }, 'Token name'), tokenName,
    h('button', { type: 'submit', class: 'btn', 'data-testid': 'create-token' }, icon('key', { size: 15 }), 'Create token'));
  tokenForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const t = await call('POST /api/tokens', { body: { name: tokenName.value.trim() } });
      tokenName.value = '';
      shown.replaceChildren(h('p', {}, 'Copy the token now: it is not shown again.'),
        h('div', { class: 'secret' }, h('code', { 'data-testid': 'new-token' }, t.token), copyButton(() => t.token, { testid: 'copy-token' })));
      loadTokens();
    } catch (err) {
      tokenError.textContent = err.message;
    }
  });

  async function loadTokens() {
    ctrl?.abort();
    const c = ctrl = new AbortController();
    try {
      tokenRows.replaceChildren(...(await call('GET /api/tokens', { signal: c.signal })).tokens.map(t => h('tr', { 'data-testid': 'token-row' },
        h('td', {}, t.name), h('td', {}, fmtAbs(t.createdAt)),
        h('td', { class: 'num' }, h('button', { type: 'button', class: 'btn btn-sm btn-danger', 'data-testid': 'revoke-token', onclick: () => revoke(t) }, 'Revoke')))));
    } catch (err) {
      if (!isAbort(err)) tokenError.textContent = err.message;
    }
  }

  async function revoke(t) {
    try {
      await call('DELETE /api/tokens/{id}', { path: { id: t.id } });
      toast(`Token ${t.name} revoked`);
    } catch (err) {
      tokenError.textContent = err.message;
    }
    loadTokens();
  }

  // ---- TOTP ----
  const totpBox = h('div', { 'data-testid': 'totp-box' });
  const code = h('input', { type: 'text', id: 'totp-code', inputmode: 'numeric', autocomplete: 'one-time-code', 'data-testid': 'totp-confirm-code' });
  function paintTotp(enabled) {
    totpBox.replaceChildren(enabled
      ? h('p', { 'data-testid': 'totp-on' }, 'A second factor is on: sign-in asks for a code from your authenticator app.')
      : h('button', { type: 'button', class: 'btn', 'data-testid': 'totp-enrol', onclick: enrol }, 'Set up a second factor'));
  }
  async function enrol() {
    try {
      const t = await call('POST /api/account/totp');
      const err = h('div', { class: 'form-error', role: 'alert' });
      const confirmForm = h('form', { class: 'row' }, h('label', { for: 'totp-code' }, 'Code from the app'), code,
        h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'totp-confirm' }, 'Turn on'));
      confirmForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await call('POST /api/account/totp/confirm', { body: { code: code.value.trim() } });
          toast('Second factor on');
          paintTotp(true);
        } catch (ex) {
          err.textContent = ex.message;
        }
      });
      totpBox.replaceChildren(
        h('p', {}, 'Add this key to an authenticator app (or open the link on the phone), then enter the code it shows.'),
        h('div', { class: 'secret' }, h('code', { 'data-testid': 'totp-secret' }, t.secret), copyButton(() => t.secret, { testid: 'copy-totp' })),
        h('p', { class: 'small' }, h('a', { href: t.uri, 'data-testid': 'totp-uri' }, 'otpauth link')),
        confirmForm, err);
    } catch (ex) {
      totpBox.append(h('div', { class: 'form-error', role: 'alert' }, ex.message));
    }
  }
  paintTotp(session.totpEnabled);

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Account'), h('div', { class: 'sub' }, `Signed in as ${session.username ?? ''} (${session.role ?? ''})`))),
    h('h2', {}, 'Password'), pwForm);
  if (!session.mustSetPassword) {
    root.append(
      h('h2', {}, 'Personal API tokens'),
      h('section', { class: 'panel', 'aria-label': 'Personal API tokens' },
        h('p', { class: 'muted small' }, 'For automation: send Authorization: Bearer <token>. A token acts with your role.'),
        tokenForm, shown, tokenError,
        h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col', class: 'num' }, h('span', { class: 'sr-only' }, 'Actions')))),
          tokenRows))),
      h('h2', {}, 'Second factor'),
      h('section', { class: 'panel', 'aria-label': 'Second factor' }, totpBox));
    loadTokens();
  }
  (session.mustSetPassword ? next : current).focus();
  return { unmount: () => ctrl?.abort() };
}
