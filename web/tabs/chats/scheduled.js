// @ts-check
/**
 * Scheduled messages in a room: ⏰ beside Send writes one for later (a
 * time at least the server's minimum ahead, at most its maximum); a bar
 * over the composer counts mine waiting here and opens their list, where
 * each can be edited, sent now or cancelled. The server sends them at
 * their time even with every device off; each change arrives live
 * (`scheduled_changed`), and one cancelled because I left its room or
 * refused when its time came is told wherever I am (`scheduledNotice`).
 */

import { api } from '../../lib/api.js';
import { h, localInput, mount } from '../../lib/dom.js';
import { errorText, showError, t, whenOf } from '../../lib/i18n.js';
import { roomTitle } from '../../lib/state.js';

/** @typedef {{id: number, room_id: number, text: string, send_at: number, state: string, reason: string | null, attachment: string | null}} Scheduled */

/** What to tell the writer about one that will not go out, or null.
 * @param {Scheduled} s */
export function scheduledNotice(s) {
  const room = roomTitle(s.room_id);
  if (s.state === 'cancelled' && s.reason === 'left') return t('scheduledCancelledLeft', { room });
  if (s.state === 'failed') return t('scheduledFailed', { room, why: errorText({ code: s.reason ?? 'error', message: s.reason ?? '' }) });
  return null;
}

/**
 * @param {number} roomId
 * @param {HTMLTextAreaElement} composer whose text a new one starts from (and which it empties)
 */
export function scheduledTools(roomId, composer) {
  /** @type {Scheduled[]} */
  let mine = [];
  let limits = { min: 60, max: 30 * 86_400 };
  const count = h('span', { class: 'scheduled-count' });
  const list = h('ul', { class: 'scheduled-list', hidden: true, 'aria-label': t('scheduledMessages') });
  const toggle = h('button', { type: 'button', class: 'scheduled-toggle', id: 'scheduled-toggle', 'aria-expanded': 'false',
    onclick: () => { list.hidden = !list.hidden; toggle.setAttribute('aria-expanded', String(!list.hidden)); } }, '⏰ ', count);
  const bar = h('div', { class: 'scheduled-bar', hidden: true }, toggle, list);
  const button = h('button', { type: 'button', class: 'icon-button', id: 'schedule-open', 'aria-label': t('scheduleSend'),
    title: t('scheduleSend'), onclick: () => sheet(null) }, '⏰');

  async function load() {
    const got = await api.get(`/rooms/${roomId}/scheduled`);
    mine = got.scheduled;
    limits = { min: got.min_lead_secs, max: got.max_lead_secs };
    draw();
  }

  function draw() {
    bar.hidden = mine.length === 0;
    if (!mine.length) list.hidden = true;
    count.textContent = t('scheduledCount', { n: mine.length });
    mount(list, mine.map((s) => {
      const error = h('span', { class: 'form-error', role: 'alert' });
      /** @param {() => Promise<any>} act */
      const run = async (act) => { try { await act(); await load(); } catch (err) { showError(error, err); } };
      return h('li', { class: 'scheduled-item', dataset: { id: s.id } },
        h('time', { datetime: new Date(s.send_at).toISOString() }, whenOf(s.send_at)),
        h('span', { class: 'scheduled-text' }, s.text || (s.attachment ? `📎 ${t('file')}` : '')),
        h('span', { class: 'scheduled-actions' },
          h('button', { type: 'button', class: 'small', dataset: { edit: s.id }, onclick: () => sheet(s) }, t('edit')),
          h('button', { type: 'button', class: 'small', dataset: { sendNow: s.id }, onclick: () => run(() => api.post(`/scheduled/${s.id}/send`, {})) }, t('sendNow')),
          h('button', { type: 'button', class: 'small danger', dataset: { cancel: s.id }, onclick: () => run(() => api.del(`/scheduled/${s.id}`)) }, t('cancelScheduled'))),
        error);
    }));
  }

  /** Writes a new one (`s` null, from the composer's text) or edits `s`. @param {Scheduled | null} s */
  function sheet(s) {
    const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet schedule-sheet', 'aria-label': s ? t('editScheduled') : t('scheduleSend') }));
    const text = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'schedule-text', rows: 3, maxlength: 10_000, value: s ? s.text : composer.value }));
    const now = Date.now();
    const when = /** @type {HTMLInputElement} */ (h('input', { id: 'schedule-at', type: 'datetime-local', step: 1, required: true,
      min: localInput(now + limits.min * 1000), max: localInput(now + limits.max * 1000),
      value: localInput(s ? s.send_at : now + 3_600_000) }));
    const tomorrow = new Date(now + 86_400_000);
    tomorrow.setHours(9, 0, 0, 0);
    const error = h('p', { class: 'form-error', role: 'alert' });
    const close = () => { dialog.close(); dialog.remove(); };
    dialog.append(h('form', {
      method: 'dialog',
      // The picker offers only allowed times; a typed one the server
      // refuses is said in words, not by the browser's bubble.
      novalidate: true,
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const send_at = new Date(when.value).getTime();
        try {
          if (s) await api.patch(`/scheduled/${s.id}`, { text: text.value, send_at });
          else {
            await api.post(`/rooms/${roomId}/scheduled`, { text: text.value, send_at });
            composer.value = '';
          }
          close();
          await load();
        } catch (err) { showError(error, err); }
      },
    }, h('h2', {}, s ? t('editScheduled') : t('scheduleSend')),
    h('label', { for: 'schedule-text' }, t('typeMessage')), text,
    h('label', { for: 'schedule-at' }, t('scheduleWhen')), when,
    h('div', { class: 'schedule-quick' },
      h('button', { type: 'button', class: 'small', onclick: () => { when.value = localInput(Date.now() + 3_600_000); } }, t('inAnHour')),
      h('button', { type: 'button', class: 'small', onclick: () => { when.value = localInput(tomorrow.getTime()); } }, t('tomorrowMorning'))),
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: close }, t('cancel')),
      h('button', { type: 'submit', class: 'primary', id: 'schedule-save' }, s ? t('save') : t('schedule')))));
    document.body.append(dialog);
    dialog.showModal();
    text.focus();
  }

  return { button, bar, load, draw };
}
