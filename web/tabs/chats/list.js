// @ts-check
/** The chat list (unread badges, last message) beside the open room; on a
 * phone only one of the two shows. Also the new-group dialog. */

import { api } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, initials, mount, timeOf, tint } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { changed, mergeRoom, state, subscribe } from '../../lib/state.js';
import { folderBar, roomsInView } from './folders.js';
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
  if (m.kind === 'poll') return `📊 ${m.text}`;
  if (m.kind === 'voice') return `🎤 ${t('voiceMessage')}`;
  return m.text;
}

/** The snippet of a search hit: its matches marked, all of it text.
 * @param {{text: string, hit: boolean}[]} parts */
function snippetOf(parts) {
  return parts.map((p) => (p.hit ? h('mark', {}, p.text) : p.text));
}

/** Message search over all my rooms: a field over the list; its results
 * replace the list until it is closed. @param {HTMLElement} list @param {() => void} drawList */
function messageSearch(list, drawList) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id: 'message-search', type: 'search', maxlength: 100,
    placeholder: t('searchMessages'), 'aria-label': t('searchMessages'), enterkeyhint: 'search' }));
  const results = h('ul', { class: 'search-results', 'aria-label': t('searchMessages') });
  const error = h('p', { class: 'form-error', role: 'alert' });
  let asked = 0;
  /** @type {any} */
  let timer = null;
  /** @param {string} q @param {number | null} before */
  async function run(q, before) {
    const ticket = ++asked;
    error.textContent = '';
    try {
      const page = await api.get(`/search/messages?q=${encodeURIComponent(q)}&limit=20${before ? `&before=${before}` : ''}`);
      if (ticket !== asked) return;
      if (!before) mount(results);
      results.querySelector('.more-results')?.remove();
      for (const r of page.results) {
        // A comment opens at its message, with the comments shown.
        const at = r.message.thread_root ? `${r.message.thread_root}/comments` : r.message.seq;
        results.append(h('li', {}, h('a', { href: `#/chats/${r.room_id}/${at}`, class: 'search-hit',
          dataset: { room: r.room_id, seq: r.message.seq } },
        h('span', { class: 'hit-head' }, h('span', { class: 'hit-room' }, r.room_title), h('time', {}, timeOf(r.message.created_at))),
        h('span', { class: 'hit-snippet' }, snippetOf(r.snippet)))));
      }
      if (!results.children.length) results.append(h('li', { class: 'empty small' }, t('noMessagesFound')));
      if (page.next_before) {
        results.append(h('li', { class: 'more-results' }, h('button', { type: 'button', class: 'link',
          onclick: () => run(q, page.next_before) }, t('moreResults'))));
      }
    } catch (err) {
      if (ticket === asked) showError(error, err);
    }
  }
  function close() {
    asked++;
    input.value = '';
    bar.hidden = true;
    results.hidden = true;
    list.hidden = false;
    drawList();
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    results.hidden = !q;
    list.hidden = !!q;
    if (!q) { asked++; mount(results); return; }
    timer = setTimeout(() => run(q, null), 250);
  });
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  const bar = h('form', { class: 'search-bar', hidden: true, role: 'search',
    onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); const q = input.value.trim(); if (q) { clearTimeout(timer); run(q, null); } } },
  input, h('button', { type: 'button', class: 'icon-button', 'aria-label': t('clearSearch'), title: t('clearSearch'), onclick: close }, '✕'));
  results.hidden = true;
  const open = () => { bar.hidden = false; input.focus(); };
  return { bar, results, error, open };
}

/** @param {HTMLElement} main @param {number | null} roomId @param {number | null} [focusSeq] a message to show
 * @param {boolean} [peek] open the room without read receipts
 * @param {boolean} [thread] show the comments under the focused message
 * @returns {() => void} teardown */
export function renderChats(main, roomId, focusSeq = null, peek = false, thread = false) {
  const list = h('ul', { class: 'room-list', 'aria-label': t('chats') });
  const drawList = () => {
    const rooms = roomsInView(roomId);
    if (!rooms.length) {
      mount(list, h('li', { class: 'empty small' }, state.rooms.size ? t('noChatsInView') : t('noChats')));
      return;
    }
    mount(list, rooms.map((r) => {
      return h('li', { class: 'room-item' },
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
          r.unread ? h('span', { class: 'unread', 'aria-label': t('unreadBy', { n: r.unread }) }, r.unread > 999 ? '999+' : String(r.unread)) : null)),
        // Unread messages can be read without telling anyone (peek).
        r.unread && r.id !== roomId ? h('a', { href: `#/chats/${r.id}/peek`, class: 'icon-button peek-button', dataset: { room: r.id },
          'aria-label': t('peekAt', { title: r.title }), title: t('peek') }, '👁') : null);
    }));
  };
  const roomPane = h('section', { class: 'room-pane', 'aria-label': t('chats') });
  const search = messageSearch(list, drawList);
  const folders = folderBar(main, drawList);
  const listPane = h('section', { class: 'list-pane' },
    h('header', { class: 'pane-header' }, h('h1', {}, t('chats')),
      h('button', { class: 'icon-button', type: 'button', id: 'open-search', 'aria-label': t('searchMessages'), title: t('searchMessages'), onclick: search.open }, '🔍'),
      h('button', { class: 'icon-button', type: 'button', 'aria-label': t('newGroup'), title: t('newGroup'), onclick: () => newGroup(main) }, '＋')),
    search.bar, search.error, search.results, folders.bar, list);
  main.classList.toggle('has-room', roomId !== null);
  mount(main, listPane, roomPane);
  drawList();
  let closeRoom = () => {};
  // A room this client has not heard of yet (just joined elsewhere, its
  // room_added still on the way) opens as soon as it is known.
  const openWhenKnown = () => {
    if (roomId === null || state.activeRoom === roomId || !state.rooms.has(roomId)) return;
    closeRoom = openRoom(roomPane, roomId, focusSeq, peek, thread);
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
    if (what === 'folders') {
      folders.draw();
      drawList();
    }
    if (what !== 'rooms') return;
    folders.draw();
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
