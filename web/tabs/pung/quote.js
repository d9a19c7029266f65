// @ts-check
/**
 * The quote of a Pung in a chat message (a reply to it, or a tag). The
 * message holds only the Pung's id, never a copy: the quote is fetched
 * while the Pung lives and reads "disappeared" once it is gone.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { state } from '../../lib/state.js';
import { pungThumb } from './card.js';
import { openViewer } from './viewer.js';

/** @type {Map<number, Promise<any | null>>} */
const cache = new Map();

/** Marks every quote of a removed Pung as gone, and forgets it. @param {number} id */
export function pungRemoved(id) {
  cache.delete(id);
  for (const el of document.querySelectorAll(`.pung-quote[data-pung="${id}"] .pung-quote-body`)) {
    mount(el, h('span', { class: 'muted' }, t('pungGone')));
  }
}

/** @param {number} id */
function fetchPung(id) {
  let p = cache.get(id);
  if (!p) {
    p = api.get(`/pungs/${id}`).catch(() => null);
    cache.set(id, p);
    // Never keep a Pung past its life: forget it after a minute.
    setTimeout(() => cache.delete(id), 60000);
  }
  return p;
}

/**
 * @param {any} m the message (kind `pung_reply` or `pung_tag`)
 * @param {(id: number) => string} nameOf
 */
export function pungQuote(m, nameOf) {
  const mine = m.sender_id === state.me.id;
  const label = m.kind === 'pung_tag'
    ? (mine ? t('youTagged', { name: nameOf(m.mentions?.[0]) }) : t('taggedYou', { name: nameOf(m.sender_id) }))
    : t('repliedToPung');
  const body = h('span', { class: 'pung-quote-body' });
  const el = h('div', { class: 'pung-quote', dataset: { pung: m.pung_id ?? '' } }, h('span', { class: 'pung-quote-label' }, `✨ ${label}`), body);
  const gone = () => mount(body, h('span', { class: 'muted' }, t('pungGone')));
  if (!m.pung_id) {
    gone();
    return el;
  }
  fetchPung(m.pung_id).then((p) => {
    if (!p || p.expires_at <= Date.now()) {
      gone();
      return;
    }
    mount(body, h('button', { type: 'button', class: 'pung-quote-open', 'aria-label': t('open'),
      onclick: () => openViewer([{ author: p.author, pungs: [p] }], 0) }, pungThumb(p)));
    // It goes from the screen when it expires, not only on the next render.
    setTimeout(gone, Math.max(0, p.expires_at - Date.now()));
  });
  return el;
}
