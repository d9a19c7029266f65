// @ts-check
/** More: edit my profile and photo, notifications, importing chats, my
 * data, my bots, my devices, language, log out. */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { currentLang, setLang, showError, t } from '../../lib/i18n.js';
import { changed, state } from '../../lib/state.js';
import { avatarOf } from '../../lib/avatar.js';
import { logOut } from '../../app.js';
import { notificationsSection } from './notifications.js';
import { importSection } from './import.js';
import { botsSection } from './bots.js';
import { follow } from '../../lib/exports.js';

/** @param {HTMLElement} main */
export function renderMore(main) {
  const note = h('p', { class: 'note', role: 'status' });
  const photo = h('div', { class: 'photo-slot' });
  const drawPhoto = () => mount(photo, avatarOf(state.me, 'large'));
  const name = h('input', { id: 'p-name', value: state.me.display_name, maxlength: 30, required: true });
  const status = h('input', { id: 'p-status', value: state.me.status_message, maxlength: 60 });
  const birthday = h('input', { id: 'p-birthday', type: 'date', value: state.me.birthday ?? '' });
  const file = /** @type {HTMLInputElement} */ (h('input', { id: 'p-avatar', type: 'file', accept: 'image/*', class: 'visually-hidden' }));
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    try {
      state.me = await api.request('PUT', '/me/avatar', f);
      drawPhoto();
      note.textContent = t('saved');
    } catch (err) { note.textContent = /** @type {Error} */ (err).message; }
  });
  const save = async (/** @type {Event} */ e) => {
    e.preventDefault();
    try {
      state.me = await api.patch('/me', {
        display_name: /** @type {HTMLInputElement} */ (name).value,
        status_message: /** @type {HTMLInputElement} */ (status).value,
        birthday: /** @type {HTMLInputElement} */ (birthday).value,
      });
      note.textContent = t('saved');
    } catch (err) { note.textContent = /** @type {Error} */ (err).message; }
  };
  const devices = h('ul', { class: 'devices' });
  const drawDevices = async () => {
    // A failed load (offline, or the page going away) leaves the list as it was.
    const list = await api.get('/devices').catch(() => null);
    if (!list) return;
    mount(devices, list.map((/** @type {any} */ d) => h('li', {},
      h('span', {}, d.name, d.current ? h('strong', {}, ` · ${t('thisDevice')}`) : null),
      h('span', { class: 'muted' }, t('lastSeen', { time: new Date(d.last_seen_at).toLocaleString() })),
      d.current ? null : h('button', { type: 'button', class: 'small danger', onclick: async () => { await api.del(`/devices/${d.id}`); drawDevices(); } }, t('revoke')))));
  };
  const lang = h('select', { id: 'p-lang', onchange: (/** @type {Event} */ e) => {
    setLang(/** @type {any} */ (/** @type {HTMLSelectElement} */ (e.target).value));
    changed('language');
  } }, h('option', { value: 'ko', selected: currentLang() === 'ko' }, '한국어'), h('option', { value: 'en', selected: currentLang() === 'en' }, 'English'));

  mount(main, h('header', { class: 'pane-header' }, h('h1', {}, t('more'))),
    h('div', { class: 'settings' },
      h('section', { 'aria-label': t('myProfile') }, h('h2', {}, t('myProfile')),
        h('div', { class: 'photo-row' }, photo, h('label', { for: 'p-avatar', class: 'button', tabindex: 0,
          onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); file.click(); } } }, t('changePhoto')), file),
        h('form', { id: 'profile-form', onsubmit: save },
          h('label', { for: 'p-name' }, t('displayName')), name,
          h('label', { for: 'p-status' }, t('statusMessage')), status,
          h('label', { for: 'p-birthday' }, t('birthday')), birthday,
          h('button', { type: 'submit', class: 'primary' }, t('save')), note)),
      notificationsSection(),
      importSection(),
      accountExport(),
      botsSection(),
      h('section', { 'aria-label': t('devices') }, h('h2', {}, t('devices')), devices),
      h('section', { 'aria-label': t('language') }, h('h2', {}, h('label', { for: 'p-lang' }, t('language'))), lang),
      h('section', {}, h('button', { type: 'button', class: 'danger wide', onclick: logOut }, t('logout')))));
  drawPhoto();
  drawDevices();
}

/** More → Download my data: the account export, and its link when ready. */
function accountExport() {
  const slot = h('div', { class: 'export-slot', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const ask = () => {
    error.textContent = '';
    follow(slot, () => api.post('/me/export', {})).catch((err) => showError(error, err));
  };
  return h('section', { 'aria-label': t('exportAccount') }, h('h2', {}, t('exportAccount')),
    h('p', { class: 'muted' }, t('exportAccountHint')),
    h('button', { type: 'button', id: 'export-account', onclick: ask }, t('exportAccountNow')), slot, error);
}
