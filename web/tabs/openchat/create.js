// @ts-check
/** Creating an open chat (kind, title, description, hashtags, category,
 * cover, who can find it, an entry code, real profiles only, the member
 * limit, how the host appears) and the host's settings sheet, which edits
 * the same fields of one that exists. */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { openChatCategory, showError, t } from '../../lib/i18n.js';
import { openRoomOf } from './chat.js';

/** @param {string} id @param {string} label @param {HTMLElement} input */
function field(id, label, input) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

/** A cover picker: the current cover's thumbnail, a file to upload, and
 * (editing) removing it. @param {string | null} current */
function coverPicker(current) {
  let removed = false;
  const preview = /** @type {HTMLImageElement} */ (h('img', { class: 'oc-cover-preview', alt: '', hidden: !current,
    src: current ? api.mediaUrl(`${current}.thumb`) : undefined }));
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', accept: 'image/*', id: 'oc-new-cover' }));
  const remove = current ? h('button', { type: 'button', class: 'small', id: 'oc-cover-remove', onclick: () => {
    removed = true;
    preview.hidden = true;
    file.value = '';
  } }, t('removeCover')) : null;
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    removed = false;
    preview.src = URL.createObjectURL(f);
    preview.hidden = false;
  });
  return {
    node: h('div', { class: 'field' }, h('label', { for: 'oc-new-cover' }, t('cover')), h('div', { class: 'oc-cover-pick' }, preview, file, remove)),
    /** The cover to send: a new upload's id, `''` to remove, undefined to keep. */
    async value() {
      const f = file.files?.[0];
      if (f) return (await api.request('POST', `/media?name=${encodeURIComponent(f.name)}`, f)).media_id;
      return removed ? '' : undefined;
    },
  };
}

/** The fields a host sets, filled from `chat` when editing one.
 * @param {any} [chat] */
function chatFields(chat) {
  const title = /** @type {HTMLInputElement} */ (h('input', { maxlength: 29, required: true, value: chat?.title ?? '' }));
  const description = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 3, maxlength: 500 }));
  description.value = chat?.description ?? '';
  const hashtags = /** @type {HTMLInputElement} */ (h('input', { placeholder: '#등산 #hiking',
    value: (chat?.hashtags ?? []).map((/** @type {string} */ x) => `#${x}`).join(' ') }));
  const category = /** @type {HTMLSelectElement} */ (h('select', {}));
  const visibility = /** @type {HTMLSelectElement} */ (h('select', {},
    h('option', { value: 'public' }, t('visPublic')), h('option', { value: 'link' }, t('visLink'))));
  visibility.value = chat?.visibility ?? 'public';
  const code = /** @type {HTMLInputElement} */ (h('input', { maxlength: 20, autocomplete: 'off',
    placeholder: chat?.has_entry_code ? t('entryCodeKeep') : '' }));
  const clearCode = chat?.has_entry_code ? /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'oc-code-clear' })) : null;
  const realOnly = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: Boolean(chat?.real_profile_only) }));
  // The host's choice, once the chat exists: bots may join, or not.
  const botsOut = chat ? /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'oc-bots-out', checked: chat.bots_allowed === false })) : null;
  const cap = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 2, max: 1500, placeholder: '1500',
    value: chat ? String(chat.member_cap) : '' }));
  const cover = coverPicker(chat?.cover ?? null);
  api.get('/openchats/categories').then((list) => {
    mount(category, list.map((/** @type {string} */ c) => h('option', { value: c }, openChatCategory(c))));
    if (chat) category.value = chat.category;
  }).catch(() => {});
  return {
    realOnly,
    nodes: [
      field('oc-new-title', t('title'), title), field('oc-new-description', t('description'), description),
      field('oc-new-tags', t('hashtags'), hashtags), field('oc-new-category', t('category'), category), cover.node,
      field('oc-new-visibility', t('visibility'), visibility), field('oc-new-code', t('entryCode'), code),
      clearCode ? h('label', { class: 'pick' }, clearCode, t('entryCodeRemove')) : null,
      field('oc-new-cap', t('memberCap'), cap), h('label', { class: 'pick' }, realOnly, t('realOnly')),
      botsOut ? h('label', { class: 'pick' }, botsOut, t('keepBotsOut')) : null,
    ],
    /** What the fields say, as the API takes it (the cover uploaded). */
    async values() {
      return {
        title: title.value, description: description.value,
        hashtags: hashtags.value.split(/[\s,]+/).filter(Boolean), category: category.value || chat?.category, visibility: visibility.value,
        entry_code: clearCode?.checked ? '' : code.value.trim() || undefined, real_profile_only: realOnly.checked,
        member_cap: cap.value ? Number(cap.value) : undefined, cover: await cover.value(),
        ...(botsOut ? { bots_allowed: !botsOut.checked } : {}),
      };
    },
  };
}

/** @param {HTMLElement} main */
export function renderCreate(main) {
  const kind = /** @type {HTMLSelectElement} */ (h('select', {},
    h('option', { value: 'group' }, t('kindGroup')), h('option', { value: 'one_on_one' }, t('kindOneOnOne')),
    h('option', { value: 'profile' }, t('kindProfile'))));
  const fields = chatFields();
  const nickname = /** @type {HTMLInputElement} */ (h('input', { maxlength: 20, placeholder: t('nickname') }));
  const hostReal = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox' }));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const body = {
        kind: kind.value, ...await fields.values(),
        host: hostReal.checked || fields.realOnly.checked ? { as: 'real_profile' } : { as: 'nickname', nickname: nickname.value },
      };
      const chat = await api.post('/openchats', body);
      if (chat.mine?.room_id) await openRoomOf(chat.mine.room_id);
      else location.hash = `#/openchat/${chat.id}`;
    } catch (err) { showError(error, err); }
  };
  mount(main,
    h('header', { class: 'pane-header' }, h('a', { href: '#/openchat', class: 'icon-button', 'aria-label': t('back') }, '‹'),
      h('h1', {}, t('newOpenChat'))),
    h('form', { class: 'oc-create', onsubmit: submit },
      field('oc-kind', t('openchat'), kind), ...fields.nodes,
      h('h3', {}, t('hostAs')), field('oc-new-nickname', t('nickname'), nickname),
      h('label', { class: 'pick' }, hostReal, t('realProfile')),
      error, h('button', { type: 'submit', class: 'primary wide', id: 'oc-create' }, t('create'))));
}

/** The host's settings sheet for an open chat. @param {number} id @param {(chat: any) => void} [onSaved] */
export async function settingsSheet(id, onSaved) {
  const chat = await api.get(`/openchats/${id}`);
  const fields = chatFields(chat);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet oc-settings', 'aria-label': t('chatSettings') }));
  const form = h('form', { class: 'oc-create', onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const saved = await api.patch(`/openchats/${id}`, await fields.values());
      dialog.close();
      onSaved?.(saved);
    } catch (err) { showError(error, err); }
  } }, ...fields.nodes, error,
  h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => dialog.close() }, t('cancel')),
    h('button', { type: 'submit', class: 'primary', id: 'oc-settings-save' }, t('save'))));
  dialog.append(h('h2', {}, t('chatSettings')), form);
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}
