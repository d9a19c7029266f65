// @ts-check
/** The chat list (unread badges, last message) beside the open room; on a
 * phone only one of the two shows. Also the new-group dialog. */

import { api } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, initials, mount, timeOf, tint } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { changed, mergeRoom, sortedRooms, state, subscribe } from '../../lib/state.js';
import { openRoom } from './room.js';

/** A 1:1 room shows the other person; a group, a group mark on its own colour.
 * @param {any} room */
function roomAvatar(room) {
  if (room.peer) return avatarOf(room.peer);
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true' }, room.kind === 'group' ? '👥' : initials(room.title));
  el.style.background = tint(room.id);
  return el;
}

/** @param {any} m */
function preview(m) {
  if (!m) return '';
  if (m.deleted) return t('deleted');
  if (m.hidden) return t('hiddenByHost');
  if (m.kind === 'image') return `📷 ${t('image')}`;
  if (m.kind === 'file') return `📎 ${m.attachment?.name ?? t('file')}`;
  if (m.kind === 'pung_tag') return `✨ ${t('pung')}`;
  if (m.kind === 'pung_reply') return `✨ ${m.text}`;
  return m.text;
}

/** @param {HTMLElement} main @param {number | null} roomId @returns {() => void} teardown */
export function renderChats(main, roomId) {
  const list = h('ul', { class: 'room-list', 'aria-label': t('chats') });
  const drawList = () => {
    const rooms = sortedRooms();
    if (!rooms.length) {
      mount(list, h('li', { class: 'empty small' }, t('noChats')));
      return;
    }
    mount(list, rooms.map((r) => {
      return h('li', {},
        h('a', { href: `#/chats/${r.id}`, class: `room-row${r.id === roomId ? ' active' : ''}`, dataset: { room: r.id },
          'aria-current': r.id === roomId ? 'true' : false },
        roomAvatar(r),
        h('span', { class: 'room-main' },
          h('span', { class: 'room-title' }, r.title,
            r.kind === 'group' ? h('span', { class: 'count' }, String(r.member_count)) : null,
            r.pinned ? h('span', { class: 'pin', 'aria-label': t('pin') }, '📌') : null,
            r.muted ? h('span', { class: 'pin', 'aria-label': t('muted') }, '🔕') : null),
          h('span', { class: 'room-preview' }, preview(r.last_message))),
        h('span', { class: 'room-meta' },
          h('time', {}, r.last_message ? timeOf(r.last_message.created_at) : ''),
          r.unread ? h('span', { class: 'unread', 'aria-label': t('unreadBy', { n: r.unread }) }, r.unread > 999 ? '999+' : String(r.unread)) : null)));
    }));
  };
  const roomPane = h('section', { class: 'room-pane', 'aria-label': t('chats') });
  const listPane = h('section', { class: 'list-pane' },
    h('header', { class: 'pane-header' }, h('h1', {}, t('chats')),
      h('button', { class: 'icon-button', type: 'button', 'aria-label': t('newGroup'), title: t('newGroup'), onclick: () => newGroup(main) }, '＋')),
    list);
  main.classList.toggle('has-room', roomId !== null);
  mount(main, listPane, roomPane);
  drawList();
  let closeRoom = () => {};
  // A room this client has not heard of yet (just joined elsewhere, its
  // room_added still on the way) opens as soon as it is known.
  const openWhenKnown = () => {
    if (roomId === null || state.activeRoom === roomId || !state.rooms.has(roomId)) return;
    closeRoom = openRoom(roomPane, roomId);
  };
  state.activeRoom = null;
  if (roomId !== null && state.rooms.has(roomId)) {
    openWhenKnown();
  } else {
    mount(roomPane, h('div', { class: 'empty pane-empty' }, h('div', { class: 'empty-icon', 'aria-hidden': 'true' }, '💬')));
    if (roomId !== null) {
      api.get(`/rooms/${roomId}`).then((fresh) => { mergeRoom(fresh); changed('rooms'); })
        // Not a member (or offline): the empty pane stays.
        .catch(() => {});
    }
  }
  const unsubscribe = subscribe((what) => {
    if (what !== 'rooms') return;
    drawList();
    openWhenKnown();
  });
  return () => { unsubscribe(); closeRoom(); state.activeRoom = null; };
}

/** @param {HTMLElement} main */
function newGroup(main) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet', 'aria-label': t('newGroup') }));
  const title = h('input', { id: 'group-title', required: true, maxlength: 50 });
  const picks = state.friends.filter((f) => !f.hidden).map((f) =>
    h('label', { class: 'pick' }, h('input', { type: 'checkbox', value: f.profile.id }), f.profile.display_name));
  const error = h('p', { class: 'form-error', role: 'alert' });
  dialog.append(h('form', {
    method: 'dialog',
    onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      const ids = picks.map((p) => /** @type {HTMLInputElement} */ (p.querySelector('input'))).filter((i) => i.checked).map((i) => Number(i.value));
      try {
        const room = await api.post('/rooms/group', { title: /** @type {HTMLInputElement} */ (title).value, member_ids: ids });
        mergeRoom(room);
        dialog.close();
        location.hash = `#/chats/${room.id}`;
      } catch (err) { error.textContent = /** @type {Error} */ (err).message; }
    },
  }, h('h2', {}, t('newGroup')), h('label', { for: 'group-title' }, t('groupTitle')), title,
  h('fieldset', {}, h('legend', {}, t('members')), picks), error,
  h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => dialog.close() }, t('cancel')),
    h('button', { type: 'submit', class: 'primary' }, t('create')))));
  main.append(dialog);
  dialog.showModal();
}
