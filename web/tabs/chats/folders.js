// @ts-check
/**
 * Chat folders over the room list: the built-in views (all, unread, open
 * chats, channels) and the person's own folders as a row of tabs, each
 * with the unread count of its rooms; a sheet to make, rename, fill and
 * delete a folder. Folders live on the server (the same on every device,
 * told live as `folders_changed`); which one is shown is this device's.
 */

import { api } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { changed, sortedRooms, state } from '../../lib/state.js';

/** @typedef {{id: number, name: string, room_ids: number[]}} Folder */

const BUILT_IN = /** @type {const} */ (['all', 'unread', 'open', 'channels']);
const CHOSEN = 'madang.folder';

/** Fetches the folders again (after a change anywhere, or a reconnect). */
export async function loadFolders() {
  const list = await api.get('/folders');
  state.folders = list.folders;
  state.folderLimits = { folders: list.max_folders, rooms: list.max_rooms };
  changed('folders');
}

/** The view shown: a built-in one's name or a folder's id as text. */
function chosen() {
  const v = localStorage.getItem(CHOSEN) ?? 'all';
  if (BUILT_IN.includes(/** @type {any} */ (v))) return v;
  return state.folders.some((/** @type {Folder} */ f) => String(f.id) === v) ? v : 'all';
}

/** Whether `room` shows in `view`; the open room always does.
 * @param {string} view @param {any} room */
function inView(view, room) {
  switch (view) {
    case 'all': return true;
    case 'unread': return room.unread > 0;
    case 'open': return room.kind === 'open' || room.kind === 'open_direct';
    case 'channels': return room.kind === 'channel';
    default: return state.folders.find((/** @type {Folder} */ f) => String(f.id) === view)?.room_ids.includes(room.id) ?? false;
  }
}

/** The rooms of the chosen view, in the list's order.
 * @param {number | null} openRoom */
export function roomsInView(openRoom) {
  const view = chosen();
  return sortedRooms().filter((r) => r.id === openRoom || inView(view, r));
}

/** The unread messages of a view's rooms (muted rooms count too: the
 * folder is where the person looks for them). @param {string} view */
function unreadIn(view) {
  let n = 0;
  for (const r of state.rooms.values()) if (inView(view, r)) n += r.unread;
  return n;
}

/**
 * The row of views over the list. `redraw` draws the list again.
 * @param {HTMLElement} main @param {() => void} redraw
 */
export function folderBar(main, redraw) {
  const tabs = h('div', { class: 'folder-tabs', role: 'tablist', 'aria-label': t('folders') });
  const tools = h('div', { class: 'folder-tools' });
  const bar = h('div', { class: 'folder-bar' }, tabs, tools);
  const draw = () => {
    const view = chosen();
    /** @param {string} id @param {string} label */
    const tab = (id, label) => {
      const n = unreadIn(id);
      return h('button', {
        type: 'button', role: 'tab', class: `folder-tab${id === view ? ' on' : ''}`, 'aria-selected': String(id === view),
        dataset: { folder: id },
        onclick: () => { localStorage.setItem(CHOSEN, id); draw(); redraw(); },
      }, label, n ? h('span', { class: 'folder-unread', 'aria-label': t('unreadBy', { n }) }, n > 999 ? '999+' : String(n)) : null);
    };
    tabs.replaceChildren(
      tab('all', t('folderAll')), tab('unread', t('folderUnread')), tab('open', t('folderOpen')), tab('channels', t('folderChannels')),
      ...state.folders.map((/** @type {Folder} */ f) => tab(String(f.id), f.name)));
    const mine = state.folders.find((/** @type {Folder} */ f) => String(f.id) === view) ?? null;
    tools.replaceChildren(...[
      mine ? h('button', {
        type: 'button', class: 'icon-button', id: 'edit-folder', 'aria-label': t('editFolder'), title: t('editFolder'),
        onclick: () => folderSheet(main, mine),
      }, '✎') : null,
      h('button', {
        type: 'button', class: 'icon-button', id: 'new-folder', 'aria-label': t('newFolder'), title: t('newFolder'),
        onclick: () => folderSheet(main, null),
      }, '⊕')].filter((b) => b !== null));
    // The chosen tab in sight, the row otherwise where the person left it.
    const on = /** @type {HTMLElement | null} */ (tabs.querySelector('.folder-tab.on'));
    if (on && (on.offsetLeft < tabs.scrollLeft || on.offsetLeft + on.offsetWidth > tabs.scrollLeft + tabs.clientWidth)) {
      tabs.scrollLeft = on.offsetLeft - 12;
    }
  };
  draw();
  return { bar, draw };
}

/**
 * Makes a folder (`folder` null) or edits one: its name and which rooms
 * it holds; an edited one may be deleted.
 * @param {HTMLElement} main @param {Folder | null} folder
 */
function folderSheet(main, folder) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet folder-sheet', 'aria-label': folder ? t('editFolder') : t('newFolder') }));
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'folder-name', required: true, maxlength: 20, value: folder?.name ?? '' }));
  const held = new Set(folder?.room_ids ?? []);
  const picks = sortedRooms().map((r) => h('label', { class: 'pick' },
    h('input', { type: 'checkbox', value: r.id, checked: held.has(r.id) }), r.title));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const close = () => { dialog.close(); dialog.remove(); };
  const remove = folder ? h('button', { type: 'button', class: 'danger', id: 'delete-folder', onclick: async () => {
    try {
      await api.del(`/folders/${folder.id}`);
      localStorage.setItem(CHOSEN, 'all');
      await loadFolders();
      close();
    } catch (err) { showError(error, err); }
  } }, t('deleteFolder')) : null;
  dialog.append(h('form', {
    method: 'dialog',
    onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      const room_ids = picks.map((p) => /** @type {HTMLInputElement} */ (p.querySelector('input')))
        .filter((i) => i.checked).map((i) => Number(i.value));
      try {
        const saved = folder
          ? await api.patch(`/folders/${folder.id}`, { name: name.value, room_ids })
          : await api.post('/folders', { name: name.value, room_ids });
        localStorage.setItem(CHOSEN, String(saved.id));
        await loadFolders();
        close();
      } catch (err) { showError(error, err); }
    },
  }, h('h2', {}, folder ? t('editFolder') : t('newFolder')),
  h('label', { for: 'folder-name' }, t('folderName')), name,
  h('fieldset', { class: 'folder-rooms' }, h('legend', {}, t('folderRooms', { n: state.folderLimits.rooms })), picks), error,
  h('div', { class: 'actions' }, remove,
    h('button', { type: 'button', onclick: close }, t('cancel')),
    h('button', { type: 'submit', class: 'primary', id: 'save-folder' }, t('save')))));
  main.append(dialog);
  dialog.showModal();
  name.focus();
}
