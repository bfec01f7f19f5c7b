// Users (admins only): who may sign in and with which role. Create a local user with a first
// password; change a role, disable, reset a lost TOTP factor or delete. The built-in admin keeps
// its role. Directory users appear after their first sign-in; their role follows their groups.

import { call, isAbort } from '../api.js';
import { h, icon, fmtAbs, toast, confirmDialog, setTitle } from '../ui.js';

const ROLES = ['viewer', 'operator', 'admin'];

export function mount(root) {
  setTitle('Users');
  let ctrl = null;
  const tbody = h('tbody', { 'data-testid': 'user-rows' });
  const errorEl = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'users-error' });
  const name = h('input', { type: 'text', id: 'new-user-name', required: true, autocomplete: 'off', 'data-testid': 'new-user-name' });
  const role = h('select', { id: 'new-user-role', 'data-testid': 'new-user-role' }, ROLES.map(r => h('option', { value: r }, r)));
  const password = h('input', { type: 'password', id: 'new-user-password', required: true, autocomplete: 'new-password', minlength: '12', 'data-testid': 'new-user-password' });
  const form = h('form', { class: 'panel form-grid', 'data-testid': 'new-user-form', 'aria-label': 'New user' },
    h('div', { class: 'field' }, h('label', { for: 'new-user-name' }, 'Username'), name),
    h('div', { class: 'field' }, h('label', { for: 'new-user-role' }, 'Role'), role),
    h('div', { class: 'field' }, h('label', { for: 'new-user-password' }, 'First password'), password,
      h('span', { class: 'hint' }, 'At least 12 characters; the user can change it.')),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-user' }, icon('plus', { size: 16 }), 'Create user')));

  root.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'titles' }, h('h1', {}, 'Users'), h('div', { class: 'sub' }, 'Who may sign in, and what each role may do'))),
    form,
    h('section', { class: 'panel', 'aria-label': 'Users' }, errorEl,
      h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'data-testid': 'users-table' },
        h('thead', {}, h('tr', {}, ['Username', 'Role', 'Source', 'Second factor', 'State', 'Created'].map(t => h('th', { scope: 'col' }, t)),
          h('th', { scope: 'col', class: 'num' }, h('span', { class: 'sr-only' }, 'Actions')))),
        tbody))));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errorEl.textContent = '';
    try {
      await call('POST /api/users', { body: { username: name.value.trim(), role: role.value, password: password.value } });
      toast(`User ${name.value.trim()} created`);
      name.value = '';
      password.value = '';
      load();
    } catch (err) {
      errorEl.textContent = err.message;
    }
  });

  async function change(user, body, message) {
    try {
      await call('PATCH /api/users/{id}', { path: { id: user.id }, body });
      toast(message);
    } catch (err) {
      errorEl.textContent = err.message;
    }
    load();
  }

  function row(u) {
    const builtIn = u.username === 'admin' && u.source === 'local';
    const roleSelect = h('select', { 'aria-label': `Role of ${u.username}`, 'data-testid': 'user-role', disabled: builtIn || u.source !== 'local' },
      ROLES.map(r => h('option', { value: r, selected: r === u.role }, r)));
    roleSelect.addEventListener('change', () => change(u, { role: roleSelect.value }, `${u.username} is now ${roleSelect.value}`));
    return h('tr', { 'data-testid': 'user-row', 'data-username': u.username },
      h('td', {}, h('strong', {}, u.username)),
      h('td', {}, roleSelect),
      h('td', {}, u.source),
      h('td', {}, u.totpEnabled ? 'TOTP' : 'none'),
      h('td', {}, u.disabled ? 'disabled' : 'active'),
      h('td', {}, h('time', { datetime: u.createdAt, title: fmtAbs(u.createdAt) }, fmtAbs(u.createdAt))),
      h('td', { class: 'num' }, h('div', { class: 'row-actions' },
        u.totpEnabled ? h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'user-reset-totp', onclick: () => change(u, { resetTotp: true }, `${u.username}'s second factor was reset`) }, 'Reset TOTP') : null,
        builtIn ? null : h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'user-toggle', onclick: () => change(u, { disabled: !u.disabled }, `${u.username} ${u.disabled ? 'enabled' : 'disabled'}`) }, u.disabled ? 'Enable' : 'Disable'),
        builtIn ? null : h('button', { type: 'button', class: 'btn btn-sm btn-danger', 'data-testid': 'user-delete', onclick: () => remove(u) }, icon('trash', { size: 14 }), 'Delete'))));
  }

  async function remove(u) {
    if (!await confirmDialog({ title: `Delete ${u.username}?`, message: 'Their sessions and API tokens stop working at once.', confirmLabel: 'Delete user', danger: true })) return;
    try {
      await call('DELETE /api/users/{id}', { path: { id: u.id } });
      toast(`${u.username} deleted`);
    } catch (err) {
      errorEl.textContent = err.message;
    }
    load();
  }

  async function load() {
    ctrl?.abort();
    const c = ctrl = new AbortController();
    try {
      tbody.replaceChildren(...(await call('GET /api/users', { signal: c.signal })).users.map(row));
    } catch (err) {
      if (!isAbort(err)) errorEl.textContent = `Could not load users: ${err.message}`;
    }
  }

  load();
  return { unmount: () => ctrl?.abort() };
}
