// @ts-check
/** More → Bots: the bots I own. Making one shows its token once (the
 * program that drives it signs in with it); a new token ends the old. */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';

/** The More tab's section. */
export function botsSection() {
  const list = h('ul', { class: 'bots' });
  const shown = h('div', { class: 'bot-token', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const handle = /** @type {HTMLInputElement} */ (h('input', { id: 'bot-handle', required: true, maxlength: 20, autocomplete: 'off', spellcheck: 'false' }));
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'bot-name', maxlength: 30 }));

  /** The token of a bot just made or given a new one, once. @param {any} made */
  const showToken = (made) => {
    const field = /** @type {HTMLInputElement} */ (h('input', { id: 'bot-token-value', readonly: true, value: made.token, 'aria-label': t('botToken') }));
    mount(shown, h('p', {}, t('botTokenOnce', { name: made.bot.display_name })), field,
      h('button', { type: 'button', onclick: () => { field.select(); navigator.clipboard?.writeText(made.token).catch(() => {}); } }, t('copy')));
  };

  const draw = async () => {
    const bots = await api.get('/bots').catch(() => null);
    if (!bots) return;
    mount(list, bots.length ? bots.map((/** @type {any} */ b) => h('li', {},
      h('span', {}, '🤖 ', h('strong', {}, b.display_name), h('span', { class: 'muted' }, ` @${b.handle}`)),
      h('button', { type: 'button', class: 'small', onclick: async () => {
        error.textContent = '';
        try {
          showToken(await api.post(`/bots/${b.id}/token`, {}));
        } catch (err) { showError(error, err); }
      } }, t('newToken')))) : h('li', { class: 'muted' }, t('noBots')));
  };

  const make = async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const made = await api.post('/bots', { handle: handle.value.trim(), display_name: name.value.trim() || undefined });
      handle.value = '';
      name.value = '';
      showToken(made);
      draw();
    } catch (err) { showError(error, err); }
  };

  draw();
  return h('section', { 'aria-label': t('bots') }, h('h2', {}, t('bots')),
    h('p', { class: 'muted' }, t('botsHint')),
    list,
    h('form', { onsubmit: make },
      h('label', { for: 'bot-handle' }, t('botHandle')), handle,
      h('label', { for: 'bot-name' }, t('displayName')), name,
      h('button', { type: 'submit', class: 'primary' }, t('makeBot'))),
    shown, error);
}
