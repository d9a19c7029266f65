// @ts-check
/** Creating an open chat: kind, title, description, hashtags, category,
 * who can find it, an entry code, real profiles only, the member limit,
 * and how the host appears. */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { openRoomOf } from './chat.js';

/** @param {string} id @param {string} label @param {HTMLElement} input */
function field(id, label, input) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

/** @param {HTMLElement} main */
export function renderCreate(main) {
  const kind = /** @type {HTMLSelectElement} */ (h('select', {},
    h('option', { value: 'group' }, t('kindGroup')), h('option', { value: 'one_on_one' }, t('kindOneOnOne')),
    h('option', { value: 'profile' }, t('kindProfile'))));
  const title = /** @type {HTMLInputElement} */ (h('input', { maxlength: 29, required: true }));
  const description = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 3, maxlength: 500 }));
  const hashtags = /** @type {HTMLInputElement} */ (h('input', { placeholder: '#등산 #hiking' }));
  const category = /** @type {HTMLSelectElement} */ (h('select', {}));
  const visibility = /** @type {HTMLSelectElement} */ (h('select', {},
    h('option', { value: 'public' }, t('visPublic')), h('option', { value: 'link' }, t('visLink'))));
  const code = /** @type {HTMLInputElement} */ (h('input', { maxlength: 20, autocomplete: 'off' }));
  const realOnly = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox' }));
  const cap = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 2, max: 1500, placeholder: '1500' }));
  const nickname = /** @type {HTMLInputElement} */ (h('input', { maxlength: 20, placeholder: t('nickname') }));
  const hostReal = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox' }));
  const error = h('p', { class: 'form-error', role: 'alert' });
  api.get('/openchats/categories').then((list) => mount(category, list.map((/** @type {string} */ c) => h('option', { value: c }, c))));
  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    const body = {
      kind: kind.value, title: title.value, description: description.value,
      hashtags: hashtags.value.split(/[\s,]+/).filter(Boolean), category: category.value, visibility: visibility.value,
      entry_code: code.value.trim() || undefined, real_profile_only: realOnly.checked,
      member_cap: cap.value ? Number(cap.value) : undefined,
      host: hostReal.checked || realOnly.checked ? { as: 'real_profile' } : { as: 'nickname', nickname: nickname.value },
    };
    try {
      const chat = await api.post('/openchats', body);
      if (chat.mine?.room_id) await openRoomOf(chat.mine.room_id);
      else location.hash = `#/openchat/${chat.id}`;
    } catch (err) { error.textContent = /** @type {Error} */ (err).message; }
  };
  mount(main,
    h('header', { class: 'pane-header' }, h('a', { href: '#/openchat', class: 'icon-button', 'aria-label': t('back') }, '‹'),
      h('h1', {}, t('newOpenChat'))),
    h('form', { class: 'oc-create', onsubmit: submit },
      field('oc-kind', t('openchat'), kind), field('oc-new-title', t('title'), title),
      field('oc-new-description', t('description'), description), field('oc-new-tags', t('hashtags'), hashtags),
      field('oc-new-category', t('category'), category), field('oc-new-visibility', t('visibility'), visibility),
      field('oc-new-code', t('entryCode'), code), field('oc-new-cap', t('memberCap'), cap),
      h('label', { class: 'pick' }, realOnly, t('realOnly')),
      h('h3', {}, t('hostAs')), field('oc-new-nickname', t('nickname'), nickname),
      h('label', { class: 'pick' }, hostReal, t('realProfile')),
      error, h('button', { type: 'submit', class: 'primary wide', id: 'oc-create' }, t('create'))));
}
