// @ts-check
/**
 * A shop's page, `#/local/shop/{id}`: photos, category, open now, hours,
 * address and distance, becoming a regular (단골), its channel, and its
 * coupons to claim. The shop's own agents also issue coupons here and
 * redeem the code a customer shows.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { currentLang, showError, t } from '../../lib/i18n.js';
import { distanceText } from './map.js';
import { CATEGORY_ICONS, categoryName, haversine, savedPoint } from './local.js';

/** The week as the API names its days. */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A date in the person's language. @param {number} ms */
export function dateOf(ms) {
  return new Date(ms).toLocaleDateString(currentLang() === 'ko' ? 'ko-KR' : 'en', { month: 'short', day: 'numeric' });
}

/** The week's hours, days without hours shown closed. @param {any[]} hours */
function hoursTable(hours) {
  const names = t('weekdays').split(',');
  return h('table', { class: 'shop-hours', 'aria-label': t('openingHours') },
    h('tbody', {}, DAYS.map((d, i) => {
      const spans = hours.filter((x) => x.day === d);
      return h('tr', {}, h('th', {}, names[i] ?? d),
        h('td', {}, spans.length ? spans.map((x) => `${x.open}–${x.close}`).join(', ') : t('closedDay')));
    })));
}

/** One coupon, with Claim for customers. @param {any} c @param {() => void} reload */
function couponCard(c, reload) {
  const error = h('span', { class: 'form-error' });
  const soldOut = c.remaining <= 0;
  const mine = c.claimed_by_me >= c.per_person;
  return h('li', { class: 'coupon', dataset: { coupon: c.id } },
    h('div', { class: 'coupon-main' },
      h('strong', { class: 'coupon-title' }, c.title),
      c.description ? h('span', { class: 'coupon-desc' }, c.description) : null,
      h('span', { class: 'coupon-meta' },
        t('couponLeft', { n: c.remaining, of: c.quantity }), ' · ', t('until', { date: dateOf(c.ends_at) }),
        c.regulars_only ? h('span', { class: 'chip' }, t('regularsOnly')) : null)),
    h('div', { class: 'coupon-side' },
      h('button', { type: 'button', class: 'primary small coupon-claim', disabled: soldOut || mine, onclick: async () => {
        try {
          await api.post(`/coupons/${c.id}/claims`);
          reload();
        } catch (err) { showError(error, err); }
      } }, mine ? t('claimed') : soldOut ? t('soldOut') : t('claim')),
      error));
}

/** @param {HTMLElement} main @param {number} id @returns {null} */
export function renderShop(main, id) {
  const body = h('div', { class: 'shop-page' });
  const title = h('h1', {}, '…');
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/local', class: 'icon-button', 'aria-label': t('back') }, '‹'), title), body);
  /** The shop's own tools, made once: a reload keeps what they show (a redemption's result). */
  /** @type {HTMLElement | null} */
  let tools = null;

  async function load() {
    try {
      const [shop, coupons, businesses] = await Promise.all([
        api.get(`/shops/${id}`), api.get(`/shops/${id}/coupons`), api.get('/businesses'),
      ]);
      if (businesses.some((/** @type {any} */ b) => b.id === shop.business_id)) tools ??= agentTools(id, load);
      const point = savedPoint();
      const error = h('p', { class: 'form-error', role: 'alert' });
      title.textContent = shop.name;
      mount(body,
        shop.photos.length ? h('div', { class: 'shop-photos' }, shop.photos.map((/** @type {string} */ p) =>
          h('img', { src: api.mediaUrl(`${p}.thumb`), alt: '', loading: 'lazy' }))) : null,
        h('p', { class: 'shop-head' },
          h('span', { class: 'shop-cat' }, `${CATEGORY_ICONS[shop.category] ?? ''} ${categoryName(shop.category)}`),
          h('span', { class: shop.open_now ? 'shop-open' : 'shop-closed', id: 'shop-open' }, shop.open_now ? t('openNow') : t('closedNow')),
          point ? h('span', { class: 'muted' }, distanceText(haversine(point, shop))) : null),
        shop.description ? h('p', {}, shop.description) : null,
        h('p', { class: 'shop-address' }, `📍 ${shop.address}`, shop.phone ? h('span', { class: 'muted' }, ` · ☎ ${shop.phone}`) : null),
        h('div', { class: 'shop-actions' },
          h('button', { type: 'button', id: 'shop-regular', class: shop.regular ? 'small' : 'primary small', onclick: async () => {
            try {
              await api.request(shop.regular ? 'DELETE' : 'PUT', `/shops/${id}/regular`);
              load();
            } catch (err) { showError(error, err); }
          } }, shop.regular ? `✓ ${t('regular')}` : `＋ ${t('becomeRegular')}`),
          h('span', { class: 'muted', id: 'shop-regulars' }, t('regularsCount', { n: shop.regular_count })),
          shop.channel_id ? h('a', { class: 'button small', href: `#/local/channel/${shop.channel_id}`, id: 'shop-channel' }, `💬 ${t('channel')}`) : null),
        error,
        h('section', { class: 'shop-section' }, h('h3', {}, t('openingHours')), hoursTable(shop.hours)),
        h('section', { class: 'shop-section', id: 'shop-coupons' }, h('h3', {}, t('coupons')),
          coupons.length ? h('ul', { class: 'coupon-list' }, coupons.map((/** @type {any} */ c) => couponCard(c, load)))
            : h('p', { class: 'muted' }, t('noCoupons'))),
        tools);
    } catch (err) {
      const error = h('p', { class: 'form-error', role: 'alert' });
      showError(error, err);
      mount(body, error);
    }
  }
  load();
  return null;
}

/** Issuing a coupon and redeeming a customer's code. @param {number} shop @param {() => void} reload */
function agentTools(shop, reload) {
  const couponError = h('p', { class: 'form-error' });
  const redeemNote = h('p', { class: 'note', id: 'redeem-result', role: 'status' });
  const redeemError = h('p', { class: 'form-error', id: 'redeem-error' });
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {Record<string, any>} */ attrs = {}) =>
    [h('label', { for: id }, label), h('input', { id, ...attrs })];
  const inWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value;
  return h('section', { class: 'shop-section shop-agent', 'aria-label': t('forTheShop') },
    h('h3', {}, `🏪 ${t('forTheShop')}`),
    h('form', { class: 'redeem-form', onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      redeemNote.textContent = '';
      redeemError.textContent = '';
      try {
        const r = await api.post(`/shops/${shop}/redemptions`, { code: value('redeem-code').trim() });
        redeemNote.textContent = `✓ ${t('redeemed')}: ${r.title}`;
        reload();
      } catch (err) { showError(redeemError, err); }
    } }, ...field('redeem-code', t('customerCode'), { autocomplete: 'off', required: true }),
    h('button', { type: 'submit', class: 'primary small', id: 'redeem' }, t('redeem')), redeemNote, redeemError),
    h('details', { class: 'coupon-form-box' }, h('summary', {}, t('issueCoupon')),
      h('form', { class: 'coupon-form', onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        couponError.textContent = '';
        try {
          const ends = new Date(`${value('coupon-ends')}T23:59:59`).getTime();
          await api.post(`/shops/${shop}/coupons`, {
            title: value('coupon-title'), description: value('coupon-desc'),
            quantity: Number(value('coupon-qty')), per_person: Number(value('coupon-per')),
            regulars_only: /** @type {HTMLInputElement} */ (document.getElementById('coupon-regulars')).checked, ends_at: ends,
          });
          reload();
        } catch (err) { showError(couponError, err); }
      } },
      ...field('coupon-title', t('title'), { required: true, maxlength: 50 }),
      ...field('coupon-desc', t('description')),
      ...field('coupon-qty', t('quantity'), { type: 'number', min: 1, value: 100, required: true }),
      ...field('coupon-per', t('perPerson'), { type: 'number', min: 1, value: 1, required: true }),
      ...field('coupon-ends', t('validUntil'), { type: 'date', value: inWeek, required: true }),
      h('label', { class: 'pick', for: 'coupon-regulars' }, h('input', { type: 'checkbox', id: 'coupon-regulars' }), t('regularsOnly')),
      h('button', { type: 'submit', class: 'primary small', id: 'coupon-issue' }, t('issueCoupon')), couponError)));
}
