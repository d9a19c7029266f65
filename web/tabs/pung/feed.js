// @ts-check
/**
 * The Pung feed in client state: loaded at start and again whenever the
 * server says something changed (a friend posted, a Pung was removed, a
 * friendship ended). A Pung leaves the state the moment it expires, by a
 * timer set for the earliest expiry, so nothing is shown past its time
 * even before the server's frame arrives.
 */

import { api } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { changed, remember, state, subscribe } from '../../lib/state.js';

/** @type {ReturnType<typeof setTimeout> | undefined} */
let expiryTimer;
/** @type {ReturnType<typeof setTimeout> | null} */
let reloadTimer = null;

/** @param {any} p */
export const alive = (p) => p.expires_at > Date.now();

export async function loadPungs() {
  const feed = await api.get('/pungs/feed');
  for (const ring of feed.friends) remember(ring.author);
  state.pungs = feed;
  dropExpired();
  changed('pungs');
}

/** Reloads soon, once for a burst of frames. */
export function refreshPungs() {
  if (reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = null;
    loadPungs().catch(() => {});
  }, 120);
}

/** Removes expired Pungs and sets the timer for the next expiry. */
function dropExpired() {
  clearTimeout(expiryTimer);
  const feed = state.pungs;
  feed.mine = feed.mine.filter(alive);
  feed.friends = feed.friends
    .map((ring) => {
      const pungs = ring.pungs.filter(alive);
      return { ...ring, pungs, unseen: pungs.filter((/** @type {any} */ p) => !p.seen).length };
    })
    .filter((ring) => ring.pungs.length > 0);
  const all = [...feed.mine, ...feed.friends.flatMap((r) => r.pungs)];
  const next = Math.min(...all.map((p) => p.expires_at));
  if (Number.isFinite(next)) {
    expiryTimer = setTimeout(() => {
      dropExpired();
      changed('pungs');
    }, Math.max(0, next - Date.now()) + 20);
  }
}

/** Marks a Pung seen in the state (after the server recorded the view). @param {number} id */
export function markSeen(id) {
  for (const ring of state.pungs.friends) {
    const p = ring.pungs.find((/** @type {any} */ x) => x.id === id);
    if (p && !p.seen) {
      p.seen = true;
      ring.unseen = ring.pungs.filter((/** @type {any} */ x) => !x.seen).length;
      changed('pungs');
    }
  }
}

/**
 * The row of rings: mine first, then friends with unseen Pungs, then the
 * rest. Redraws itself when the feed changes; returns its teardown.
 * @param {(ringIndex: number | 'mine') => void} open
 * @returns {{el: HTMLElement, stop: () => void}}
 */
export function ringRow(open) {
  const el = h('ul', { class: 'pung-rings', 'aria-label': t('pung') });
  const draw = () => {
    const me = state.me;
    const mine = state.pungs.mine;
    mount(el,
      h('li', {}, h('button', { type: 'button', class: `ring mine${mine.length ? ' has' : ''}`, dataset: { author: me.id },
        onclick: () => open('mine') },
      h('span', { class: 'ring-avatar' }, avatarOf(me), mine.length ? null : h('span', { class: 'ring-plus', 'aria-hidden': 'true' }, '+')),
      h('span', { class: 'ring-name' }, mine.length ? t('myPung') : t('addPung')))),
      state.pungs.friends.map((ring, i) => h('li', {}, h('button', {
        type: 'button', class: `ring${ring.unseen ? ' unseen' : ''}`, dataset: { author: ring.author.id },
        'aria-label': `${ring.author.display_name}${ring.unseen ? ` (${ring.unseen})` : ''}`, onclick: () => open(i),
      }, h('span', { class: 'ring-avatar' }, avatarOf(ring.author)), h('span', { class: 'ring-name' }, ring.author.display_name)))));
  };
  draw();
  const stop = subscribe((what) => { if (what === 'pungs') draw(); });
  return { el, stop };
}

/** "3 min ago" / "5 h ago". @param {number} at */
export function ago(at) {
  const minutes = Math.floor((Date.now() - at) / 60000);
  if (minutes < 1) return t('justNow');
  if (minutes < 60) return t('minutesAgo', { n: minutes });
  return t('hoursAgo', { n: Math.floor(minutes / 60) });
}

/** Hours (or minutes) until a Pung disappears. @param {number} at */
export function left(at) {
  const minutes = Math.max(0, Math.ceil((at - Date.now()) / 60000));
  return minutes >= 60 ? t('hours', { n: Math.floor(minutes / 60) }) : `${minutes}′`;
}
