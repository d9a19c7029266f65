// @ts-check
/**
 * The Local tab. `#/local`: shops near a point (the browser's location,
 * my neighbourhood, or coordinates typed in), by radius, category and
 * open-now, on a drawn map and in a list with distances.
 * `#/local/shop/{id}`, `#/local/wallet`, `#/local/channel/{id}`,
 * `#/local/business` and `#/local/console/{channel}` are the other pages.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { distanceText, drawMap } from './map.js';
import { renderShop } from './shop.js';
import { renderWallet } from './wallet.js';
import { renderChannel } from './channel.js';
import { renderBusiness } from './business.js';
import { renderConsole } from './console.js';

export const CATEGORY_ICONS = /** @type {Record<string, string>} */ ({
  restaurant: '🍚', cafe: '☕', bakery: '🥐', bar: '🍺', grocery: '🥬', convenience: '🏪', pharmacy: '💊',
  beauty: '💇', fitness: '🏋️', clothing: '👕', books: '📚', flowers: '💐', pets: '🐾', laundry: '🧺',
  services: '🛠️', other: '📍',
});

/** A category in words. @param {string} c */
export const categoryName = (c) => t(/** @type {any} */ (`cat_${c}`));

/** Seoul City Hall: where the search starts before anything better is known. */
const CITY_HALL = { lat: 37.5663, lon: 126.9779, label: 'cityHall' };
const POINT = 'madang.local.point';
const RADII = [500, 1000, 3000, 10000];

/** The point the search is around, as last chosen. */
export function savedPoint() {
  try {
    const p = JSON.parse(localStorage.getItem(POINT) ?? 'null');
    if (p && Number.isFinite(p.lat) && Number.isFinite(p.lon)) return /** @type {{lat: number, lon: number, label: string}} */ (p);
  } catch { /* a damaged entry is as good as none */ }
  return null;
}

/** @param {{lat: number, lon: number, label: string}} p */
function savePoint(p) {
  localStorage.setItem(POINT, JSON.stringify(p));
}

/** Great-circle distance in metres, for showing only (the server sorts). @param {{lat: number, lon: number}} a @param {{lat: number, lon: number}} b */
export function haversine(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** @param {HTMLElement} main @param {string | undefined} arg @param {string | undefined} more @returns {(() => void) | null} */
export function renderLocal(main, arg, more) {
  if (arg === 'shop' && more) return renderShop(main, Number(more));
  if (arg === 'wallet') return renderWallet(main);
  if (arg === 'channel' && more) return renderChannel(main, Number(more));
  if (arg === 'business') return renderBusiness(main);
  if (arg === 'console' && more) return renderConsole(main, Number(more));
  return renderNearby(main);
}

/** @param {HTMLElement} main */
function renderNearby(main) {
  const filters = { radius: 1000, category: '', openNow: false };
  let point = savedPoint() ?? CITY_HALL;
  const where = h('span', { class: 'local-where', id: 'local-where' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const results = h('div', { class: 'local-results' });
  const lat = /** @type {HTMLInputElement} */ (h('input', { id: 'local-lat', type: 'number', step: 'any', min: -90, max: 90, 'aria-label': t('latitude') }));
  const lon = /** @type {HTMLInputElement} */ (h('input', { id: 'local-lon', type: 'number', step: 'any', min: -180, max: 180, 'aria-label': t('longitude') }));
  const category = /** @type {HTMLSelectElement} */ (h('select', { id: 'local-category', 'aria-label': t('category'),
    onchange: () => { filters.category = category.value; search(); } }, h('option', { value: '' }, t('allCategories'))));
  const radius = /** @type {HTMLSelectElement} */ (h('select', { id: 'local-radius', 'aria-label': t('radius'),
    onchange: () => { filters.radius = Number(radius.value); search(); } },
  RADII.map((r) => h('option', { value: r, selected: r === filters.radius }, distanceText(r)))));
  const openNow = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'local-open-now',
    onchange: () => { filters.openNow = openNow.checked; search(); } }));

  /** @param {{lat: number, lon: number, label: string}} p */
  function moveTo(p) {
    point = p;
    savePoint(p);
    search();
  }

  function locate() {
    error.textContent = '';
    if (!navigator.geolocation) { error.textContent = t('noGeolocation'); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => moveTo({ lat: pos.coords.latitude, lon: pos.coords.longitude, label: 'hereNow' }),
      () => { error.textContent = t('noGeolocation'); },
      { enableHighAccuracy: false, timeout: 10_000, maximumAge: 60_000 });
  }

  async function neighbourhood() {
    error.textContent = '';
    try {
      const place = await api.get('/me/place');
      if (place.lat === null || place.lat === undefined) { error.textContent = t('noNeighbourhood'); return; }
      moveTo({ lat: place.lat, lon: place.lon, label: 'myNeighbourhood' });
    } catch (err) { showError(error, err); }
  }

  /** Makes the current point the person's neighbourhood (what "near" campaigns look at). */
  async function setNeighbourhood() {
    error.textContent = '';
    try {
      await api.request('PUT', '/me/place', { lat: point.lat, lon: point.lon });
      where.append(h('span', { class: 'note' }, ` ✓ ${t('neighbourhoodSaved')}`));
    } catch (err) { showError(error, err); }
  }

  /** The latest search; an answer to an older one is dropped. */
  let latest = 0;

  async function search() {
    const ticket = ++latest;
    const label = point.label === 'typed' ? `${point.lat.toFixed(4)}, ${point.lon.toFixed(4)}` : t(/** @type {any} */ (point.label));
    mount(where, `📍 ${label}`);
    lat.value = String(point.lat);
    lon.value = String(point.lon);
    mount(results, h('p', { class: 'muted center' }, '…'));
    const q = new URLSearchParams({ lat: String(point.lat), lon: String(point.lon), radius_m: String(filters.radius), limit: '50' });
    if (filters.category) q.set('category', filters.category);
    if (filters.openNow) q.set('open_now', 'true');
    try {
      const page = await api.get(`/shops/nearby?${q}`);
      if (ticket !== latest) return;
      const open = (/** @type {any} */ s) => { location.hash = `#/local/shop/${s.id}`; };
      mount(results,
        h('div', { class: 'local-map-box' }, drawMap(point, filters.radius, page.shops, open)),
        page.shops.length
          ? h('ol', { class: 'shop-list', id: 'shop-list' }, page.shops.map((/** @type {any} */ s, /** @type {number} */ i) => shopRow(s, i)))
          : h('p', { class: 'empty small' }, t('noShops')));
    } catch (err) {
      mount(results);
      showError(error, err);
    }
  }

  mount(main,
    h('header', { class: 'pane-header' }, h('h1', {}, t('local')),
      h('div', { class: 'header-actions' },
        h('a', { href: '#/local/wallet', class: 'button small', id: 'my-coupons' }, `🎟️ ${t('myCoupons')}`),
        h('a', { href: '#/local/business', class: 'button small', id: 'my-business' }, `🏪 ${t('myBusiness')}`))),
    h('div', { class: 'local-home' },
      h('div', { class: 'local-point' }, where,
        h('div', { class: 'local-point-actions' },
          h('button', { type: 'button', class: 'small', id: 'local-locate', onclick: locate }, `🎯 ${t('useMyLocation')}`),
          h('button', { type: 'button', class: 'small', onclick: neighbourhood }, `🏠 ${t('myNeighbourhood')}`),
          h('button', { type: 'button', class: 'small', id: 'local-set-home', onclick: setNeighbourhood }, t('setNeighbourhood')))),
      h('details', { class: 'local-coords' }, h('summary', {}, t('enterCoordinates')),
        h('form', { class: 'local-coords-form', onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          const p = { lat: Number(lat.value), lon: Number(lon.value), label: 'typed' };
          if (lat.value === '' || lon.value === '' || !Number.isFinite(p.lat) || !Number.isFinite(p.lon)) { error.textContent = t('badCoordinates'); return; }
          moveTo(p);
        } }, lat, lon, h('button', { type: 'submit', class: 'primary small', id: 'local-go' }, t('search')))),
      h('div', { class: 'local-filters' }, radius, category,
        h('label', { class: 'pick', for: 'local-open-now' }, openNow, t('openNow'))),
      error, results));

  api.get('/shops/categories').then((cats) => {
    for (const c of cats) category.append(h('option', { value: c }, `${CATEGORY_ICONS[c] ?? ''} ${categoryName(c)}`));
  }).catch((err) => showError(error, err));
  search();
  return null;
}

/** One shop in the nearby list. @param {any} s @param {number} i */
function shopRow(s, i) {
  return h('li', {}, h('a', { href: `#/local/shop/${s.id}`, class: 'shop-row', dataset: { shop: s.id } },
    h('span', { class: `shop-num${s.open_now ? ' open' : ''}`, 'aria-hidden': 'true' }, String(i + 1)),
    h('span', { class: 'shop-main' },
      h('span', { class: 'shop-name' }, `${CATEGORY_ICONS[s.category] ?? ''} ${s.name}`,
        s.regular ? h('span', { class: 'shop-regular' }, t('regular')) : null),
      h('span', { class: 'shop-sub' }, categoryName(s.category), ' · ', s.address)),
    h('span', { class: 'shop-meta' },
      h('span', { class: 'shop-distance' }, distanceText(s.distance_m ?? 0)),
      h('span', { class: s.open_now ? 'shop-open' : 'shop-closed' }, s.open_now ? t('openNow') : t('closedNow')))));
}
