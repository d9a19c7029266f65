// @ts-check
/**
 * A Pung drawn as a card: the photo or the text card, and its decorations
 * placed where their author put them (positions are fractions of the card).
 * Used by the viewer, the composer's preview and the quote in a chat.
 */

import { api } from '../../lib/api.js';
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';

/**
 * @typedef {object} CardOptions
 * @property {(option: number) => void} [onVote] a viewer may vote
 * @property {(index: number, x: number, y: number) => void} [onMove] the
 *   composer lets the author drag decorations
 * @property {string} [photoUrl] a preview URL for a photo not posted yet
 */

/** Places a decoration's element on the card. @param {HTMLElement} el @param {any} layer */
function place(el, layer) {
  el.style.left = `${(layer.x * 100).toFixed(2)}%`;
  el.style.top = `${(layer.y * 100).toFixed(2)}%`;
  el.style.transform = `translate(-50%, -50%) rotate(${layer.rotation ?? 0}deg) scale(${layer.scale ?? 1})`;
  return el;
}

/** The host of a link, for its label. @param {string} url */
function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}

/** @param {any} pung @param {any} layer @param {CardOptions} opts */
function poll(pung, layer, opts) {
  const state = pung.poll ?? { my_vote: null, votes: null };
  const total = state.votes ? state.votes.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0) : 0;
  return h('div', { class: 'layer layer-poll' },
    h('p', { class: 'poll-question' }, layer.question),
    layer.options.map((/** @type {string} */ option, /** @type {number} */ i) => {
      const votes = state.votes ? state.votes[i] : null;
      const share = votes !== null && total ? Math.round((votes / total) * 100) : 0;
      const bar = h('span', { class: 'poll-bar' });
      bar.style.width = `${share}%`;
      return h('button', {
        type: 'button', class: `poll-option${state.my_vote === i ? ' chosen' : ''}`, disabled: !opts.onVote,
        'aria-pressed': String(state.my_vote === i), onclick: (/** @type {Event} */ e) => { e.stopPropagation(); opts.onVote?.(i); },
      }, bar, h('span', { class: 'poll-label' }, option), votes !== null ? h('span', { class: 'poll-count', 'aria-label': t(votes === 1 ? 'vote' : 'votes', { n: votes }) }, String(votes)) : null);
    }));
}

/** @param {any} pung @param {any} layer @param {CardOptions} opts */
function decoration(pung, layer, opts) {
  switch (layer.type) {
    case 'text': {
      const el = h('span', { class: 'layer layer-text' }, layer.text);
      if (layer.color) el.style.color = layer.color;
      return el;
    }
    case 'sticker':
      return h('span', { class: 'layer layer-sticker', role: 'img', 'aria-label': layer.emoji }, layer.emoji);
    case 'poll':
      return poll(pung, layer, opts);
    case 'link':
      return h('a', { class: 'layer layer-link', href: layer.url, target: '_blank', rel: 'noopener noreferrer nofollow',
        onclick: (/** @type {Event} */ e) => e.stopPropagation() }, `🔗 ${layer.label || hostOf(layer.url)}`);
    case 'location':
      return h('span', { class: 'layer layer-location', title: `${layer.lat.toFixed(4)}, ${layer.lng.toFixed(4)}` }, `📍 ${layer.name}`);
    default:
      return null;
  }
}

/** Lets the author drag one decoration across the card.
 * @param {HTMLElement} card @param {HTMLElement} el @param {number} index @param {CardOptions} opts */
function draggable(card, el, index, opts) {
  el.classList.add('movable');
  el.addEventListener('pointerdown', (e) => {
    if (/** @type {HTMLElement} */ (e.target).closest('input, a')) return;
    e.preventDefault();
    el.setPointerCapture(e.pointerId);
    const move = (/** @type {PointerEvent} */ ev) => {
      const box = card.getBoundingClientRect();
      const x = Math.min(1, Math.max(0, (ev.clientX - box.left) / box.width));
      const y = Math.min(1, Math.max(0, (ev.clientY - box.top) / box.height));
      el.style.left = `${x * 100}%`;
      el.style.top = `${y * 100}%`;
      opts.onMove?.(index, Number(x.toFixed(3)), Number(y.toFixed(3)));
    };
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  });
}

/** @param {any} pung @param {CardOptions} [opts] */
export function pungCard(pung, opts = {}) {
  const card = h('div', { class: `pung-card ${pung.kind}`, dataset: { pung: pung.id ?? 'draft' } });
  if (pung.kind === 'photo') {
    const src = opts.photoUrl ?? (pung.photo ? api.mediaUrl(pung.photo.media_id) : '');
    if (src) card.appendChild(h('img', { class: 'pung-photo', src, alt: pung.text || t('image') }));
    if (pung.text) card.appendChild(h('p', { class: 'pung-caption' }, pung.text));
  } else {
    card.style.background = pung.background ?? '#ff7a59';
    card.appendChild(h('p', { class: 'pung-text' }, pung.text));
  }
  (pung.layers ?? []).forEach((/** @type {any} */ layer, /** @type {number} */ i) => {
    const el = decoration(pung, layer, opts);
    if (!el) return;
    card.appendChild(place(el, layer));
    if (opts.onMove) draggable(card, el, i, opts);
  });
  return card;
}

/** A small square preview of a Pung (thumbnail or text). @param {any} pung */
export function pungThumb(pung) {
  if (pung.kind === 'photo' && pung.photo?.thumbnail) {
    return h('img', { class: 'pung-thumb', src: api.mediaUrl(pung.photo.thumbnail), alt: '' });
  }
  const el = h('span', { class: 'pung-thumb text' }, (pung.text ?? '').slice(0, 40));
  el.style.background = pung.background ?? '#ff7a59';
  return el;
}
