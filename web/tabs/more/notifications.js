// @ts-check
/** More → Notifications: turn push on or off for this device, what
 * notifications show (for every device of the account), a test
 * notification, and what to do when the browser refuses. */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { pushStatus, turnOff, turnOn } from '../../lib/push.js';

/** @returns {HTMLElement} */
export function notificationsSection() {
  const body = h('div', { class: 'notifications' });
  const note = h('p', { class: 'note', role: 'status', id: 'notif-note' });

  const draw = async () => {
    /** @type {Awaited<ReturnType<typeof pushStatus>>} */
    let s;
    try {
      s = await pushStatus();
    } catch (err) {
      showError(note, err);
      mount(body, note);
      return;
    }
    const act = (/** @type {() => Promise<void>} */ f, /** @type {string} */ done) => async () => {
      note.textContent = '';
      note.removeAttribute('data-code');
      try {
        await f();
        await draw();
        note.textContent = done;
      } catch (err) {
        if (/** @type {any} */ (err)?.code === 'denied') {
          await draw();
          return;
        }
        showError(note, err);
      }
    };
    /** @type {(Node | null)[]} */
    const parts = [];
    if (s.serverOff) {
      parts.push(h('p', { class: 'muted', id: 'notif-help' }, t('notifServerOff')));
    } else if (s.support !== 'ok') {
      parts.push(h('p', { class: 'muted', id: 'notif-help' }, t(s.support === 'insecure' ? 'notifInsecure' : 'notifUnsupported')));
    } else {
      const on = s.subscribed && s.permission === 'granted';
      parts.push(h('p', { id: 'notif-state' }, t(on ? 'notifOn' : 'notifOff')));
      if (s.permission === 'denied') {
        parts.push(h('p', { class: 'muted', id: 'notif-help', role: 'alert' }, t('notifDenied')));
      } else if (on) {
        parts.push(h('div', { class: 'row' },
          h('button', { type: 'button', id: 'notif-test', onclick: act(() => api.post('/devices/current/push/test', {}), t('notifTestSent')) }, t('notifTest')),
          h('button', { type: 'button', id: 'notif-off', class: 'danger', onclick: act(turnOff, '') }, t('notifTurnOff'))));
      } else {
        parts.push(h('button', { type: 'button', id: 'notif-on', class: 'primary', onclick: act(turnOn, t('notifOn')) }, t('notifTurnOn')));
      }
    }
    const preview = /** @type {HTMLSelectElement} */ (h('select', {
      id: 'notif-preview',
      onchange: async () => {
        try {
          await api.put('/me/notifications', { preview: preview.value });
          note.textContent = t('saved');
        } catch (err) { showError(note, err); }
      },
    }, ['full', 'room', 'none'].map((v) => h('option', { value: v, selected: s.preview === v },
      t(v === 'full' ? 'previewFull' : v === 'room' ? 'previewRoom' : 'previewNone')))));
    parts.push(h('label', { for: 'notif-preview' }, t('notifPreview')), preview,
      h('p', { class: 'muted' }, t('notifMutedHint')), note);
    mount(body, parts);
  };
  draw();
  return h('section', { 'aria-label': t('notifications') }, h('h2', {}, t('notifications')), body);
}
