// @ts-check
/** More → Bots: the bots I own. Making one shows its token once (the
 * program that drives it signs in with it); a new token ends the old.
 * Each can be added to one of my group chats from here, and says whether
 * its webhook is on. */

import { api } from '../../lib/api.js';
import { h, mount, toast } from '../../lib/dom.js';
import { showError, t, whenOf } from '../../lib/i18n.js';
import { sortedRooms } from '../../lib/state.js';

/** Where a webhook (a bot's or a channel's) stands, in words.
 * @param {any} hook */
export function webhookText(hook) {
  return hook.disabled_at ? t('webhookOff', { when: whenOf(hook.disabled_at), why: hook.last_error ?? '' })
    : t('webhookOn', { url: hook.url });
}

/** Where a bot's webhook stands, in a line. @param {number} id */
async function webhookLine(id) {
  const hook = await api.get(`/bots/${id}/webhook`).catch(() => null);
  if (!hook) return null;
  return h('p', { class: `muted webhook${hook.disabled_at ? ' off' : ''}` },
    webhookText(hook));
}

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
    const groups = sortedRooms().filter((r) => r.kind === 'group');
    const rows = await Promise.all(bots.map(async (/** @type {any} */ b) => {
      const room = /** @type {HTMLSelectElement} */ (h('select', { class: 'bot-room', 'aria-label': t('addBotTo', { name: b.display_name }) },
        groups.map((r) => h('option', { value: String(r.id) }, r.title))));
      const add = async () => {
        error.textContent = '';
        try {
          await api.post(`/rooms/${room.value}/members`, { user_ids: [b.id] });
          toast(t('botAdded', { name: b.display_name, room: room.selectedOptions[0]?.textContent ?? '' }));
        } catch (err) { showError(error, err); }
      };
      return h('li', { dataset: { bot: b.id } },
        h('div', { class: 'bot-who' },
          h('span', {}, '🤖 ', h('strong', {}, b.display_name), h('span', { class: 'muted' }, ` @${b.handle}`)),
          await webhookLine(b.id)),
        h('div', { class: 'bot-actions' },
          groups.length ? [room, h('button', { type: 'button', class: 'small add-bot', onclick: add }, t('addToChat'))] : null,
          h('button', { type: 'button', class: 'small new-token', onclick: async () => {
            error.textContent = '';
            try {
              showToken(await api.post(`/bots/${b.id}/token`, {}));
            } catch (err) { showError(error, err); }
          } }, t('newToken'))));
    }));
    mount(list, rows.length ? rows : h('li', { class: 'muted' }, t('noBots')));
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
