// @ts-check
/** The Friends tab: at the top the row of friends' Pungs (unseen first),
 * then my profile, add by handle, birthdays today, favourites, everyone
 * else; per friend: chat, favourite, hide, block. */

import { api } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { mergeRoom, remember, state } from '../../lib/state.js';
import { ringRow } from '../pung/feed.js';
import { openRing } from '../pung/pung.js';

/** @param {HTMLElement} main @returns {() => void} */
export function renderFriends(main) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const handle = /** @type {HTMLInputElement} */ (h('input', { id: 'friend-handle', placeholder: t('handle'), autocapitalize: 'none', 'aria-label': t('addByHandle') }));
  const add = async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const f = await api.post('/friends', { handle: handle.value });
      remember(f.profile);
      state.friends = [...state.friends.filter((x) => x.profile.id !== f.profile.id), f];
      handle.value = '';
      draw();
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
    }
  };
  const body = h('div', { class: 'friends' });

  /** @param {any} f */
  const row = (f) => {
    const p = f.profile;
    const menu = h('div', { class: 'friend-actions' },
      h('button', { type: 'button', class: 'primary small', onclick: () => chat(p.id) }, t('chat')),
      h('button', { type: 'button', class: 'small', 'aria-pressed': String(f.favourite), onclick: () => flag(f, { favourite: !f.favourite }) },
        f.favourite ? `★ ${t('unfavourite')}` : `☆ ${t('favourite')}`),
      h('button', { type: 'button', class: 'small', onclick: () => flag(f, { hidden: true }) }, t('hide')),
      h('button', { type: 'button', class: 'small danger', onclick: () => block(p.id) }, t('block')));
    return h('li', { class: 'friend' },
      h('details', {},
        h('summary', { dataset: { user: p.id } }, avatarOf(p),
          h('span', { class: 'friend-main' }, h('span', { class: 'friend-name' }, p.display_name),
            p.status_message ? h('span', { class: 'status' }, p.status_message) : null)),
        menu));
  };

  const draw = () => {
    const me = state.me;
    const visible = state.friends.filter((f) => !f.hidden);
    const favourites = visible.filter((f) => f.favourite);
    mount(body,
      h('section', { class: 'me-card', 'aria-label': t('myProfile') },
        avatarOf(me, 'large'),
        h('div', {}, h('h2', { class: 'my-name' }, me.display_name),
          h('p', { class: 'status' }, me.status_message || '—'))),
      h('form', { class: 'add-friend', onsubmit: add }, handle, h('button', { type: 'submit', class: 'primary' }, t('add')), error),
      state.birthdays.length ? h('section', { 'aria-label': t('birthdays') }, h('h3', {}, `🎂 ${t('birthdays')}`),
        h('ul', { class: 'friend-list' }, state.birthdays.map((p) => row({ profile: p, favourite: false, hidden: false })))) : null,
      favourites.length ? h('section', { 'aria-label': t('favourites') }, h('h3', {}, `${t('favourites')} ${favourites.length}`),
        h('ul', { class: 'friend-list' }, favourites.map(row))) : null,
      h('section', { 'aria-label': t('allFriends') }, h('h3', {}, `${t('allFriends')} ${visible.length}`),
        visible.length ? h('ul', { class: 'friend-list' }, visible.map(row)) : h('p', { class: 'empty small' }, t('noFriends'))));
  };

  /** @param {any} f @param {any} change */
  async function flag(f, change) {
    const fresh = await api.patch(`/friends/${f.profile.id}`, change);
    state.friends = state.friends.map((x) => (x.profile.id === fresh.profile.id ? fresh : x));
    draw();
  }

  /** @param {number} id */
  async function block(id) {
    await api.post('/blocks', { user_id: id });
    state.friends = state.friends.filter((x) => x.profile.id !== id);
    draw();
  }

  /** @param {number} id */
  async function chat(id) {
    const room = await api.post('/rooms/direct', { user_id: id });
    mergeRoom(room);
    location.hash = `#/chats/${room.id}`;
  }

  const rings = ringRow(openRing);
  mount(main, h('header', { class: 'pane-header' }, h('h1', {}, t('friends'))), rings.el, body);
  draw();
  return rings.stop;
}
