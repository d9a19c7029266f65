// @ts-check
/**
 * Money for hosts. `#/openchat/earnings`: what I have earned, a bar per
 * month (subscriptions and ads stacked) and a table per open chat. And the
 * host's subscription sheet for one open chat: its tiers, adding and
 * retiring one, "subscribers only", and that chat's earnings.
 */

import { api } from '../../lib/api.js';
import { h, mount, styled } from '../../lib/dom.js';
import { money, showError, t } from '../../lib/i18n.js';

const KINDS = ['subscription', 'ad_impression', 'ad_click'];

/** @param {string} kind */
const kindName = (kind) => t(/** @type {any} */ (`kind_${kind}`));

/** Bars of monthly totals, oldest left, each split by kind. @param {any[]} months @param {string} currency */
function chart(months, currency) {
  const shown = months.slice(0, 12).reverse();
  const top = Math.max(1, ...shown.map((m) => m.total));
  return h('figure', { class: 'earn-chart', 'aria-label': t('byMonth') },
    h('div', { class: 'earn-bars' }, shown.map((m) => h('div', { class: 'earn-col', title: `${m.month}: ${money(m.total, currency)}` },
      h('span', { class: 'earn-amount' }, money(m.total, currency)),
      styled(h('div', { class: 'earn-bar' },
        KINDS.map((k) => {
          const line = m.lines.find((/** @type {any} */ l) => l.kind === k);
          return line && m.total > 0 ? styled(h('span', { class: `earn-part earn-${k}` }), { flex: String(line.amount) }) : null;
        })), { height: `${Math.max(2, Math.round((m.total / top) * 140))}px` }),
      h('span', { class: 'earn-month' }, m.month)))),
    h('figcaption', { class: 'earn-legend' }, KINDS.map((k) => h('span', {}, h('span', { class: `earn-swatch earn-${k}` }), kindName(k)))));
}

/** A table of one chat's months. @param {any[]} months @param {string} currency */
function monthTable(months, currency) {
  return h('table', { class: 'earn-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('byMonth')), KINDS.map((k) => h('th', {}, kindName(k))), h('th', {}, t('earnings')))),
    h('tbody', {}, months.map((m) => h('tr', { dataset: { month: m.month } }, h('td', {}, m.month),
      KINDS.map((k) => {
        const line = m.lines.find((/** @type {any} */ l) => l.kind === k);
        return h('td', { dataset: { kind: k } }, line ? `${money(line.amount, currency)} (${line.count})` : '—');
      }),
      h('td', { class: 'earn-total' }, money(m.total, currency))))));
}

/** @param {HTMLElement} main */
export function renderEarnings(main) {
  const body = h('div', { class: 'earn-body' });
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/openchat', class: 'icon-button', 'aria-label': t('back') }, '‹'), h('h1', {}, t('earningsTitle'))), body);
  api.get('/me/earnings').then((e) => {
    mount(body,
      h('p', { class: 'earn-balance' }, h('span', { class: 'muted' }, t('balance')), h('strong', { id: 'earn-balance' }, money(e.balance, e.currency))),
      e.months.length ? chart(e.months, e.currency) : h('p', { class: 'empty small' }, t('noEarnings')),
      e.open_chats.map((/** @type {any} */ r) => h('section', { class: 'earn-room', dataset: { openChat: r.open_chat_id } },
        h('h3', {}, h('a', { href: `#/openchat/${r.open_chat_id}` }, r.title), ' ', h('span', { class: 'muted' }, money(r.total, e.currency))),
        monthTable(r.months, e.currency))));
  }).catch((err) => mount(body, h('p', { class: 'form-error', role: 'alert' }, err.message)));
}

/** The host's sheet for one open chat's subscriptions and earnings. @param {number} chatId */
export function subscriptionSheet(chatId) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet oc-subs', 'aria-label': t('subscriptions') }));
  const content = h('div');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const fail = (/** @type {unknown} */ err) => showError(error, err);
  const draw = async () => {
    const [tiers, earned] = await Promise.all([api.get(`/openchats/${chatId}/tiers`), api.get(`/openchats/${chatId}/earnings`)]);
    const name = /** @type {HTMLInputElement} */ (h('input', { id: 'tier-name', maxlength: 30, placeholder: t('tierName'), 'aria-label': t('tierName'), required: true }));
    const price = /** @type {HTMLInputElement} */ (h('input', { id: 'tier-price', type: 'number', min: 1, step: 1, placeholder: t('price'), 'aria-label': t('price'), required: true }));
    const period = /** @type {HTMLSelectElement} */ (h('select', { id: 'tier-period', 'aria-label': t('perDays', { n: '' }) },
      [30, 7, 365].map((n) => h('option', { value: String(n) }, t('perDays', { n })))));
    const toggle = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'subs-only', checked: tiers.subscription_required, onchange: async () => {
      try {
        await api.request('PUT', `/openchats/${chatId}/subscription-settings`, { subscription_required: toggle.checked });
        error.textContent = '';
      } catch (err) { toggle.checked = !toggle.checked; fail(err); }
    } }));
    const currency = tiers.tiers[0]?.currency ?? 'KRW';
    mount(content,
      h('label', { class: 'check' }, toggle, t('subscribersOnly')), h('p', { class: 'muted small-print' }, t('subscribersOnlyNote')),
      h('h3', {}, t('tiers')),
      h('ul', { class: 'tier-list' }, tiers.tiers.map((/** @type {any} */ x) => h('li', { dataset: { tier: x.id } },
        h('span', { class: 'tier-name' }, x.name), h('span', { class: 'muted' }, `${money(x.price, x.currency)} · ${t('perDays', { n: x.period_days })}`),
        h('button', { type: 'button', class: 'small', onclick: async () => { await api.del(`/openchats/${chatId}/tiers/${x.id}`); await draw(); } }, t('retire'))))),
      h('form', { class: 'tier-form', onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        try {
          await api.post(`/openchats/${chatId}/tiers`, { name: name.value, price: Number(price.value), period_days: Number(period.value) });
          error.textContent = '';
          await draw();
        } catch (err) { fail(err); }
      } }, name, price, period, h('button', { type: 'submit', class: 'primary small', id: 'tier-add' }, t('addTier'))),
      h('h3', {}, t('earnings'), ' ', h('span', { class: 'muted', id: 'chat-earned' }, money(earned.total, currency))),
      earned.months.length ? monthTable(earned.months, currency) : h('p', { class: 'empty small' }, t('noEarnings')));
  };
  dialog.append(h('h2', {}, `💰 ${t('subscriptions')}`), content, error,
    h('div', { class: 'actions' }, h('a', { href: '#/openchat/earnings', class: 'button small', onclick: () => dialog.close() }, t('earningsTitle')),
      h('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
  draw().catch(fail);
}
