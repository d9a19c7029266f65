// @ts-check
/**
 * A room's drawer (🗂 in the room's tools): its photos and videos, files,
 * and the links written in it, newest first and paged; each opens its
 * message in the room.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t, whenOf } from '../../lib/i18n.js';

const KINDS = /** @type {const} */ (['media', 'files', 'links']);

/** @param {number} roomId @param {string} title */
export function openDrawer(roomId, title) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet drawer-sheet', 'aria-label': t('drawerOf', { title }) }));
  const content = h('div', { class: 'drawer-content' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const more = h('button', { type: 'button', class: 'small', id: 'drawer-more', hidden: true }, t('moreResults'));
  /** @type {'media' | 'files' | 'links'} */
  let kind = 'media';
  /** @type {number | null} */
  let before = null;
  const close = () => { dialog.close(); dialog.remove(); };
  /** Opens the message an item came from. @param {number} seq */
  const jump = (seq) => { close(); location.hash = `#/chats/${roomId}/${seq}`; };

  const tabs = h('div', { class: 'segmented', role: 'tablist' }, KINDS.map((k) =>
    h('button', { type: 'button', role: 'tab', class: k === kind ? 'on' : '', dataset: { drawer: k }, 'aria-selected': String(k === kind),
      onclick: () => { kind = k; before = null; for (const b of tabs.children) { b.classList.toggle('on', /** @type {HTMLElement} */ (b).dataset.drawer === k); b.setAttribute('aria-selected', String(/** @type {HTMLElement} */ (b).dataset.drawer === k)); } load(); } },
    t(`drawer_${k}`))));

  /** @param {any} item */
  function tile(item) {
    const a = item.attachment;
    if (kind === 'media') {
      const inner = a?.thumbnail
        ? h('img', { src: api.mediaUrl(a.thumbnail), alt: a.name, loading: 'lazy' })
        : h('span', { class: 'drawer-video' }, '🎬', h('span', {}, a?.name ?? ''));
      return h('li', {}, h('button', { type: 'button', class: 'drawer-tile', dataset: { seq: item.seq }, 'aria-label': `${a?.name ?? ''} · ${whenOf(item.created_at)}`,
        onclick: () => jump(item.seq) }, inner));
    }
    if (kind === 'files') {
      return h('li', { class: 'drawer-row' },
        h('button', { type: 'button', class: 'drawer-jump', dataset: { seq: item.seq }, onclick: () => jump(item.seq) },
          h('span', { class: 'drawer-name' }, `📎 ${a?.name ?? ''}`),
          h('span', { class: 'muted small' }, `${((a?.size ?? 0) / 1024).toFixed(1)} KB · ${whenOf(item.created_at)}`)),
        a ? h('a', { href: api.mediaUrl(a.media_id), download: a.name, class: 'icon-button', 'aria-label': t('download'), title: t('download') }, '⬇') : null);
    }
    return h('li', { class: 'drawer-row' },
      h('button', { type: 'button', class: 'drawer-jump', dataset: { seq: item.seq }, onclick: () => jump(item.seq) },
        h('span', { class: 'drawer-name' }, item.url),
        h('span', { class: 'muted small' }, `${item.text.slice(0, 80)} · ${whenOf(item.created_at)}`)),
      h('a', { href: item.url, target: '_blank', rel: 'noopener noreferrer nofollow', class: 'icon-button', 'aria-label': t('openLink'), title: t('openLink') }, '↗'));
  }

  async function load() {
    const asked = kind;
    error.textContent = '';
    try {
      const page = await api.get(`/rooms/${roomId}/drawer?kind=${kind}&limit=30${before ? `&before=${before}` : ''}`);
      if (asked !== kind) return;
      const list = before ? content.querySelector('ul') : null;
      const items = page.items.map(tile);
      if (list) list.append(...items);
      else mount(content, page.items.length
        ? h('ul', { class: kind === 'media' ? 'drawer-grid' : 'drawer-list' }, items)
        : h('p', { class: 'empty small' }, t('drawerEmpty')));
      before = page.next_before ?? null;
      more.hidden = !before;
    } catch (err) { showError(error, err); }
  }
  more.addEventListener('click', load);

  dialog.append(h('h2', {}, t('drawer')), tabs, content, more, error,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: close }, t('close'))));
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
  load();
}
