// @ts-check
/**
 * A channel's page, `#/local/channel/{id}`: its profile and posts, adding
 * it as a friend with each consent asked separately (informational on,
 * advertising and advertising at night only when ticked), changing them
 * later, removing it, and opening my 1:1 room with it.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { mergeRoom, remember, changed } from '../../lib/state.js';
import { dateOf } from './shop.js';

/** The consent checkboxes, ticked as `c` says. @param {any} c */
function consentBoxes(c) {
  const box = (/** @type {string} */ id, /** @type {boolean} */ on, /** @type {string} */ label, /** @type {string} */ hint) =>
    h('label', { class: 'pick consent', for: id }, h('input', { type: 'checkbox', id, checked: on }),
      h('span', {}, label, h('span', { class: 'muted consent-hint' }, hint)));
  return h('fieldset', { class: 'consents' }, h('legend', {}, t('whatToReceive')),
    box('consent-info', c?.informational ?? true, t('consentInformational'), t('consentInformationalHint')),
    box('consent-marketing', c?.marketing ?? false, t('consentMarketing'), t('consentMarketingHint')),
    box('consent-night', c?.marketing_night ?? false, t('consentNight'), t('consentNightHint')));
}

/** @param {string} id */
const ticked = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).checked;

/** Opens my room with the channel in Chats. @param {number} channel */
export async function openChannelRoom(channel) {
  const room = await api.get(`/channels/${channel}/room`);
  mergeRoom(room);
  if (room.peer) remember(room.peer);
  changed('rooms');
  location.hash = `#/chats/${room.id}`;
}

/** @param {HTMLElement} main @param {number} id @returns {null} */
export function renderChannel(main, id) {
  const body = h('div', { class: 'channel-page' });
  const title = h('h1', {}, '…');
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/local', class: 'icon-button', 'aria-label': t('back') }, '‹'), title), body);

  async function load() {
    const error = h('p', { class: 'form-error', role: 'alert' });
    try {
      const [ch, posts] = await Promise.all([api.get(`/channels/${id}`), api.get(`/channels/${id}/posts`)]);
      title.textContent = ch.name;
      const consents = () => ({
        informational: ticked('consent-info'), marketing: ticked('consent-marketing'),
        marketing_night: ticked('consent-marketing') && ticked('consent-night'),
      });
      const act = (/** @type {() => Promise<any>} */ fn) => async () => {
        error.textContent = '';
        try { await fn(); } catch (err) { showError(error, err); }
      };
      mount(body,
        h('div', { class: 'channel-card' },
          h('span', { class: 'avatar big', 'aria-hidden': 'true' }, '🏪'),
          h('div', {},
            h('strong', { class: 'channel-name' }, ch.name),
            h('span', { class: 'muted' }, ` @${ch.handle}`),
            h('p', { class: 'muted', id: 'channel-friends' }, t('channelFriends', { n: ch.friend_count })),
            ch.description ? h('p', {}, ch.description) : null,
            ch.assistant ? h('p', { class: 'muted', id: 'channel-assistant' }, t('channelAssistant')) : null)),
        consentBoxes(ch.mine),
        h('div', { class: 'channel-actions' },
          ch.mine
            ? [h('button', { type: 'button', class: 'primary', id: 'channel-chat', onclick: act(() => openChannelRoom(id)) }, `💬 ${t('chat')}`),
              h('button', { type: 'button', id: 'channel-save', onclick: act(async () => { await api.request('PUT', `/channels/${id}/friend`, consents()); await load(); }) }, t('save')),
              h('button', { type: 'button', class: 'danger', id: 'channel-remove', onclick: act(async () => { await api.del(`/channels/${id}/friend`); await load(); }) }, t('removeChannel'))]
            : h('button', { type: 'button', class: 'primary', id: 'channel-add', onclick: act(async () => { await api.request('PUT', `/channels/${id}/friend`, consents()); await load(); }) }, `＋ ${t('addChannel')}`)),
        error,
        h('section', { class: 'channel-posts', 'aria-label': t('posts') }, h('h3', {}, t('posts')),
          posts.posts.length ? h('ul', { class: 'post-list' }, posts.posts.map((/** @type {any} */ p) => h('li', { class: 'post' },
            p.photos.length ? h('div', { class: 'shop-photos' }, p.photos.map((/** @type {string} */ m) => h('img', { src: api.mediaUrl(`${m}.thumb`), alt: '', loading: 'lazy' }))) : null,
            h('p', { class: 'post-text' }, p.text), h('time', { class: 'muted' }, dateOf(p.created_at)))))
            : h('p', { class: 'muted' }, t('noPosts'))));
    } catch (err) {
      showError(error, err);
      mount(body, error);
    }
  }
  load();
  return null;
}
