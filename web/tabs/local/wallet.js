// @ts-check
/**
 * The coupon wallet, `#/local/wallet`: every coupon I claimed, newest
 * first, with the code to show at the shop; used and expired ones greyed.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { dateOf } from './shop.js';

/** @param {HTMLElement} main @returns {null} */
export function renderWallet(main) {
  const body = h('div', { class: 'wallet' });
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/local', class: 'icon-button', 'aria-label': t('back') }, '‹'), h('h1', {}, t('myCoupons'))), body);
  api.get('/me/coupons').then((claims) => {
    const now = Date.now();
    mount(body, claims.length ? h('ul', { class: 'wallet-list', id: 'wallet' }, claims.map((/** @type {any} */ c) => {
      const used = c.redeemed_at !== null && c.redeemed_at !== undefined;
      const expired = !used && c.coupon.ends_at < now;
      return h('li', { class: `ticket${used || expired ? ' spent' : ''}`, dataset: { claim: c.id } },
        h('div', { class: 'ticket-main' },
          h('a', { href: `#/local/shop/${c.coupon.shop_id}`, class: 'ticket-shop' }, c.shop_name),
          h('strong', { class: 'ticket-title' }, c.coupon.title),
          h('span', { class: 'muted' }, used ? t('usedOn', { date: dateOf(c.redeemed_at) })
            : expired ? t('expired') : t('until', { date: dateOf(c.coupon.ends_at) }))),
        h('div', { class: 'ticket-code', 'aria-label': t('showCode') },
          h('span', { class: 'muted' }, t('showCode')), h('code', {}, c.code)));
    })) : h('section', { class: 'empty' }, h('div', { class: 'empty-icon', 'aria-hidden': 'true' }, '🎟️'), h('p', {}, t('noClaims'))));
  }).catch((err) => {
    const error = h('p', { class: 'form-error', role: 'alert' });
    showError(error, err);
    mount(body, error);
  });
  return null;
}
