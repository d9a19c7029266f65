// @ts-check
/**
 * The Open Chat tab. `#/openchat`: search, trending keywords, categories,
 * the topics I follow, recommendations with their reasons, trending today.
 * `#/openchat/search/{q}` and `#/openchat/category/{c}` list results;
 * `#/openchat/new` creates one; `#/openchat/{id}` and `#/openchat/link/{code}`
 * show one with its join flow; `#/openchat/earnings` is the host's money.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { openChatCategory, t } from '../../lib/i18n.js';
import { renderOpenChat } from './chat.js';
import { renderCreate } from './create.js';
import { renderEarnings } from './earnings.js';

const CATEGORY_ICONS = /** @type {Record<string, string>} */ ({
  friends: '👋', hobby: '🎨', travel: '✈️', food: '🍜', sports: '⚽', outdoors: '⛰️', study: '📚', career: '💼',
  tech: '💻', games: '🎮', music: '🎵', movies: '🎬', books: '📖', art: '🖼️', pets: '🐾', parenting: '🍼',
  fashion: '👗', beauty: '💄', finance: '💰', health: '🏃', local: '📍', fandom: '⭐',
});

/** One open chat in a list. @param {any} c */
export function chatCard(c) {
  const reason = c.reason?.type === 'interest' ? t('becauseTopic', { tag: c.reason.tag })
    : c.reason?.type === 'similar_to' ? t('becauseRoom', { title: c.reason.title })
      : c.reason?.type === 'topic' ? t('closeToYou')
        : c.reason?.type === 'popular' ? t('popularNow') : null;
  return h('li', {}, h('a', { href: `#/openchat/${c.id}`, class: 'oc-card', dataset: { openChat: c.id } },
    c.cover ? h('img', { class: 'oc-cover', src: api.mediaUrl(`${c.cover}.thumb`), alt: '', loading: 'lazy' })
      : h('span', { class: 'oc-cover', 'aria-hidden': 'true' }, CATEGORY_ICONS[c.category] ?? '💬'),
    h('span', { class: 'oc-main' },
      h('span', { class: 'oc-title' }, c.title,
        c.has_entry_code ? h('span', { class: 'oc-flag', title: t('codeRequired') }, '🔒') : null),
      h('span', { class: 'oc-tags' }, c.hashtags.map((/** @type {string} */ x) => `#${x}`).join(' ')),
      reason ? h('span', { class: 'oc-reason' }, reason) : null),
    h('span', { class: 'oc-meta' },
      h('span', { class: 'oc-count' }, `👤 ${c.member_count}`),
      c.joined ? h('span', { class: 'oc-joined' }, t('joined')) : null)));
}

/** A titled list of open chats. @param {string} title @param {any[]} chats @param {string} id */
function section(title, chats, id) {
  return h('section', { class: 'oc-section', 'aria-label': title, id },
    h('h3', {}, title),
    chats.length ? h('ul', { class: 'oc-list' }, chats.map(chatCard)) : h('p', { class: 'empty small' }, t('noResults')));
}

/** @param {HTMLElement} body @param {string} path */
async function results(body, path) {
  mount(body, h('p', { class: 'muted center' }, '…'));
  try {
    const page = await api.get(path);
    mount(body, section(t('search'), page.open_chats, 'oc-results'));
  } catch (err) {
    mount(body, h('p', { class: 'form-error', role: 'alert' }, /** @type {Error} */ (err).message));
  }
}

/** The topics I follow, editable in place. @param {string[]} tags */
function topics(tags) {
  const box = h('section', { class: 'oc-topics', 'aria-label': t('myTopics') });
  const draw = (/** @type {string[]} */ list) => {
    const input = /** @type {HTMLInputElement} */ (h('input', { id: 'oc-topics', value: list.join(' '), placeholder: t('topicsHint'), 'aria-label': t('myTopics') }));
    const error = h('span', { class: 'form-error' });
    mount(box, h('h3', {}, t('myTopics')),
      h('form', { class: 'oc-topic-form', onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        try {
          const saved = await api.request('PUT', '/me/interests', { tags: input.value.split(/[\s,]+/).filter(Boolean) });
          draw(saved.tags);
          location.hash = '#/openchat';
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        } catch (err) { error.textContent = /** @type {Error} */ (err).message; }
      } }, input, h('button', { type: 'submit', class: 'small' }, t('save')), error));
  };
  draw(tags);
  return box;
}

/** @param {HTMLElement} main @param {string | undefined} arg @param {string | undefined} more */
export function renderOpenChatTab(main, arg, more) {
  if (arg === 'new') {
    renderCreate(main);
    return;
  }
  if (arg === 'earnings') {
    renderEarnings(main);
    return;
  }
  if (arg === 'link' && more) {
    renderOpenChat(main, { code: decodeURIComponent(more) });
    return;
  }
  if (arg && /^\d+$/.test(arg)) {
    renderOpenChat(main, { id: Number(arg) });
    return;
  }
  const body = h('div', { class: 'oc-body' });
  const search = /** @type {HTMLInputElement} */ (h('input', { id: 'oc-search', type: 'search', placeholder: t('openSearch'), 'aria-label': t('openSearch'),
    value: arg === 'search' && more ? decodeURIComponent(more) : '' }));
  const form = h('form', { class: 'oc-search', role: 'search', onsubmit: (/** @type {Event} */ e) => {
    e.preventDefault();
    if (search.value.trim()) location.hash = `#/openchat/search/${encodeURIComponent(search.value.trim())}`;
  } }, search, h('button', { type: 'submit', class: 'primary' }, t('search')));
  mount(main,
    h('header', { class: 'pane-header' }, h('h1', {}, t('openchat')),
      h('div', { class: 'header-actions' },
        h('a', { href: '#/openchat/earnings', class: 'button small', id: 'my-earnings' }, `💰 ${t('earnings')}`),
        h('a', { href: '#/openchat/new', class: 'button primary small', id: 'new-open-chat' }, `＋ ${t('newOpenChat')}`))),
    h('div', { class: 'oc-home' }, form, body));
  if (arg === 'search' && more) {
    results(body, `/openchats/search?q=${encodeURIComponent(decodeURIComponent(more))}&limit=30`);
    return;
  }
  if (arg === 'category' && more) {
    results(body, `/openchats/browse?category=${encodeURIComponent(more)}&limit=30`);
    return;
  }
  (async () => {
    const [keywords, categories, interests, recommended, trending] = await Promise.all([
      api.get('/openchats/keywords'), api.get('/openchats/categories'), api.get('/me/interests'),
      api.get('/openchats/recommended?limit=10'), api.get('/openchats/trending?limit=10'),
    ]);
    mount(body,
      keywords.keywords.length ? h('div', { class: 'oc-keywords', 'aria-label': t('trendingToday') },
        keywords.keywords.map((/** @type {string} */ k) => h('a', { class: 'chip', href: `#/openchat/search/${encodeURIComponent(k)}` }, `#${k}`))) : null,
      h('nav', { class: 'oc-categories', 'aria-label': t('categories') }, categories.map((/** @type {string} */ c) =>
        h('a', { href: `#/openchat/category/${c}`, class: 'oc-category', dataset: { category: c } },
          h('span', { 'aria-hidden': 'true' }, CATEGORY_ICONS[c] ?? '💬'), h('span', {}, openChatCategory(c))))),
      topics(interests.tags),
      section(t('recommendedForYou'), recommended, 'oc-recommended'),
      section(t('trendingToday'), trending, 'oc-trending'));
  })().catch((err) => mount(body, h('p', { class: 'form-error', role: 'alert' }, err.message)));
}
