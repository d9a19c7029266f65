// @ts-check
/**
 * The shell: the tab bar (a rail on wide screens, a bottom bar on phones),
 * hash routes (#/friends, #/chats, #/chats/12, #/openchat (and its
 * search, category, new, link and id pages), #/pung, #/pung/new, #/local
 * (and its shop, wallet, channel, business and console pages), #/more), loading the account, and applying live frames to the state.
 * Each tab is one folder under tabs/.
 */

import { api, ApiError } from './lib/api.js';
import { h, mount, toast } from './lib/dom.js';
import { currentLang, t } from './lib/i18n.js';
import { Live } from './lib/live.js';
import { clearRoomNotifications, forgetAccount, registerWorker, resyncPush, setBadge, workerLanguage } from './lib/push.js';
import { changed, forgetRoom, mergeRoom, remember, state, subscribe } from './lib/state.js';
import { renderAuth } from './auth/auth.js';
import { renderFriends } from './tabs/friends/friends.js';
import { renderChats } from './tabs/chats/list.js';
import { applyEvent } from './tabs/chats/events.js';
import { loadFolders } from './tabs/chats/folders.js';
import { scheduledNotice } from './tabs/chats/scheduled.js';
import { threadRead } from './tabs/chats/thread.js';
import { renderLocal } from './tabs/local/local.js';
import { renderMore } from './tabs/more/more.js';
import { renderPung } from './tabs/pung/pung.js';
import { renderOpenChatTab } from './tabs/openchat/openchat.js';
import { loadPungs, refreshPungs } from './tabs/pung/feed.js';
import { pungRemoved } from './tabs/pung/quote.js';

const root = /** @type {HTMLElement} */ (document.getElementById('app'));

/** @type {{id: string, label: () => string, icon: string}[]} */
const TABS = [
  { id: 'friends', label: () => t('friends'), icon: '👤' },
  { id: 'chats', label: () => t('chats'), icon: '💬' },
  { id: 'openchat', label: () => t('openchat'), icon: '🌐' },
  { id: 'pung', label: () => t('pung'), icon: '✨' },
  { id: 'local', label: () => t('local'), icon: '📍' },
  { id: 'more', label: () => t('more'), icon: '⋯' },
];

export const live = new Live(onFrame, (s) => {
  state.online = s === 'online';
  changed('connection');
});

/** @returns {{tab: string, arg: string | undefined, more: string | undefined, rest: string | undefined}} */
function route() {
  const [, tab = 'chats', arg, more, rest] = location.hash.split('/');
  return { tab: TABS.some((x) => x.id === tab) ? tab : 'chats', arg, more, rest };
}

/** @param {string} hash */
export function navigate(hash) {
  if (location.hash !== hash) location.hash = hash;
  else render();
}

async function start() {
  if (!api.token) {
    renderAuth(root, start);
    return;
  }
  try {
    const [me, rooms, friends, birthdays, ai] = await Promise.all([
      api.get('/me'), api.get('/rooms'), api.get('/friends'), api.get('/friends/birthdays'), api.get('/ai'), loadFolders(),
    ]);
    state.me = me;
    state.ai = ai;
    remember(me);
    state.rooms = new Map(rooms.map((/** @type {any} */ r) => [r.id, r]));
    for (const r of rooms) {
      live.cursors.set(r.id, r.last_seq);
      if (r.peer) remember(r.peer);
    }
    state.friends = friends;
    for (const f of friends) remember(f.profile);
    state.birthdays = birthdays;
    await loadPungs();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      api.setToken(null);
      renderAuth(root, start);
      return;
    }
    throw err;
  }
  live.start();
  render();
  // Offline or push off on this server: nothing to mend now.
  resyncPush().catch(() => {});
}

export async function logOut() {
  // While the token still works: the session ends on the server (the
  // device goes, and its push subscription with it), the browser
  // unsubscribes, and the worker drops this account's cached answers.
  await forgetAccount().catch(() => {});
  // Offline, the token stays valid until revoked from another device.
  await api.del('/sessions/current').catch(() => {});
  teardown?.();
  teardown = null;
  live.stop();
  api.setToken(null);
  state.me = null;
  state.rooms.clear();
  state.messages.clear();
  state.folders = [];
  location.hash = '';
  renderAuth(root, start);
}

/** @param {any} frame */
function onFrame(frame) {
  switch (frame.type) {
    case 'event':
      applyEvent(frame.event);
      break;
    case 'reads':
      for (const r of frame.reads) state.cursors.get(frame.room_id)?.set(r.user_id, r.seq);
      if (frame.reads.some((/** @type {any} */ r) => r.user_id === state.me?.id)) {
        const room = state.rooms.get(frame.room_id);
        const mine = frame.reads.find((/** @type {any} */ r) => r.user_id === state.me?.id);
        if (room && mine) {
          room.read_seq = Math.max(room.read_seq, mine.seq);
          api.get(`/rooms/${frame.room_id}`).then((fresh) => { mergeRoom(fresh); changed('rooms'); })
            // Offline or gone: the next sync brings the room again.
            .catch(() => {});
        }
      }
      changed('reads');
      break;
    case 'typing':
      state.typing.set(frame.room_id, { user: frame.user_id, until: Date.now() + 4000 });
      changed('typing');
      setTimeout(() => changed('typing'), 4100);
      break;
    case 'room_added':
      mergeRoom(frame.room);
      if (frame.room.peer) remember(frame.room.peer);
      changed('rooms');
      break;
    case 'room_removed':
      forgetRoom(frame.room_id);
      state.messages.delete(frame.room_id);
      live.cursors.delete(frame.room_id);
      if (state.activeRoom === frame.room_id) navigate('#/chats');
      changed('rooms');
      break;
    case 'logged_out':
      logOut();
      break;
    case 'ready':
      // A reconnect may have missed changes made meanwhile.
      loadFolders().catch(() => {});
      changed('scheduled');
      break;
    case 'folders_changed':
      loadFolders().catch(() => {});
      break;
    case 'thread_read':
      threadRead(frame.room_id, frame.root, frame.thread_seq).catch(() => {});
      break;
    case 'poll_changed':
      changed(`poll:${frame.room_id}:${frame.seq}`);
      break;
    case 'scheduled_changed': {
      const notice = scheduledNotice(frame.scheduled);
      if (notice) toast(notice);
      changed('scheduled');
      break;
    }
    case 'inbox_changed':
      changed('inbox');
      break;
    case 'history_imported':
      api.get(`/rooms/${frame.room_id}`).then((fresh) => { mergeRoom(fresh); changed('rooms'); })
        .catch(() => {});
      changed(`history:${frame.room_id}`);
      break;
    case 'export_changed':
      state.exports.set(frame.export.id, frame.export);
      changed('exports');
      break;
    case 'import_progress':
      state.importProgress = frame.progress;
      changed('import');
      break;
    case 'pung_removed':
      pungRemoved(frame.pung_id);
      refreshPungs();
      break;
    case 'pung_posted':
    case 'pung_activity':
    case 'pungs_changed':
      refreshPungs();
      break;
  }
}

function totalUnread() {
  let n = 0;
  for (const r of state.rooms.values()) if (!r.muted) n += r.unread;
  return n;
}

/** @type {HTMLElement | null} */
let badge = null;
/** @type {HTMLElement | null} */
let banner = null;

/** Undoes the current view's subscriptions before the next one renders. */
/** @type {(() => void) | null} */
let teardown = null;

function render() {
  teardown?.();
  teardown = null;
  if (!state.me) return;
  const { tab, arg, more, rest } = route();
  const main = h('main', { class: `view view-${tab}`, id: 'main' });
  badge = h('span', { class: 'badge', 'aria-label': t('unreadBy', { n: totalUnread() }) });
  banner = h('div', { class: 'banner', role: 'status', hidden: state.online }, t('offline'));
  const nav = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': t('app') },
    TABS.map((x) => h('a', {
      href: `#/${x.id}`, role: 'tab', class: 'tab', 'aria-selected': String(x.id === tab),
      'aria-current': x.id === tab ? 'page' : false, dataset: { tab: x.id },
    }, h('span', { class: 'tab-icon', 'aria-hidden': 'true' }, x.icon), h('span', { class: 'tab-label' }, x.label()),
    x.id === 'chats' ? badge : null)));
  mount(root, h('div', { class: 'shell' }, nav, h('div', { class: 'content' }, banner, main)));
  updateBadge();
  if (tab === 'friends') teardown = renderFriends(main);
  else if (tab === 'chats') {
    // #/chats/{room}/{seq} opens at a message (#/chats/{room}/{seq}/comments with its
    // comments), #/chats/{room}/peek without read receipts.
    teardown = renderChats(main, arg ? Number(arg) : null, arg && more && more !== 'peek' ? Number(more) : null, more === 'peek',
      rest === 'comments');
    if (arg) clearRoomNotifications(Number(arg)).catch(() => {});
  }
  else if (tab === 'pung') teardown = renderPung(main, arg);
  else if (tab === 'openchat') renderOpenChatTab(main, arg, more);
  else if (tab === 'local') teardown = renderLocal(main, arg, more);
  else renderMore(main);
}

function updateBadge() {
  if (!badge) return;
  const n = totalUnread();
  badge.textContent = n > 999 ? '999+' : n ? String(n) : '';
  badge.hidden = n === 0;
  badge.setAttribute('aria-label', t('unreadBy', { n }));
  setBadge(n);
}

subscribe((what) => {
  if (what === 'rooms' || what === 'messages') updateBadge();
  if (what === 'connection' && banner) banner.hidden = state.online;
  if (what === 'language') {
    workerLanguage(currentLang());
    render();
  }
});

registerWorker((room) => navigate(room ? `#/chats/${room}` : '#/chats'));
workerLanguage(currentLang());

window.addEventListener('hashchange', render);
start().catch((err) => {
  mount(root, h('main', { class: 'auth' }, h('p', { role: 'alert' }, `${t('error')}: ${err.message}`)));
});
