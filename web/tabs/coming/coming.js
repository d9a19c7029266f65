// @ts-check
/** The Local tab until its feature arrives: an honest
 * empty state, not fake content. Each tab gets its own folder's screens
 * with its feature. */

import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';

const MESSAGES = /** @type {const} */ ({ local: 'comingLocal' });
const ICONS = { local: '📍' };

/** @param {HTMLElement} main @param {string} tab */
export function renderComing(main, tab) {
  const key = MESSAGES[/** @type {keyof typeof MESSAGES} */ (tab)] ?? 'comingLocal';
  mount(main, h('header', { class: 'pane-header' }, h('h1', {}, t(/** @type {any} */ (tab)))),
    h('section', { class: 'empty' },
      h('div', { class: 'empty-icon', 'aria-hidden': 'true' }, ICONS[/** @type {keyof typeof ICONS} */ (tab)] ?? '📍'),
      h('p', {}, t(key))));
}
