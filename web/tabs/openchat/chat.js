// @ts-check
/**
 * One open chat: what it is about, its host (as they appear), members,
 * and the join flow: a nickname (with a generated picture) or the real
 * profile, and the entry code when there is one; for a subscription room,
 * its tiers and paying first. Joined, it opens the room in the Chats tab.
 */

import { api } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, mount } from '../../lib/dom.js';
import { money, showError, t } from '../../lib/i18n.js';
import { changed, mergeRoom } from '../../lib/state.js';

/** Opens the caller's room of an open chat in the Chats tab. @param {number} roomId */
export async function openRoomOf(roomId) {
  const room = await api.get(`/rooms/${roomId}`);
  mergeRoom(room);
  changed('rooms');
  location.hash = `#/chats/${room.id}`;
}

/** @param {HTMLElement} main @param {{id?: number, code?: string}} which */
export function renderOpenChat(main, which) {
  const body = h('div', { class: 'oc-detail' });
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/openchat', class: 'icon-button', 'aria-label': t('back') }, '‹'), h('h1', {}, t('openchat'))), body);
  const path = which.code ? `/openchats/links/${encodeURIComponent(which.code)}` : `/openchats/${which.id}`;
  api.get(path).then((chat) => draw(body, chat, which.code)).catch((err) =>
    mount(body, h('p', { class: 'form-error', role: 'alert' }, err.message)));
}

/** @param {HTMLElement} body @param {any} chat @param {string | undefined} code */
function draw(body, chat, code) {
  const kind = { group: t('kindGroup'), one_on_one: t('kindOneOnOne'), profile: t('kindProfile') }[/** @type {'group'} */ (chat.kind)];
  const full = chat.member_count >= chat.member_cap;
  const link = chat.link_code ? `${location.origin}/#/openchat/link/${chat.link_code}` : null;
  mount(body,
    h('section', { class: 'oc-hero' },
      chat.cover ? h('img', { class: 'oc-hero-cover', src: api.mediaUrl(`${chat.cover}.thumb`), alt: '' }) : null,
      h('div', { class: 'oc-hero-title' }, h('h2', { id: 'oc-title' }, chat.title),
        h('span', { class: 'muted' }, `${kind} · 👤 ${chat.member_count}/${chat.member_cap}`)),
      chat.description ? h('p', { class: 'oc-description' }, chat.description) : null,
      h('p', { class: 'oc-tags' }, chat.hashtags.map((/** @type {string} */ x) => `#${x}`).join(' ')),
      h('p', { class: 'oc-host' }, avatarOf(chat.host, 'small'), t('hostedBy', { name: chat.host.nickname })),
      h('p', { class: 'oc-flags' },
        chat.has_entry_code ? h('span', { class: 'chip' }, `🔒 ${t('codeRequired')}`) : null,
        chat.real_profile_only ? h('span', { class: 'chip' }, t('realOnly')) : null,
        chat.subscription_required ? h('span', { class: 'chip' }, `💳 ${t('subscribersOnly')}`) : null,
        chat.closed ? h('span', { class: 'chip' }, t('closed')) : null),
      link ? h('p', { class: 'oc-link' }, h('span', { class: 'muted' }, `${t('link')}: `), h('code', {}, link),
        h('button', { type: 'button', class: 'small', onclick: () => navigator.clipboard?.writeText(link) }, t('copyLink'))) : null),
    chat.mine
      ? (chat.mine.room_id
        ? h('button', { type: 'button', class: 'primary wide', id: 'oc-open', onclick: () => openRoomOf(chat.mine.room_id) }, t('openRoom'))
        : h('a', { href: '#/chats', class: 'button primary wide' }, t('chats')))
      : chat.closed ? null : full ? h('p', { class: 'empty small' }, t('full'))
        : chat.subscription_required ? subscribeFirst(chat, code) : joinForm(chat, code));
}

/** A subscription room: its tiers and paying, then the join form. @param {any} chat @param {string | undefined} code */
function subscribeFirst(chat, code) {
  const box = h('section', { class: 'oc-subscribe', 'aria-label': t('subscriptions') });
  const link = code ? `?link=${encodeURIComponent(code)}` : '';
  const draw = async () => {
    const tiers = await api.get(`/openchats/${chat.id}/tiers${link}`);
    if (tiers.mine?.active) {
      mount(box, h('p', { class: 'muted', id: 'oc-subscribed' },
        t('subscribed', { date: new Date(tiers.mine.period_end).toLocaleDateString() }), tiers.mine.renews ? ` · ${t('renews')}` : ''),
      joinForm(chat, code));
      return;
    }
    const card = /** @type {HTMLSelectElement} */ (h('select', { id: 'oc-card', 'aria-label': t('testCard') },
      h('option', { value: 'pm_test_ok' }, t('cardOk')), h('option', { value: 'pm_test_declined' }, t('cardDeclined'))));
    const error = h('p', { class: 'form-error', role: 'alert' });
    mount(box, h('h3', {}, t('tiers')),
      h('ul', { class: 'tier-list' }, tiers.tiers.map((/** @type {any} */ x) => h('li', { dataset: { tier: x.id } },
        h('span', { class: 'tier-name' }, x.name),
        h('span', { class: 'muted' }, `${money(x.price, x.currency)} · ${t('perDays', { n: x.period_days })}`),
        x.description ? h('span', { class: 'small-print' }, x.description) : null,
        h('button', { type: 'button', class: 'primary small', dataset: { subscribe: x.id }, onclick: async () => {
          error.textContent = '';
          try {
            await api.post(`/openchats/${chat.id}/subscription${link}`, { tier_id: x.id, payment_method: card.value });
            await draw();
          } catch (err) {
            showError(error, err);
          }
        } }, t('subscribe'))))),
      h('label', { class: 'muted' }, `${t('testCard')} `, card),
      h('p', { class: 'muted small-print' }, t('testProviderNote')), error);
  };
  draw().catch((err) => mount(box, h('p', { class: 'form-error', role: 'alert' }, err.message)));
  return box;
}

/** @param {any} chat @param {string | undefined} code */
function joinForm(chat, code) {
  let asReal = chat.real_profile_only;
  const nickname = /** @type {HTMLInputElement} */ (h('input', { id: 'oc-nickname', maxlength: 20, placeholder: t('nickname'), 'aria-label': t('nickname') }));
  const entry = /** @type {HTMLInputElement} */ (h('input', { id: 'oc-code', placeholder: t('entryCode'), 'aria-label': t('entryCode'), autocomplete: 'off' }));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const choice = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('joinAs') });
  const note = h('p', { class: 'muted small-print' });
  const drawChoice = () => {
    mount(choice,
      chat.real_profile_only ? null : h('button', { type: 'button', role: 'radio', class: asReal ? '' : 'on', 'aria-checked': String(!asReal),
        dataset: { as: 'nickname' }, onclick: () => { asReal = false; drawChoice(); } }, t('nickname')),
      h('button', { type: 'button', role: 'radio', class: asReal ? 'on' : '', 'aria-checked': String(asReal),
        dataset: { as: 'real' }, onclick: () => { asReal = true; drawChoice(); } }, t('realProfile')));
    nickname.hidden = asReal;
    note.textContent = asReal ? '' : t('nicknameNote');
  };
  drawChoice();
  return h('form', { class: 'oc-join', onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    const profile = asReal ? { as: 'real_profile' } : { as: 'nickname', nickname: nickname.value };
    const body = { profile, entry_code: chat.has_entry_code ? entry.value : undefined };
    const path = code ? `/openchats/links/${encodeURIComponent(code)}/join` : `/openchats/${chat.id}/join`;
    try {
      const joined = await api.post(path, body);
      if (joined.mine?.room_id) await openRoomOf(joined.mine.room_id);
    } catch (err) {
      showError(error, err);
    }
  } },
  h('h3', {}, t('joinAs')), choice, nickname, note,
  chat.has_entry_code ? entry : null,
  error, h('button', { type: 'submit', class: 'primary wide', id: 'oc-join' }, t('join')));
}
