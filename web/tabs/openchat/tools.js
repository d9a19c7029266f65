// @ts-check
/**
 * What an open chat's room adds to the chat screen: the notice banner, the
 * members panel (roles; kick, kick and ban, co-hosts for those who may),
 * and per message: report, and for hosts and co-hosts hide/restore and
 * pin as notice; the host's settings and their subscriptions and earnings
 * sheet; hosts' and co-hosts' spam screening and its review; and the ad
 * placed for the caller, whose impression is reported when it is on
 * screen and whose click when it is opened (the server counts each once).
 * The server decides who may do what; these only offer what the caller's
 * role allows.
 */

import { api } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { remember, state } from '../../lib/state.js';
import { settingsSheet } from './create.js';
import { subscriptionSheet } from './earnings.js';
import { pendingCount, reviewSheet } from './review.js';

const RANK = /** @type {Record<string, number>} */ ({ member: 0, cohost: 1, host: 2 });

/**
 * @param {any} room the room (kind `open` or `open_direct`)
 * @param {(seq: number) => any} messageAt a loaded message by seq
 * @param {() => void} onLoaded called when roles are known (actions change)
 */
export function openTools(room, messageAt, onLoaded) {
  /** @type {any} */
  let chat = null;
  /** @type {Map<number, any>} room identity → member */
  const members = new Map();
  const banner = h('div', { class: 'oc-notice', hidden: true, role: 'note' });
  const adSlot = h('aside', { class: 'oc-ad', hidden: true, 'aria-label': t('sponsored') });
  const myRole = () => chat?.mine?.me?.role ?? 'member';
  const moderates = () => RANK[myRole()] >= 1;
  const roleOf = (/** @type {number} */ id) => members.get(id)?.role ?? 'member';
  /** May I act on someone of this role? */
  const outrank = (/** @type {number} */ id) => id !== room.my_id && RANK[myRole()] > RANK[roleOf(id)];

  async function load() {
    chat = await api.get(`/openchats/${room.open_chat}`);
    const page = await api.get(`/rooms/${room.id}/open-members?limit=200`);
    members.clear();
    for (const m of page.members) {
      members.set(m.id, m);
      remember({ id: m.id, display_name: m.nickname, avatar: m.avatar, avatar_seed: m.avatar_seed, bot: m.bot });
    }
    drawBanner();
    drawHostTools();
    onLoaded();
  }

  /** The ad placed for me here, if any, and its impression: once per
   * opening of the room (the server counts each placement once). */
  async function drawAd() {
    if (room.kind !== 'open') return;
    const p = await api.get(`/rooms/${room.id}/ad`).catch(() => null);
    adSlot.hidden = !p;
    if (!p) return;
    mount(adSlot, h('a', { href: p.link, class: `oc-ad-${p.format}`, target: '_blank', rel: 'noopener noreferrer sponsored',
      dataset: { placement: p.id }, onclick: (/** @type {Event} */ e) => {
        e.preventDefault();
        const opened = window.open('about:blank', '_blank');
        api.post(`/ads/placements/${p.id}/click`).then((c) => {
          if (opened) { opened.opener = null; opened.location.href = c.link; }
        }).catch(() => opened?.close());
      } },
    h('span', { class: 'oc-ad-label' }, `${t('sponsored')} · ${p.advertiser}`),
    h('strong', { class: 'oc-ad-title' }, p.title),
    p.body ? h('span', { class: 'oc-ad-body' }, p.body) : null));
    await api.post(`/ads/placements/${p.id}/impression`).catch(() => {});
  }

  const hostButton = h('button', { type: 'button', class: 'icon-button', id: 'oc-subs', hidden: true,
    'aria-label': t('subscriptions'), title: t('subscriptions'), onclick: () => subscriptionSheet(room.open_chat) }, '💰');
  const settingsButton = h('button', { type: 'button', class: 'icon-button', id: 'oc-settings', hidden: true,
    'aria-label': t('chatSettings'), title: t('chatSettings'), onclick: () => settingsSheet(room.open_chat, () => load()) }, '⚙️');
  const reviewButton = h('button', { type: 'button', class: 'icon-button', id: 'oc-review', hidden: true,
    'aria-label': t('screening'), title: t('screening'), onclick: () => reviewSheet(room.open_chat, () => drawReviewCount()) }, '🛡️');
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let recount;
  /** Hosts see how many messages wait for their review. */
  async function drawReviewCount() {
    const n = await pendingCount(room.open_chat);
    reviewButton.textContent = n ? `🛡️ ${n}` : '🛡️';
    reviewButton.classList.toggle('has-pending', n > 0);
  }
  function drawHostTools() {
    hostButton.hidden = !(myRole() === 'host' && room.kind === 'open');
    settingsButton.hidden = myRole() !== 'host';
    reviewButton.hidden = !(moderates() && room.kind === 'open');
    if (!reviewButton.hidden) drawReviewCount();
  }

  function drawBanner() {
    const seq = chat?.notice;
    banner.hidden = !seq;
    if (!seq) return;
    const m = messageAt(seq);
    mount(banner, h('span', { class: 'oc-notice-label' }, `📢 ${t('notice')}`),
      h('span', { class: 'oc-notice-text' }, m?.text ?? ''),
      moderates() ? h('button', { type: 'button', class: 'small', onclick: async () => {
        await api.del(`/openchats/${room.open_chat}/notice`);
        await load();
      } }, t('unpinNotice')) : null);
  }

  /** @param {string} path @param {string} method */
  const act = async (method, path, body) => {
    await api.request(method, path, body);
  };

  function membersPanel() {
    const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet oc-members', 'aria-label': t('members') }));
    const list = h('ul', { class: 'oc-member-list' });
    const draw = () => mount(list, [...members.values()].sort((a, b) => RANK[b.role] - RANK[a.role]).map((m) => h('li', { dataset: { member: m.id } },
      avatarOf(m, 'small'),
      h('span', { class: 'oc-member-name' }, m.nickname, m.id === room.my_id ? ' (me)' : '',
        m.bot ? h('span', { class: 'bot-mark', title: t('bot'), 'aria-label': t('bot') }, ' 🤖') : null),
      m.role !== 'member' ? h('span', { class: `chip role-${m.role}` }, m.role === 'host' ? t('host') : t('cohost')) : null,
      outrank(m.id) ? h('span', { class: 'oc-member-actions' },
        h('button', { type: 'button', class: 'small', dataset: { kick: m.id }, onclick: async () => {
          await act('POST', `/rooms/${room.id}/kicks`, { member_id: m.id, ban: false });
          await load();
          draw();
        } }, t('kick')),
        h('button', { type: 'button', class: 'small danger', dataset: { ban: m.id }, onclick: async () => {
          if (!confirm(`${t('kickBan')}: ${m.nickname}?`)) return;
          await act('POST', `/rooms/${room.id}/kicks`, { member_id: m.id, ban: true });
          await load();
          draw();
        } }, t('kickBan')),
        myRole() === 'host' && m.role === 'member' && room.kind === 'open' ? h('button', { type: 'button', class: 'small', onclick: async () => {
          await act('PUT', `/openchats/${room.open_chat}/cohosts/${m.id}`);
          await load();
          draw();
        } }, t('makeCohost')) : null) : null)));
    draw();
    dialog.append(h('h2', {}, `${t('members')} ${members.size}`), list,
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
    document.body.append(dialog);
    dialog.addEventListener('close', () => dialog.remove());
    dialog.showModal();
  }

  const header = h('button', { type: 'button', class: 'icon-button', id: 'oc-members', 'aria-label': t('members'), title: t('members'),
    onclick: () => load().then(membersPanel) }, '👥');

  /** Extra actions on one message. @param {any} m */
  function actionsFor(m) {
    const mine = m.sender_id === room.my_id;
    return [
      !mine && !m.hidden ? h('button', { type: 'button', 'aria-label': t('report'), title: t('report'), onclick: async (/** @type {Event} */ e) => {
        const button = /** @type {HTMLButtonElement} */ (e.currentTarget);
        await api.post('/reports', { target: { type: 'message', room_id: room.id, seq: m.seq }, reason: 'spam' });
        button.textContent = '✓';
        button.setAttribute('aria-label', t('reported'));
      } }, '🚩') : null,
      moderates() && !m.hidden && (mine || outrank(m.sender_id)) ? h('button', { type: 'button', 'aria-label': t('hideMsg'), title: t('hideMsg'),
        dataset: { hide: m.seq }, onclick: () => act('PUT', `/rooms/${room.id}/messages/${m.seq}/hidden`) }, '🙈') : null,
      moderates() && m.hidden ? h('button', { type: 'button', 'aria-label': t('restore'), title: t('restore'),
        onclick: () => act('DELETE', `/rooms/${room.id}/messages/${m.seq}/hidden`) }, '↺') : null,
      moderates() && !m.hidden && !m.thread_root && room.kind === 'open' ? h('button', { type: 'button', 'aria-label': t('pinNotice'), title: t('pinNotice'),
        onclick: async () => { await act('PUT', `/openchats/${room.open_chat}/notice`, { seq: m.seq }); await load(); } }, '📢') : null,
    ];
  }

  return {
    load,
    banner,
    ad: adSlot,
    /** Places and shows the ad; call once when the room opens. */
    loadAd: drawAd,
    header: [settingsButton, reviewButton, hostButton, header],
    actionsFor,
    /** Redraws what depends on messages: the notice text, and for hosts
     * the count waiting for review (screening hides after the send). */
    refresh: () => {
      drawBanner();
      if (reviewButton.hidden) return;
      clearTimeout(recount);
      recount = setTimeout(drawReviewCount, 1000);
    },
    /** A member's nickname by room identity. @param {number} id */
    nameOf: (id) => members.get(id)?.nickname ?? state.people.get(id)?.display_name,
  };
}
