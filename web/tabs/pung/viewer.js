// @ts-check
/**
 * The Pung viewer: a full-screen dialog that steps through one person's
 * Pungs and on to the next person's, with a progress bar per Pung. Each
 * Pung shown is marked seen. A friend's Pung takes reactions, a poll vote
 * and a reply (into the 1:1 chat); one's own shows who viewed it and can
 * be deleted. A Pung that expires or is removed while open is skipped.
 */

import { api, clientId } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { state, subscribe } from '../../lib/state.js';
import { pungCard } from './card.js';
import { ago, alive, left, markSeen, refreshPungs } from './feed.js';

/** How long each Pung shows before the next. */
const SHOW_MS = 6000;
const REACTIONS = ['❤️', '😂', '😮', '😢', '👏', '🔥'];

/**
 * @param {{author: any, pungs: any[]}[]} queue people and their Pungs, in order
 * @param {number} start index in `queue`
 * @param {number} [pungId] the Pung to start at (else the first unseen)
 */
export function openViewer(queue, start, pungId) {
  let ri = start;
  const first = queue[ri]?.pungs.findIndex((p) => (pungId === undefined ? !p.seen : p.id === pungId)) ?? 0;
  let pi = Math.max(0, first);
  let elapsed = 0;
  let paused = false;
  /** @type {'story' | 'viewers'} */
  let panel = 'story';
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'pung-viewer', 'aria-label': t('pung') }));
  document.body.appendChild(dialog);
  const bars = h('div', { class: 'pung-progress', 'aria-hidden': 'true' });
  const body = h('div', { class: 'pung-stage' });
  dialog.append(bars, body);

  const current = () => queue[ri]?.pungs[pi];

  const ticker = setInterval(() => {
    if (paused || panel !== 'story' || !dialog.open) return;
    elapsed += 100;
    const bar = /** @type {HTMLElement | null} */ (bars.children[pi]?.firstElementChild ?? null);
    if (bar) bar.style.width = `${Math.min(100, (elapsed / SHOW_MS) * 100)}%`;
    if (elapsed >= SHOW_MS) step(1);
  }, 100);

  const stop = subscribe((what) => {
    if (what !== 'pungs') return;
    // Drop what expired or was removed; skip ahead if the shown one went.
    const shown = current();
    const ids = new Set([...state.pungs.mine, ...state.pungs.friends.flatMap((r) => r.pungs)].map((p) => p.id));
    for (const q of queue) q.pungs = q.pungs.filter((p) => ids.has(p.id) && alive(p));
    if (shown && !ids.has(shown.id)) {
      pi = Math.min(pi, (queue[ri]?.pungs.length ?? 1) - 1);
      if (!current()) step(1);
      else show();
    }
  });

  function close() {
    clearInterval(ticker);
    stop();
    if (dialog.open) dialog.close();
    dialog.remove();
  }
  dialog.addEventListener('close', close);

  /** @param {1 | -1} dir */
  function step(dir) {
    elapsed = 0;
    panel = 'story';
    pi += dir;
    if (pi < 0) {
      ri -= 1;
      pi = Math.max(0, (queue[ri]?.pungs.length ?? 1) - 1);
    }
    while (ri < queue.length && pi >= (queue[ri]?.pungs.length ?? 0)) {
      ri += 1;
      pi = 0;
    }
    if (ri < 0 || ri >= queue.length) {
      close();
      return;
    }
    show();
  }

  /** @param {any} p */
  async function vote(p, /** @type {number} */ option) {
    const fresh = await api.post(`/pungs/${p.id}/votes`, { option });
    Object.assign(p, fresh);
    show();
  }

  /** @param {any} p @param {string} emoji */
  async function react(p, emoji) {
    const mine = p.my_reactions.includes(emoji);
    if (mine) await api.del(`/pungs/${p.id}/reactions/${encodeURIComponent(emoji)}`);
    else await api.post(`/pungs/${p.id}/reactions`, { emoji });
    p.my_reactions = mine ? p.my_reactions.filter((/** @type {string} */ e) => e !== emoji) : [...p.my_reactions, emoji];
    show();
  }

  /** @param {any} p */
  function friendFooter(p) {
    const note = h('p', { class: 'pung-note', role: 'status' });
    const input = /** @type {HTMLInputElement} */ (h('input', {
      class: 'pung-reply-input', 'aria-label': t('reply'), placeholder: t('replyToPung', { name: p.author.display_name }),
      onfocus: () => { paused = true; }, onblur: () => { paused = false; },
    }));
    const form = h('form', { class: 'pung-reply', onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      await api.post(`/pungs/${p.id}/replies`, { client_id: clientId(), text });
      input.value = '';
      note.textContent = t('replied');
      input.blur();
    } }, input, h('button', { type: 'submit', class: 'primary' }, t('send')));
    return h('footer', { class: 'pung-footer' },
      h('div', { class: 'pung-reactions' }, REACTIONS.map((e) => h('button', {
        type: 'button', class: `react${p.my_reactions.includes(e) ? ' mine' : ''}`, 'aria-pressed': String(p.my_reactions.includes(e)),
        'aria-label': e, onclick: () => react(p, e),
      }, e))),
      form, note);
  }

  /** @param {any} p */
  function ownFooter(p) {
    return h('footer', { class: 'pung-footer own' },
      h('button', { type: 'button', class: 'viewers-button', onclick: () => viewers(p) },
        `👁 ${t('viewsReactions', { v: p.view_count ?? 0, r: p.reaction_count ?? 0 })}`),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`${t('deletePung')}?`)) return;
        await api.del(`/pungs/${p.id}`);
        queue[ri].pungs.splice(pi, 1);
        pi -= 1;
        refreshPungs();
        step(1);
      } }, t('deletePung')));
  }

  /** The author's list of viewers, in place of the Pung. @param {any} p */
  async function viewers(p) {
    panel = 'viewers';
    const list = await api.get(`/pungs/${p.id}/viewers`);
    mount(body,
      h('header', { class: 'pung-head' },
        h('button', { type: 'button', class: 'icon-button light', 'aria-label': t('back'), onclick: () => { panel = 'story'; show(); } }, '‹'),
        h('h2', {}, t('pungViewers'))),
      list.length
        ? h('ul', { class: 'viewer-list' }, list.map((/** @type {any} */ v) => h('li', { dataset: { user: v.profile.id } },
          avatarOf(v.profile, 'small'), h('span', { class: 'viewer-name' }, v.profile.display_name),
          h('span', { class: 'viewer-reactions' }, v.reactions.join(' ')), h('time', {}, ago(v.viewed_at)))))
        : h('p', { class: 'empty small' }, t('noViewers')));
  }

  function show() {
    const ring = queue[ri];
    const p = current();
    if (!ring || !p) {
      close();
      return;
    }
    const mine = p.author.id === state.me.id;
    mount(bars, ring.pungs.map((_, i) => {
      const fill = h('span', {});
      fill.style.width = i < pi ? '100%' : '0%';
      return h('span', { class: 'bar' }, fill);
    }));
    const card = pungCard(p, { onVote: (option) => vote(p, option) });
    mount(body,
      h('header', { class: 'pung-head' }, avatarOf(p.author, 'small'),
        h('span', { class: 'pung-who' }, h('strong', {}, p.author.display_name), ' ',
          h('span', { class: 'pung-when' }, `${ago(p.created_at)} · ${t('expiresIn', { t: left(p.expires_at) })}`)),
        h('button', { type: 'button', class: 'icon-button light', 'aria-label': t('close'), onclick: close }, '✕')),
      h('div', { class: 'pung-frame' }, card,
        h('button', { type: 'button', class: 'tap prev', 'aria-label': t('previous'), onclick: () => step(-1) }),
        h('button', { type: 'button', class: 'tap next', 'aria-label': t('next'), onclick: () => step(1) })),
      mine ? ownFooter(p) : friendFooter(p));
    if (!mine && !p.seen) {
      api.post(`/pungs/${p.id}/views`).then(() => { markSeen(p.id); p.seen = true; }).catch(() => {});
    }
  }

  dialog.addEventListener('keydown', (e) => {
    if (/** @type {HTMLElement} */ (e.target).closest('input')) return;
    if (e.key === 'ArrowRight') step(1);
    if (e.key === 'ArrowLeft') step(-1);
  });
  dialog.showModal();
  show();
}
