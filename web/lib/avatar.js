// @ts-check
/** A person's avatar: their photo's thumbnail, an open-chat persona's
 * generated avatar (an animal on a colour), or their initial on a colour
 * of their own. */

import { api } from './api.js';
import { h, initials, tint } from './dom.js';

/**
 * @param {{id: number, display_name?: string, nickname?: string, avatar?: string | null, avatar_seed?: string | null}} person
 * @param {string} [size] `small` or `large`
 */
export function avatarOf(person, size = '') {
  if (person.avatar) return h('img', { class: `avatar ${size}`, src: api.mediaUrl(`${person.avatar}.thumb`), alt: '' });
  const seed = person.avatar_seed?.match(/^(\S+) (#[0-9a-f]{6})$/i);
  if (seed) {
    const el = h('span', { class: `avatar persona ${size}`, 'aria-hidden': 'true' }, seed[1]);
    el.style.background = seed[2];
    return el;
  }
  const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, initials(person.display_name ?? person.nickname ?? '?'));
  el.style.background = tint(person.id);
  return el;
}
