// @ts-check
/**
 * A map drawn from coordinates alone, no tiles: the searched circle with
 * a ring at half its radius, a scale, "you" at the centre and a numbered
 * pin per shop (the same numbers as the list). Distances on screen are true
 * to within a fraction of a percent at a city's scale: positions are metres
 * east and north of the centre on a local flat projection.
 */

import { t } from '../../lib/i18n.js';

const NS = 'http://www.w3.org/2000/svg';
/** Metres per degree of latitude (mean). */
const M_PER_DEG = 111_195;

/**
 * An SVG element; attributes are set, never parsed as markup.
 * @param {string} tag @param {Record<string, string | number>} [attrs] @param {...(Node | string)} children
 * @returns {SVGElement}
 */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return /** @type {SVGElement} */ (el);
}

/** Metres east and north of `centre`. @param {{lat: number, lon: number}} centre @param {{lat: number, lon: number}} p */
export function offset(centre, p) {
  let dLon = p.lon - centre.lon;
  // The short way round across the antimeridian.
  if (dLon > 180) dLon -= 360;
  if (dLon < -180) dLon += 360;
  return {
    x: dLon * M_PER_DEG * Math.cos((centre.lat * Math.PI) / 180),
    y: (p.lat - centre.lat) * M_PER_DEG,
  };
}

/** "350 m", "1.2 km". @param {number} m */
export function distanceText(m) {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(m < 10_000 ? 1 : 0)} km`;
}

/**
 * @param {{lat: number, lon: number}} centre
 * @param {number} radius metres
 * @param {any[]} shops with `lat`, `lon`, `name`, `id`
 * @param {(shop: any) => void} onPick
 */
export function drawMap(centre, radius, shops, onPick) {
  const r = Math.max(radius, 50);
  const pad = r * 0.12;
  const box = r + pad;
  const pin = r / 17;
  const map = svg('svg', {
    class: 'local-map', viewBox: `${-box} ${-box} ${2 * box} ${2 * box}`, role: 'img',
    'aria-label': t('mapOf', { n: shops.length, r: distanceText(radius) }),
  });
  map.append(
    svg('rect', { x: -box, y: -box, width: 2 * box, height: 2 * box, class: 'map-ground' }),
    svg('circle', { cx: 0, cy: 0, r, class: 'map-ring' }),
    svg('circle', { cx: 0, cy: 0, r: r / 2, class: 'map-ring half' }),
    svg('line', { x1: -box, y1: 0, x2: box, y2: 0, class: 'map-axis' }),
    svg('line', { x1: 0, y1: -box, x2: 0, y2: box, class: 'map-axis' }),
    svg('text', { x: 0, y: -box + pin * 1.6, class: 'map-north', 'font-size': pin * 1.4 }, 'N'),
    svg('text', { x: r / 2 + pin * 0.4, y: -pin * 0.4, class: 'map-label', 'font-size': pin * 1.1 }, distanceText(radius / 2)),
    svg('circle', { cx: 0, cy: 0, r: pin * 0.7, class: 'map-me' }, svg('title', {}, t('youAreHere'))),
  );
  shops.forEach((s, i) => {
    const { x, y } = offset(centre, s);
    const g = svg('g', { class: `map-pin${s.open_now ? ' open' : ''}`, transform: `translate(${x} ${-y})`, tabindex: 0, role: 'link',
      'aria-label': s.name, 'data-shop': s.id },
    svg('title', {}, s.name),
    svg('circle', { r: pin }),
    svg('text', { 'font-size': pin * 1.1, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, String(i + 1)));
    g.addEventListener('click', () => onPick(s));
    g.addEventListener('keydown', (e) => { if (/** @type {KeyboardEvent} */ (e).key === 'Enter') onPick(s); });
    map.append(g);
  });
  return map;
}
