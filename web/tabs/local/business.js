// @ts-check
/**
 * The business console's front page, `#/local/business`: the businesses I
 * work for, each with its channels (to their inbox, campaigns and posts),
 * its shops (to coupons and redemption) and agents; starting a business,
 * opening a channel or a shop, adding an agent.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { CATEGORY_ICONS, categoryName, savedPoint } from './local.js';
import { DAYS } from './shop.js';

/** A small form: labelled inputs, a submit button, an error line. A
 * field with `days` is a row of weekday checkboxes; its value is the
 * checked days, comma-separated.
 * @param {string} id @param {string} submit @param {[string, string, Record<string, any>?][]} fields
 * @param {(values: Record<string, string>) => Promise<void>} done */
function form(id, submit, fields, done) {
  const error = h('p', { class: 'form-error' });
  const names = t('weekdays').split(',');
  const inputs = fields.map(([name, label, attrs]) => {
    if (attrs?.days) {
      return h('fieldset', { class: 'days', id: `${id}-${name}` }, h('legend', {}, label),
        DAYS.map((d, i) => h('label', {}, h('input', { type: 'checkbox', value: d, id: `${id}-${name}-${d}` }), names[i] ?? d)));
    }
    const input = attrs?.options
      ? h('select', { id: `${id}-${name}` }, attrs.options.map((/** @type {[string, string]} */ [v, l]) => h('option', { value: v }, l)))
      : h('input', { id: `${id}-${name}`, name, ...attrs });
    return [h('label', { for: `${id}-${name}` }, label), input];
  });
  return h('form', { class: 'console-form', id, onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    /** @type {Record<string, string>} */
    const values = {};
    for (const [name, , attrs] of fields) {
      const el = /** @type {HTMLInputElement} */ (document.getElementById(`${id}-${name}`));
      values[name] = attrs?.days
        ? [...el.querySelectorAll('input:checked')].map((c) => /** @type {HTMLInputElement} */ (c).value).join(',')
        : el.value;
    }
    try { await done(values); } catch (err) { showError(error, err); }
  } }, inputs, h('button', { type: 'submit', class: 'primary small', id: `${id}-submit` }, submit), error);
}

/** @param {HTMLElement} main @returns {null} */
export function renderBusiness(main) {
  const body = h('div', { class: 'console' });
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/local', class: 'icon-button', 'aria-label': t('back') }, '‹'), h('h1', {}, t('myBusiness'))), body);

  async function load() {
    const [businesses, categories] = await Promise.all([api.get('/businesses'), api.get('/shops/categories')]);
    const parts = await Promise.all(businesses.map(async (/** @type {any} */ b) => {
      const [channels, shops, agents] = await Promise.all([
        api.get(`/businesses/${b.id}/channels`), api.get(`/businesses/${b.id}/shops`), api.get(`/businesses/${b.id}/agents`),
      ]);
      return { b, channels, shops, agents };
    }));
    const point = savedPoint() ?? { lat: 37.5663, lon: 126.9779 };
    mount(body,
      parts.length ? null : h('p', { class: 'muted' }, t('noBusiness')),
      parts.map(({ b, channels, shops, agents }) => h('section', { class: 'business', dataset: { business: b.id } },
        h('h2', {}, b.name, h('span', { class: 'chip' }, b.role === 'owner' ? t('owner') : t('agent'))),
        h('h3', {}, t('channels')),
        channels.length ? h('ul', { class: 'console-list' }, channels.map((/** @type {any} */ c) => h('li', {},
          h('a', { href: `#/local/console/${c.id}`, class: 'console-link', dataset: { channel: c.id } }, `💬 ${c.name}`),
          h('span', { class: 'muted' }, ` @${c.handle} · ${t('channelFriends', { n: c.friend_count })}`))))
          : h('p', { class: 'muted' }, t('noChannels')),
        h('details', {}, h('summary', {}, t('newChannel')),
          form(`new-channel-${b.id}`, t('create'), [
            ['handle', t('handle'), { required: true, pattern: '[a-z0-9_]{3,30}' }], ['name', t('title'), { required: true }],
            ['description', t('description')],
          ], async (v) => { await api.post(`/businesses/${b.id}/channels`, v); await load(); })),
        h('h3', {}, t('shops')),
        shops.length ? h('ul', { class: 'console-list' }, shops.map((/** @type {any} */ s) => h('li', {},
          h('a', { href: `#/local/shop/${s.id}`, class: 'console-link', dataset: { shop: s.id } }, `${CATEGORY_ICONS[s.category] ?? ''} ${s.name}`),
          h('span', { class: 'muted' }, ` ${s.address} · ${t('regularsCount', { n: s.regular_count })}`))))
          : h('p', { class: 'muted' }, t('noShopsYet')),
        h('details', {}, h('summary', {}, t('newShop')),
          form(`new-shop-${b.id}`, t('create'), [
            ['name', t('title'), { required: true }],
            ['category', t('category'), { options: categories.map((/** @type {string} */ c) => [c, categoryName(c)]) }],
            ['address', t('address'), { required: true }],
            ['lat', t('latitude'), { type: 'number', step: 'any', value: point.lat, required: true }],
            ['lon', t('longitude'), { type: 'number', step: 'any', value: point.lon, required: true }],
            ['open', t('opensAt'), { type: 'time', value: '09:00' }], ['close', t('closesAt'), { type: 'time', value: '21:00' }],
            ['closed', t('closedOn'), { days: true }],
            ['channel', t('channel'), { options: [['', '—'], ...channels.map((/** @type {any} */ c) => [String(c.id), c.name])] }],
          ], async (v) => {
            const closed = v.closed.split(',');
            const hours = v.open && v.close
              ? DAYS.filter((day) => !closed.includes(day)).map((day) => ({ day, open: v.open, close: v.close }))
              : [];
            const shop = await api.post('/shops', {
              business_id: b.id, channel_id: v.channel ? Number(v.channel) : null, name: v.name, category: v.category,
              address: v.address, lat: Number(v.lat), lon: Number(v.lon), time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Seoul', hours,
            });
            location.hash = `#/local/shop/${shop.id}`;
          })),
        h('h3', {}, t('agents')),
        h('ul', { class: 'console-list' }, agents.map((/** @type {any} */ a) => h('li', {}, a.display_name,
          h('span', { class: 'muted' }, ` @${a.handle} · ${a.role === 'owner' ? t('owner') : t('agent')}`)))),
        b.role === 'owner' ? h('details', {}, h('summary', {}, t('addAgent')),
          form(`new-agent-${b.id}`, t('add'), [['handle', t('handle'), { required: true }]],
            async (v) => { await api.post(`/businesses/${b.id}/agents`, v); await load(); })) : null)),
      h('section', { class: 'business new' }, h('h2', {}, t('newBusiness')),
        form('new-business', t('create'), [['name', t('title'), { required: true }]],
          async (v) => { await api.post('/businesses', v); await load(); })));
  }
  load().catch((err) => {
    const error = h('p', { class: 'form-error', role: 'alert' });
    showError(error, err);
    mount(body, error);
  });
  return null;
}
