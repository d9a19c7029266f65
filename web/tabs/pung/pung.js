// @ts-check
/**
 * The Pung tab: the row of rings, the button to post, and the person's own
 * Pungs with when they disappear and how many saw them. `#/pung/new` is
 * the composer.
 */

import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { state, subscribe } from '../../lib/state.js';
import { pungThumb } from './card.js';
import { renderComposer } from './composer.js';
import { ago, left, ringRow } from './feed.js';
import { openViewer } from './viewer.js';

/** Opens the viewer from a ring: mine, or a friend's and those after it.
 * @param {number | 'mine'} which */
export function openRing(which) {
  if (which === 'mine') {
    if (!state.pungs.mine.length) {
      location.hash = '#/pung/new';
      return;
    }
    openViewer([{ author: state.me, pungs: [...state.pungs.mine] }], 0);
    return;
  }
  openViewer(state.pungs.friends.map((r) => ({ author: r.author, pungs: [...r.pungs] })), which);
}

/** @param {HTMLElement} main @param {string | undefined} arg @returns {() => void} */
export function renderPung(main, arg) {
  if (arg === 'new') {
    renderComposer(main);
    return () => {};
  }
  const rings = ringRow(openRing);
  const mine = h('section', { class: 'my-pungs', 'aria-label': t('myPung') });
  const draw = () => {
    const list = state.pungs.mine;
    mount(mine, h('h3', {}, t('myPung')),
      list.length
        ? h('ul', { class: 'my-pung-list' }, list.map((p) => h('li', { dataset: { pung: p.id } },
          h('button', { type: 'button', class: 'my-pung', onclick: () => openViewer([{ author: state.me, pungs: [...list] }], 0, p.id) },
            pungThumb(p),
            h('span', { class: 'my-pung-main' },
              h('span', { class: 'my-pung-text' }, p.text || t('image')),
              h('span', { class: 'muted' }, `${ago(p.created_at)} · ${t('expiresIn', { t: left(p.expires_at) })}`),
              h('span', { class: 'my-pung-stats' }, `👁 ${t('viewsReactions', { v: p.view_count ?? 0, r: p.reaction_count ?? 0 })}`))))))
        : h('p', { class: 'empty small' }, t('pungEmpty')),
      state.pungs.friends.length ? null : h('p', { class: 'empty small' }, t('noPungs')));
  };
  draw();
  const stop = subscribe((what) => { if (what === 'pungs') draw(); });
  mount(main,
    h('header', { class: 'pane-header' }, h('h1', {}, t('pung')),
      h('a', { href: '#/pung/new', class: 'button primary small', id: 'new-pung' }, `＋ ${t('newPung')}`)),
    h('div', { class: 'pung-home' }, rings.el, mine));
  return () => {
    rings.stop();
    stop();
  };
}
