// @ts-check
/** A person's avatar: their photo's thumbnail, or their initial on a colour
 * of their own. */

import { api } from './api.js';
import { h, initials, tint } from './dom.js';

/**
 * @param {{id: number, display_name: string, avatar?: string | null}} person
 * @param {string} [size] `small` or `large`
 */
export function avatarOf(person, size = '') {
  if (person.avatar) return h('img', { class: `avatar ${size}`, src: api.mediaUrl(`${person.avatar}.thumb`), alt: '' });
  const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, initials(person.display_name));
  el.style.background = tint(person.id);
  return el;
}
