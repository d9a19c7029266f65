// @ts-check
/**
 * A message's comment thread in an open chat (💬 under the message): the
 * message, its comments oldest first (older ones paged in), and a
 * composer for text and a file. Comments arrive live; what is on screen
 * is read, and the reading reaches the person's other devices.
 */

import { ApiError, api, clientId } from '../../lib/api.js';
import { h, mount, timeOf } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { changed, state, subscribe } from '../../lib/state.js';
import { live } from '../../app.js';

/** The comments of a room as loaded or sent live. @param {number} roomId */
export function commentsOf(roomId) {
  let c = state.comments.get(roomId);
  if (!c) {
    c = new Map();
    state.comments.set(roomId, c);
  }
  return c;
}

/**
 * A comment that came in live: kept, and counted on its message (unread
 * when the person follows the thread and is not looking at it).
 * @param {number} roomId @param {any} m @param {number} me
 */
export function commentArrived(roomId, m, me) {
  commentsOf(roomId).set(m.seq, m);
  const root = state.messages.get(roomId)?.get(m.thread_root);
  if (!root) return;
  const thread = root.thread ?? (root.thread = { comments: 0, following: root.sender_id === me, unread: 0, read_seq: 0 });
  thread.comments = Math.max(thread.comments, m.thread_seq);
  if (m.sender_id === me) {
    thread.following = true;
    thread.read_seq = Math.max(thread.read_seq, m.thread_seq);
  } else if (thread.following && m.thread_seq > thread.read_seq && state.openThread !== `${roomId}:${m.thread_root}`) {
    thread.unread += 1;
  }
}

/**
 * The person read a thread on another device (`thread_read`).
 * @param {number} roomId @param {number} rootSeq @param {number} threadSeq
 */
export async function threadRead(roomId, rootSeq, threadSeq) {
  const root = state.messages.get(roomId)?.get(rootSeq);
  if (!root?.thread) return;
  root.thread.following = true;
  root.thread.read_seq = Math.max(root.thread.read_seq, threadSeq);
  if (root.thread.read_seq >= root.thread.comments) root.thread.unread = 0;
  else {
    // Comments came after the one read: count them again.
    const page = await api.get(`/rooms/${roomId}/messages/${rootSeq}/comments?limit=1`);
    root.thread = page.root.thread;
  }
  changed('messages');
}

/**
 * @param {number} roomId
 * @param {number} rootSeq
 * @param {{me: number, nameOf: (id: number) => string, attachment: (m: any) => Node | null,
 *   moderation: (m: any) => any}} ctx
 */
export function openThread(roomId, rootSeq, ctx) {
  const { me, nameOf } = ctx;
  state.openThread = `${roomId}:${rootSeq}`;
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet thread-sheet', id: 'thread', dataset: { root: rootSeq } }));
  const rootBox = h('div', { class: 'thread-root' });
  const list = h('div', { class: 'thread-comments', role: 'log', 'aria-live': 'polite', 'aria-label': t('comments') });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const older = h('button', { type: 'button', class: 'small', id: 'thread-older', hidden: true }, t('olderComments'));
  const input = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'thread-input', rows: 1, 'aria-label': t('writeComment'), placeholder: t('writeComment') }));
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', id: 'thread-attach', class: 'visually-hidden' }));
  /** @type {any} */
  let root = state.messages.get(roomId)?.get(rootSeq) ?? null;
  /** @type {number | null} */
  let nextBefore = null;
  let sending = false;

  const mine = () => [...commentsOf(roomId).values()].filter((c) => c.thread_root === rootSeq).sort((a, b) => a.seq - b.seq);

  /** @param {any} m */
  function content(m) {
    if (m.deleted) return h('p', { class: 'text deleted' }, t('deleted'));
    if (m.hidden) return h('p', { class: 'text deleted' }, t('hiddenByHost'));
    return [ctx.attachment(m), m.text ? h('p', { class: 'text' }, m.text) : null, m.edited_at ? h('span', { class: 'edited' }, t('edited')) : null];
  }

  /** @param {any} m */
  function commentEl(m) {
    const own = m.sender_id === me;
    return h('article', { class: `comment${own ? ' mine' : ''}`, dataset: { seq: m.seq, threadSeq: m.thread_seq } },
      h('div', { class: 'comment-head' }, h('span', { class: 'sender' }, nameOf(m.sender_id)), h('time', { class: 'muted small' }, timeOf(m.created_at))),
      h('div', { class: 'comment-body' }, content(m)),
      m.deleted ? null : h('div', { class: 'msg-actions' }, ctx.moderation(m),
        own ? h('button', { type: 'button', 'aria-label': t('delete'), onclick: async () => {
          if (confirm(t('delete') + '?')) await api.del(`/rooms/${roomId}/messages/${m.seq}`).catch((err) => showError(error, err));
        } }, '🗑') : null));
  }

  function draw() {
    root = state.messages.get(roomId)?.get(rootSeq) ?? root;
    if (root) {
      dialog.setAttribute('aria-label', t('threadOf', { name: nameOf(root.sender_id) }));
      mount(rootBox, h('div', { class: 'comment-head' }, h('span', { class: 'sender' }, nameOf(root.sender_id)),
        h('time', { class: 'muted small' }, timeOf(root.created_at))), h('div', { class: 'comment-body' }, content(root)));
    }
    const shown = mine();
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    mount(list, shown.length ? shown.map(commentEl) : h('p', { class: 'empty small' }, t('noComments')));
    if (nearBottom) list.scrollTop = list.scrollHeight;
  }

  /** What is on screen is read: the cursor moves, on every device. */
  function markRead() {
    if (document.hidden) return;
    const last = Math.max(0, ...mine().map((c) => c.thread_seq));
    const thread = root?.thread;
    if (!thread || (last <= thread.read_seq && !thread.unread)) return;
    thread.read_seq = Math.max(thread.read_seq, last);
    thread.unread = 0;
    thread.following = true;
    const frame = { type: 'thread_read', room_id: roomId, root: rootSeq, thread_seq: last };
    if (!live.send(frame)) api.post(`/rooms/${roomId}/messages/${rootSeq}/comments/read`, { seq: last }).catch(() => {});
    changed('messages');
  }

  /** @param {number | null} before */
  async function load(before) {
    try {
      const page = await api.get(`/rooms/${roomId}/messages/${rootSeq}/comments?limit=50${before ? `&before=${before}` : ''}`);
      const keep = state.messages.get(roomId)?.get(rootSeq);
      if (keep) keep.thread = page.root.thread;
      root = keep ?? page.root;
      for (const c of page.comments) commentsOf(roomId).set(c.seq, c);
      nextBefore = page.next_before ?? null;
      older.hidden = !nextBefore;
      draw();
      if (!before) list.scrollTop = list.scrollHeight;
      markRead();
    } catch (err) { showError(error, err); }
  }
  older.addEventListener('click', () => load(nextBefore));

  /** @param {string} [attachment] */
  async function send(attachment) {
    const text = input.value.trim();
    if ((!text && !attachment) || sending) return;
    sending = true;
    error.textContent = '';
    try {
      const m = await api.post(`/rooms/${roomId}/messages/${rootSeq}/comments`, { client_id: clientId(), text, attachment });
      commentArrived(roomId, m, me);
      input.value = '';
      draw();
      list.scrollTop = list.scrollHeight;
      changed('messages');
    } catch (err) {
      // A refusal (a banned word, flooding) says why and keeps the text.
      if (err instanceof ApiError) showError(error, err);
      else error.textContent = /** @type {Error} */ (err).message;
    } finally { sending = false; }
  }
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    file.value = '';
    if (!f) return;
    try {
      const up = await api.request('POST', `/media?name=${encodeURIComponent(f.name)}`, f);
      await send(up.media_id);
    } catch (err) { showError(error, err); }
  });

  const unsubscribe = subscribe((what) => {
    if (what !== 'messages') return;
    draw();
    markRead();
  });
  const close = () => dialog.close();
  const form = h('form', { class: 'thread-composer', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); send(); } },
    h('label', { for: 'thread-attach', class: 'icon-button attach', title: t('attach'), 'aria-label': t('attach'), tabindex: 0,
      onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); file.click(); } } }, '📎'),
    file, input, h('button', { type: 'submit', class: 'primary', id: 'thread-send' }, t('comment')));
  dialog.append(
    h('header', { class: 'thread-header' }, h('h2', {}, t('comments')),
      h('button', { type: 'button', class: 'icon-button', id: 'thread-close', 'aria-label': t('close'), onclick: close }, '✕')),
    rootBox, older, list, error, form);
  document.body.append(dialog);
  dialog.addEventListener('close', () => {
    unsubscribe();
    if (state.openThread === `${roomId}:${rootSeq}`) state.openThread = null;
    dialog.remove();
  });
  dialog.showModal();
  draw();
  load(null);
  input.focus();
  return close;
}
