// @ts-check
/** More → Import chats: a KakaoTalk or WhatsApp export (its .txt, or the
 * zip with its media) is read first and shown: what it holds, who each
 * name is (me, a friend, or a name only) and which room it goes into.
 * Nothing is written until the person says so; then the import's progress
 * comes over the WebSocket. */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t, whenOf } from '../../lib/i18n.js';
import { state, subscribe } from '../../lib/state.js';

const FORMATS = { kakao_pc: 'KakaoTalk (PC)', kakao_mobile: 'KakaoTalk', whatsapp: 'WhatsApp', madang: 'Madang' };

/** The zone this device's clock is in, which the export's times were
 * most likely written in. */
const zone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** @param {number} roomId */
const openRoom = (roomId) => h('button', { type: 'button', class: 'primary', onclick: () => { location.hash = `#/chats/${roomId}`; } }, t('openImported'));

/** The More tab's section. Returns it and a teardown for its subscription. */
export function importSection() {
  const body = h('div', { class: 'import-body' });
  const note = h('p', { class: 'note', role: 'status' });
  const file = /** @type {HTMLInputElement} */ (h('input', { id: 'import-file', type: 'file', accept: '.txt,.zip,.json,text/plain,application/zip,application/json' }));
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) preview(f).catch((err) => showError(note, err));
  });

  /** @param {File} f */
  async function preview(f) {
    note.textContent = '';
    mount(body, h('p', { class: 'muted' }, t('readingExport')));
    const form = new FormData();
    form.append('file', f);
    form.append('time_zone', zone());
    let p;
    try {
      p = await api.request('POST', '/imports/preview', form);
    } catch (err) {
      mount(body);
      throw err;
    }
    const friends = await api.get('/friends').catch(() => []);
    if (p.already) {
      mount(body, h('p', { class: 'import-already' }, t('alreadyImported', { n: p.already.messages })), openRoom(p.already.room_id));
      return;
    }
    /** @type {Map<string, HTMLSelectElement>} */
    const who = new Map();
    const rows = p.senders.map((/** @type {any} */ s, /** @type {number} */ i) => {
      const mine = p.me ? s.name === p.me : i === 0;
      const pick = /** @type {HTMLSelectElement} */ (h('select', { 'aria-label': t('whoIs', { name: s.name }), dataset: { name: s.name } },
        h('option', { value: 'me', selected: mine }, t('thisIsMe')),
        h('option', { value: 'name', selected: !mine && !s.friend_id }, t('nameOnly')),
        friends.map((/** @type {any} */ f) => h('option', { value: String(f.profile.id), selected: !mine && s.friend_id === f.profile.id }, f.profile.display_name))));
      who.set(s.name, pick);
      return h('tr', {}, h('th', { scope: 'row' }, s.name), h('td', {}, t('messagesN', { n: s.messages })), h('td', {}, pick));
    });
    const rooms = [...state.rooms.values()].filter((r) => r.kind === 'direct' || r.kind === 'group');
    const where = /** @type {HTMLSelectElement} */ (h('select', { id: 'import-room' },
      h('option', { value: '' }, t('newGroupFrom', { title: p.title ?? f.name })),
      rooms.map((r) => h('option', { value: String(r.id) }, r.title))));
    const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: 1, value: 0, hidden: true, 'aria-label': t('importing') }));
    const failed = h('p', { class: 'form-error', role: 'alert' });
    const start = h('button', { type: 'submit', class: 'primary' }, t('importNow'));
    mount(body,
      h('dl', { class: 'import-facts' },
        h('dt', {}, t('exportFrom')), h('dd', {}, FORMATS[/** @type {keyof typeof FORMATS} */ (p.format)] ?? p.format),
        p.title ? [h('dt', {}, t('chatTitle')), h('dd', {}, p.title)] : null,
        h('dt', {}, t('messages')), h('dd', {}, String(p.messages)),
        h('dt', {}, t('period')), h('dd', {}, `${whenOf(p.first_at)} – ${whenOf(p.last_at)}`),
        p.media ? [h('dt', {}, t('attachments')), h('dd', {}, String(p.media))] : null),
      h('form', { class: 'import-plan', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); run(); } },
        h('table', { class: 'import-who' }, h('caption', {}, t('whoIsWho')), h('tbody', {}, rows)),
        h('label', { for: 'import-room' }, t('importInto')), where,
        start, progress, failed));

    async function run() {
      failed.textContent = '';
      const mine = [...who].filter(([, s]) => s.value === 'me').map(([n]) => n);
      if (mine.length !== 1) {
        failed.textContent = t('pickOneMe');
        return;
      }
      /** @type {Record<string, number>} */
      const friendsOf = {};
      for (const [name, s] of who) if (s.value !== 'me' && s.value !== 'name') friendsOf[name] = Number(s.value);
      const plan = { me: mine[0], friends: friendsOf, time_zone: zone(), room_id: where.value ? Number(where.value) : undefined };
      const form = new FormData();
      form.append('file', f);
      form.append('plan', JSON.stringify(plan));
      start.setAttribute('disabled', '');
      progress.hidden = false;
      const stop = subscribe((what) => {
        const now = state.importProgress;
        if (what !== 'import' || !now) return;
        progress.max = Math.max(now.total, 1);
        progress.value = now.done;
      });
      try {
        const done = await api.request('POST', '/imports', form);
        progress.value = progress.max;
        mount(body, h('p', { class: 'import-done' }, t('importedN', { n: done.messages })), openRoom(done.room_id));
      } catch (err) {
        showError(failed, err);
        start.removeAttribute('disabled');
        progress.hidden = true;
      } finally {
        stop();
        state.importProgress = null;
      }
    }
  }

  return h('section', { 'aria-label': t('importChats') }, h('h2', {}, t('importChats')),
    h('p', { class: 'muted' }, t('importHint')),
    h('label', { for: 'import-file' }, t('chooseExport')), file, note, body);
}
