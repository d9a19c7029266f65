// @ts-check
/**
 * One open room: history paged back as the person scrolls up, live events,
 * per-message unread counts recomputed from members' read cursors, replies,
 * reactions, mentions, edit and delete, attachments, typing, read marking.
 */

import { ApiError, api, clientId } from '../../lib/api.js';
import { avatarOf } from '../../lib/avatar.js';
import { foldAway, h, mount, timeOf } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { changed, forgetRoom, remember, state, subscribe, unreadCount } from '../../lib/state.js';
import { live } from '../../app.js';
import { pungQuote } from '../pung/quote.js';
import { openTools } from '../openchat/tools.js';
import { aiTools } from './ai.js';
import { commandMenu, messageButtons } from './bots.js';
import { openIntegrations } from './integrations.js';
import { openDrawer } from './drawer.js';
import { openRoomExport } from '../../lib/exports.js';
import { pollTools } from './polls.js';
import { scheduledTools } from './scheduled.js';
import { openThread } from './thread.js';
import { voiceMessage, voiceRecorder } from './voice.js';

const EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

/** @param {number} id */
function nameOf(id) {
  // A name not known yet (someone who just joined) is on its way.
  return state.people.get(id)?.display_name ?? '…';
}

/**
 * Text with `@name` mentions highlighted, as text nodes only.
 * @param {string} text @param {number[]} mentions
 */
function withMentions(text, mentions) {
  const names = mentions.map((id) => `@${nameOf(id)}`).filter((n) => text.includes(n));
  if (!names.length) return [text];
  const out = [];
  let rest = text;
  while (rest) {
    let best = -1, name = '';
    for (const n of names) {
      const i = rest.indexOf(n);
      if (i >= 0 && (best < 0 || i < best)) { best = i; name = n; }
    }
    if (best < 0) { out.push(rest); break; }
    out.push(rest.slice(0, best), h('span', { class: 'mention' }, name));
    rest = rest.slice(best + name.length);
  }
  return out;
}

/**
 * @param {HTMLElement} pane @param {number} roomId @param {number | null} [focusSeq] a message to bring into view (a search hit)
 * @param {boolean} [peek] read without a receipt: nothing marks the room read (nobody's "1" moves, my own
 *   unread count stays) until the person asks to, or writes
 * @param {boolean} [thread] open the comments under the focused message too
 * @returns {() => void}
 */
export function openRoom(pane, roomId, focusSeq = null, peek = false, thread = false) {
  const room = state.rooms.get(roomId);
  state.activeRoom = roomId;
  state.peeking = peek ? roomId : null;
  let peeking = peek;
  // In an open chat the caller is known by a persona's id.
  const me = room.my_id ?? state.me.id;
  /** @type {Map<number, any>} */
  const msgs = state.messages.get(roomId) ?? new Map();
  state.messages.set(roomId, msgs);
  /** @type {Map<string, {text: string, failed: boolean, refusal: ApiError | null}>} */
  const pending = new Map();
  let hasOlder = true;
  let loadingOlder = false;
  /** @type {any} */
  let replyTo = null;
  /** @type {number | null} */
  let editing = null;
  let lastTyping = 0;

  const list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': room.title, tabindex: 0 });
  const typingLine = h('div', { class: 'typing', 'aria-live': 'polite' });
  const replyBar = h('div', { class: 'reply-bar', hidden: true });
  const peekBar = h('div', { class: 'peek-bar', role: 'status', hidden: !peek },
    h('span', {}, t('peeking')), h('button', { type: 'button', class: 'small', id: 'end-peek', onclick: () => endPeek() }, t('readNow')));
  /** Reads normally from now on, starting with what is on screen. */
  function endPeek() {
    if (!peeking) return;
    peeking = false;
    if (state.peeking === roomId) state.peeking = null;
    peekBar.hidden = true;
    if (location.hash.endsWith('/peek')) history.replaceState(null, '', `#/chats/${roomId}`);
    markRead();
  }
  const input = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'composer', rows: 1, 'aria-label': t('typeMessage'), placeholder: t('typeMessage') }));
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', id: 'attach', class: 'visually-hidden' }));
  const muteButton = h('button', { type: 'button', class: 'icon-button', onclick: () => settings({ muted: !room.muted }) });
  const pinButton = h('button', { type: 'button', class: 'icon-button', onclick: () => settings({ pinned: !room.pinned }) });

  const open = room.kind === 'open' || room.kind === 'open_direct';
  const ai = aiTools(room, roomId, () => { drawHeaderButtons(); changed('rooms'); });
  // An open chat's room: notice, members and host tools.
  const tools = open ? openTools(room, (seq) => msgs.get(seq), () => { rendered.clear(); draw(false); }) : null;
  // Follows a rename (an open chat's host may retitle it).
  const roomTitle = h('span', { class: 'room-name' }, room.title);
  // Follows joins and leaves (the summary is read again after each).
  const memberCount = room.kind === 'group' || room.kind === 'open' ? h('span', { class: 'count' }, String(room.member_count)) : null;
  // The header keeps the title: the summary stays in sight, and on a
  // phone every rarer tool is in one menu (⋯), each named there.
  const rarer = h('div', { class: 'header-more', id: 'room-tools' }, tools?.header, ai.assistantButton,
    h('button', { type: 'button', class: 'icon-button', id: 'room-drawer', 'aria-label': t('drawer'), title: t('drawer'),
      onclick: () => openDrawer(roomId, room.title) }, '🗂'),
    h('button', { type: 'button', class: 'icon-button', id: 'room-export', 'aria-label': t('exportRoom'), title: t('exportRoom'),
      onclick: () => openRoomExport(roomId, room.title) }, '📤'),
    room.kind === 'group' ? h('button', { type: 'button', class: 'icon-button', id: 'room-integrations', 'aria-label': t('integrations'), title: t('integrations'),
      onclick: () => openIntegrations(roomId, room.title) }, '🔗') : null,
    room.kind === 'channel' && room.channel ? h('a', { href: `#/local/channel/${room.channel}`, class: 'icon-button', id: 'room-channel',
      'aria-label': t('channel'), title: t('channel') }, '🏪') : null,
    pinButton, muteButton,
    room.kind === 'group' || open ? h('button', { type: 'button', class: 'icon-button', id: 'room-leave', 'aria-label': t('leave'), title: t('leave'), onclick: leave }, '⎋') : null);
  const menuButton = h('button', { type: 'button', class: 'icon-button room-menu-toggle', id: 'room-menu', 'aria-label': t('roomTools'),
    title: t('roomTools'), 'aria-controls': 'room-tools' }, '⋯');
  const unfoldMenu = foldAway(rarer, menuButton, '.header-actions');
  const header = h('header', { class: 'pane-header room-header' },
    h('a', { href: '#/chats', class: 'icon-button back', 'aria-label': t('back') }, '‹'),
    h('h2', {}, roomTitle, memberCount),
    h('div', { class: 'header-actions' }, ai.summaryButton, rarer, menuButton));

  // In a channel room: whether I still take its advertising, for the
  // one-tap opt-out under each advertisement.
  /** @type {boolean | null} */
  let marketing = null;
  if (room.kind === 'channel' && room.channel) {
    api.get(`/channels/${room.channel}`).then((c) => { marketing = c.mine?.marketing ?? false; rendered.clear(); draw(false); })
      // Without it the button still works; it just cannot say "opted out" yet.
      .catch(() => {});
  }

  /** The opt-out under an advertisement a campaign sent. @param {any} m */
  function optOut(m) {
    if (!m.campaign_id || !m.text.startsWith('(광고)')) return null;
    if (marketing === false) return h('p', { class: 'optout muted' }, t('optedOut'));
    const failed = h('span', { class: 'form-error' });
    return h('p', { class: 'optout' }, h('button', { type: 'button', class: 'small optout-button', onclick: async () => {
      try {
        await api.post(`/campaigns/${m.campaign_id}/opt-out`);
        marketing = false;
        rendered.clear();
        draw(false);
      } catch (err) { failed.textContent = /** @type {Error} */ (err).message; }
    } }, t('optOut')), failed);
  }

  function drawHeaderButtons() {
    muteButton.textContent = room.muted ? '🔕' : '🔔';
    muteButton.setAttribute('aria-label', room.muted ? t('unmute') : t('mute'));
    muteButton.title = muteButton.getAttribute('aria-label') ?? '';
    pinButton.textContent = '📌';
    pinButton.classList.toggle('unpinned', !room.pinned);
    pinButton.setAttribute('aria-label', room.pinned ? t('unpin') : t('pin'));
    pinButton.title = pinButton.getAttribute('aria-label') ?? '';
    ai.draw();
    input.placeholder = room.assistant ? t('askAssistant', { name: room.assistant.display_name }) : t('typeMessage');
  }

  /** @param {any} body */
  async function settings(body) {
    const fresh = await api.patch(`/rooms/${roomId}/settings`, body);
    Object.assign(room, fresh);
    drawHeaderButtons();
    changed('rooms');
  }

  async function leave() {
    await api.del(`/rooms/${roomId}/members/me`);
    forgetRoom(roomId);
    changed('rooms');
    location.hash = '#/chats';
  }

  const later = scheduledTools(roomId, input);
  const recorder = voiceRecorder(roomId);
  const polls = room.kind === 'group' || room.kind === 'open' ? pollTools(roomId, me, nameOf) : null;
  // What goes with a message: a file, a voice message, a poll, a time
  // to send it. In a row on a wide screen; on a phone behind ＋, named.
  const extras = h('div', { class: 'composer-tools', id: 'composer-tools' },
    h('label', { for: 'attach', class: 'icon-button attach', title: t('attach'), 'aria-label': t('attach'), tabindex: 0,
      onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); file.click(); } } }, '📎'),
    recorder.button, polls?.button, later.button);
  const extrasButton = h('button', { type: 'button', class: 'icon-button composer-more', id: 'composer-more', 'aria-label': t('composerTools'),
    title: t('composerTools'), 'aria-controls': 'composer-tools' }, '＋');
  const unfoldExtras = foldAway(extras, extrasButton, '.composer');
  const form = h('form', { class: 'composer', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); send(); } },
    extrasButton, extras, file, input,
    h('button', { type: 'submit', class: 'primary send' }, t('send')));

  const slashMenu = commandMenu(roomId, input);
  mount(pane, header, peekBar, tools?.banner, tools?.ad, ai.panel, list, typingLine, later.bar, recorder.panel, replyBar, slashMenu, form);
  drawHeaderButtons();

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    if (e.key === 'Escape') { setReply(null); }
  });
  input.addEventListener('input', () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
    if (Date.now() - lastTyping > 3000 && input.value) {
      lastTyping = Date.now();
      live.send({ type: 'typing', room_id: roomId });
    }
  });
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    file.value = '';
    if (!f) return;
    const up = await api.request('POST', `/media?name=${encodeURIComponent(f.name)}`, f);
    await send(up.media_id);
  });

  /** @param {any} m */
  function setReply(m) {
    replyTo = m;
    replyBar.hidden = !m;
    if (m) {
      mount(replyBar, h('span', {}, t('replyingTo', { name: nameOf(m.sender_id) }), ': ', m.text.slice(0, 80)),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': t('cancel'), onclick: () => setReply(null) }, '✕'));
      input.focus();
    }
  }

  /** @param {string} [attachment] */
  async function send(attachment) {
    const text = input.value.trim();
    if (!text && !attachment) return;
    // Writing reads the room (the server moves my cursor to my message).
    endPeek();
    const client_id = clientId();
    // Members, and the assistant (not a member) when the room has it.
    const candidates = [...(state.cursors.get(roomId)?.keys() ?? []), ...(room.assistant ? [room.assistant.id] : [])];
    const mentions = candidates.filter((id) => id !== me && text.includes(`@${nameOf(id)}`));
    const body = { client_id, text, reply_to: replyTo?.seq ?? undefined, mentions, attachment };
    input.value = '';
    input.style.height = 'auto';
    setReply(null);
    pending.set(client_id, { text, failed: false, refusal: null });
    draw(true);
    await deliver(client_id, body);
  }

  /** REST send: acknowledged once committed; a retry keeps the client id.
   * @param {string} client_id @param {any} body */
  async function deliver(client_id, body) {
    try {
      const m = await api.post(`/rooms/${roomId}/messages`, body);
      msgs.set(m.seq, m);
      pending.delete(client_id);
    } catch (err) {
      const p = pending.get(client_id);
      if (p) {
        p.failed = true;
        // A refusal (a banned word, flooding, blocked) says why; a lost
        // connection has no code and shows only the retry button.
        p.refusal = err instanceof ApiError ? err : null;
      }
      retryLater.set(client_id, body);
    }
    draw(true);
  }
  /** @type {Map<string, any>} */
  const retryLater = new Map();

  /** Why the server refused a send, under the unsent message. @param {ApiError} err */
  function refusal(err) {
    const el = h('p', { class: 'form-error send-refused', role: 'alert' });
    showError(el, err);
    return el;
  }

  async function loadMembers() {
    const members = await api.get(`/rooms/${roomId}/members`);
    const cursors = new Map();
    for (const m of members) {
      remember(m.profile);
      cursors.set(m.profile.id, m.read_seq);
    }
    state.cursors.set(roomId, cursors);
  }

  async function loadOlder() {
    if (!hasOlder || loadingOlder) return;
    loadingOlder = true;
    const oldest = Math.min(...msgs.keys());
    const q = Number.isFinite(oldest) ? `&before=${oldest}` : '';
    const before = list.scrollHeight - list.scrollTop;
    const page = await api.get(`/rooms/${roomId}/messages?limit=50${q}`);
    for (const m of page.messages) msgs.set(m.seq, m);
    hasOlder = page.next_before !== null && page.next_before !== undefined;
    loadingOlder = false;
    draw(false);
    list.scrollTop = list.scrollHeight - before;
  }

  function markRead() {
    if (peeking) return;
    const last = Math.max(0, ...msgs.keys(), room.last_message?.seq ?? 0);
    if (!document.hidden && last > room.read_seq) {
      room.read_seq = last;
      if (!live.send({ type: 'read', room_id: roomId, seq: last })) {
        api.post(`/rooms/${roomId}/read`, { seq: last }).catch(() => {});
      }
    }
    if (room.unread) {
      room.unread = 0;
      changed('rooms');
    }
  }

  /** @param {any} m */
  function reactions(m) {
    if (!m.reactions?.length) return null;
    return h('div', { class: 'reactions' }, m.reactions.map((/** @type {any} */ r) =>
      h('button', { type: 'button', class: `chip${r.me ? ' mine' : ''}`, 'aria-pressed': String(r.me),
        'aria-label': `${r.emoji} ${r.count}`, onclick: () => react(m, r.emoji, r.me) }, `${r.emoji} ${r.count}`)));
  }

  /** @param {any} m @param {string} emoji @param {boolean} mine */
  async function react(m, emoji, mine) {
    const path = `/rooms/${roomId}/messages/${m.seq}/reactions`;
    if (mine) await api.del(`${path}/${encodeURIComponent(emoji)}`);
    else await api.post(path, { emoji });
  }

  /** @param {any} m */
  function attachment(m) {
    const a = m.attachment;
    if (!a) return null;
    if (m.kind === 'voice') return voiceMessage(roomId, m);
    if (a.thumbnail) {
      return h('a', { href: api.mediaUrl(a.media_id), target: '_blank', rel: 'noopener', class: 'photo' },
        h('img', { src: api.mediaUrl(a.thumbnail), alt: a.name, loading: 'lazy', width: a.width && a.width < 320 ? a.width : 240 }));
    }
    return h('a', { href: api.mediaUrl(a.media_id), download: a.name, class: 'file' }, `📎 ${a.name}`,
      h('span', { class: 'muted' }, ` ${(a.size / 1024).toFixed(1)} KB`));
  }

  /** @type {(() => void) | null} */
  let closeThread = null;
  /** Opens the comments under a message (open chats). @param {number} seq */
  function openComments(seq) {
    closeThread?.();
    closeThread = openThread(roomId, seq, {
      me,
      nameOf: (id) => tools?.nameOf(id) ?? nameOf(id),
      attachment,
      moderation: (c) => tools?.actionsFor(c),
    });
  }

  /** Under a message others commented on: how many, and how many are new to me. @param {any} m */
  function threadLink(m) {
    const n = m.thread?.comments ?? 0;
    if (!open || !n) return null;
    const fresh = m.thread.following ? m.thread.unread : 0;
    return h('button', { type: 'button', class: 'thread-link', dataset: { thread: m.seq }, onclick: () => openComments(m.seq) },
      `💬 ${t('commentsN', { n })}`,
      fresh > 0 ? h('span', { class: 'thread-unread', 'aria-label': t('newCommentsN', { n: fresh }) }, t('newCommentsN', { n: fresh })) : null);
  }

  /** @param {any} m @param {boolean} grouped */
  function bubble(m, grouped) {
    // An app's line of imported history (an invite, a leave): no sender.
    if (m.kind === 'notice') {
      return h('p', { class: 'notice', dataset: { seq: m.seq } }, m.text, h('time', {}, timeOf(m.created_at)));
    }
    // An imported message of someone kept as a name only is stored under
    // the importer's account but is theirs.
    const mine = m.sender_id === me && !m.imported_name;
    const who = m.imported_name ?? nameOf(m.sender_id);
    const unread = unreadCount(roomId, m.seq, m.unread_count);
    const quoted = m.reply_to ? msgs.get(m.reply_to) : null;
    const sender = state.people.get(m.sender_id);
    let content;
    if (m.deleted) {
      content = h('p', { class: 'text deleted' }, t('deleted'));
    } else if (m.hidden) {
      content = h('p', { class: 'text deleted' }, t('hiddenByHost'));
    } else if (editing === m.seq) {
      const field = /** @type {HTMLInputElement} */ (h('input', { value: m.text, 'aria-label': t('edit') }));
      // A refused edit (a banned word, flooding) keeps the form open with the reason.
      const failed = h('span', { class: 'form-error', role: 'alert' });
      content = h('form', { class: 'edit', onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        try {
          await api.patch(`/rooms/${roomId}/messages/${m.seq}`, { text: field.value });
        } catch (err) {
          showError(failed, err);
          return;
        }
        editing = null;
        draw(false);
      } }, field, h('button', { type: 'submit', class: 'primary' }, t('save')),
      h('button', { type: 'button', onclick: () => { editing = null; draw(false); } }, t('cancel')), failed);
      setTimeout(() => field.focus());
    } else {
      content = [
        m.kind === 'pung_reply' || m.kind === 'pung_tag' ? pungQuote(m, nameOf) : null,
        quoted ? h('p', { class: 'quote' }, `${nameOf(quoted.sender_id)}: `, quoted.deleted ? t('deleted') : quoted.text.slice(0, 100)) : null,
        attachment(m),
        m.kind === 'poll' && polls ? polls.card(m)
          : m.text ? h('p', { class: 'text' }, withMentions(m.text, m.mentions ?? [])) : null,
        messageButtons(roomId, m),
        m.edited_at ? h('span', { class: 'edited' }, t('edited')) : null,
        m.by_assistant ? h('span', { class: 'by-assistant' }, t('byAssistant')) : null,
        optOut(m),
      ];
    }
    const avatar = avatarOf(m.imported_name ? { id: 0, display_name: who } : sender ?? { id: m.sender_id, display_name: who }, 'small');
    const actions = m.deleted ? null : h('div', { class: 'msg-actions' },
      h('button', { type: 'button', onclick: () => setReply(m), 'aria-label': t('reply') }, '↩'),
      h('details', { class: 'react-menu' }, h('summary', { 'aria-label': t('react') }, '☺'),
        h('div', { class: 'palette' }, EMOJI.map((e) => h('button', { type: 'button', 'aria-label': e, onclick: () => react(m, e, false) }, e)))),
      open && !m.hidden ? h('button', { type: 'button', class: 'comment-button', 'aria-label': t('commentOn'), title: t('commentOn'),
        onclick: () => openComments(m.seq) }, '💬') : null,
      tools?.actionsFor(m),
      mine && !m.hidden && !m.imported && m.kind !== 'poll' ? h('button', { type: 'button', 'aria-label': t('edit'), onclick: () => { editing = m.seq; draw(false); } }, '✎') : null,
      mine && !m.imported ? h('button', { type: 'button', 'aria-label': t('delete'), onclick: async () => {
        if (confirm(t('delete') + '?')) await api.del(`/rooms/${roomId}/messages/${m.seq}`);
      } }, '🗑') : null);
    return h('article', { class: `msg${mine ? ' mine' : ''}${grouped ? ' grouped' : ''}${m.imported ? ' imported' : ''}`, dataset: { seq: m.seq, client: m.client_id } },
      !mine && !grouped ? avatar : null,
      h('div', { class: 'msg-body' },
        !mine && !grouped ? h('span', { class: 'sender' }, who,
          sender?.bot ? h('span', { class: 'bot-mark', title: t('bot'), 'aria-label': t('bot') }, ' 🤖') : null) : null,
        h('div', { class: 'bubble-row' },
          h('div', { class: 'bubble' }, content),
          h('span', { class: 'meta' },
            unreadBadge(h('span', { class: 'unread-count' }), unread),
            h('time', {}, timeOf(m.created_at)))),
        reactions(m), threadLink(m), actions));
  }

  /** Sets the "1" (members who have not read a message) in place.
   * @param {Element} el @param {number} n */
  function unreadBadge(el, n) {
    el.textContent = n > 0 ? String(n) : '';
    if (n > 0) el.setAttribute('aria-label', t('unreadBy', { n }));
    else el.removeAttribute('aria-label');
    return el;
  }

  const importedLine = h('p', { class: 'imported-line', role: 'separator' }, t('importedAbove'));
  /** The day lines drawn, by day, so a redraw keeps them in place. */
  /** @type {Map<string, HTMLElement>} */
  const dayLines = new Map();
  /** @param {number} at @param {string} day */
  function dayLine(at, day) {
    let el = dayLines.get(day);
    if (!el) {
      el = h('p', { class: 'day-line', role: 'separator' },
        new Date(at).toLocaleDateString([], { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }));
      dayLines.set(day, el);
    }
    return el;
  }

  /** Rendered messages by seq, with a signature of what they show. */
  /** @type {Map<number, {el: HTMLElement, sig: string}>} */
  const rendered = new Map();

  /** @param {any} m @param {boolean} grouped */
  function signature(m, grouped) {
    return JSON.stringify([m.text, m.edited_at, m.deleted, m.hidden, m.reactions, m.attachment?.media_id, grouped,
      editing === m.seq, m.reply_to && msgs.get(m.reply_to)?.text,
      state.people.get(m.sender_id)?.display_name, m.campaign_id ? marketing : null, m.thread]);
  }

  /**
   * Brings the list up to date, rebuilding only messages whose content
   * changed and leaving the other nodes where they are, so an open menu or
   * a focused button survives live updates.
   * @param {boolean} stick scroll to the bottom
   */
  function draw(stick) {
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    const seqs = [...msgs.keys()].sort((a, b) => a - b);
    const shown = new Set([...msgs.values()].map((m) => m.client_id));
    /** @type {HTMLElement[]} */
    const want = [];
    if (loadingOlder) want.push(h('p', { class: 'muted center' }, t('loadingOlder')));
    let prev = null;
    for (const s of seqs) {
      const m = msgs.get(s);
      const grouped = !!prev && prev.kind !== 'notice' && prev.sender_id === m.sender_id
        && prev.imported_name === m.imported_name && m.created_at - prev.created_at < 60000;
      // Where imported history ends and the room's own begins.
      if (prev?.imported && !m.imported) want.push(importedLine);
      // A line for each new day, as messengers draw them.
      const day = new Date(m.created_at).toDateString();
      if (!prev || new Date(prev.created_at).toDateString() !== day) want.push(dayLine(m.created_at, day));
      const sig = signature(m, grouped);
      let entry = rendered.get(s);
      if (!entry || entry.sig !== sig) {
        entry = { el: bubble(m, grouped), sig };
        rendered.set(s, entry);
      } else {
        const badge = entry.el.querySelector('.unread-count');
        if (badge) unreadBadge(badge, unreadCount(roomId, m.seq, m.unread_count));
      }
      want.push(entry.el);
      prev = m;
    }
    for (const s of rendered.keys()) if (!msgs.has(s)) rendered.delete(s);
    for (const [cid, p] of pending) {
      if (shown.has(cid)) { pending.delete(cid); continue; }
      want.push(h('article', { class: `msg mine pending${p.failed ? ' failed' : ''}` },
        h('div', { class: 'msg-body' }, h('div', { class: 'bubble-row' }, h('div', { class: 'bubble' }, h('p', { class: 'text' }, p.text)),
          p.failed ? h('button', { type: 'button', class: 'link', onclick: () => { p.failed = false; p.refusal = null; deliver(cid, retryLater.get(cid)); } }, '↻') : h('span', { class: 'meta' }, '…')),
        p.failed && p.refusal ? refusal(p.refusal) : null)));
    }
    // Insert or move only what is out of place; drop what is no longer wanted.
    want.forEach((el, i) => {
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
    });
    while (list.children.length > want.length) list.lastElementChild?.remove();
    if (stick || nearBottom) list.scrollTop = list.scrollHeight;
    drawTyping();
  }

  function drawTyping() {
    const typing = state.typing.get(roomId);
    typingLine.textContent = typing && typing.until > Date.now() && typing.user !== me ? t('typing', { name: nameOf(typing.user) }) : '';
  }

  list.addEventListener('scroll', () => { if (list.scrollTop < 80) loadOlder(); });
  const onVisible = () => markRead();
  document.addEventListener('visibilitychange', onVisible);
  const unsubscribe = subscribe((what) => {
    if (what === 'typing') drawTyping();
    if (what === 'rooms') {
      const now = state.rooms.get(roomId) ?? room;
      roomTitle.textContent = now.title;
      if (memberCount) memberCount.textContent = String(now.member_count);
      // Another member may have added or removed the assistant.
      drawHeaderButtons();
    }
    if (what === 'messages' || what === 'reads') draw(false);
    if (what === 'messages') tools?.refresh();
    if (what === 'messages') markRead();
    if (what === 'scheduled') later.load().catch(() => {});
    // History was imported before the room's first message: read it in.
    if (what === `history:${roomId}`) {
      hasOlder = true;
      loadOlder().catch(() => {});
    }
    if (what.startsWith('poll:')) {
      const [, room, seq] = what.split(':');
      if (Number(room) === roomId) polls?.changedPoll(Number(seq));
    }
  });

  (async () => {
    // Offline, with nothing kept for this room: show what there is; the
    // socket's resume brings the rest when the network is back.
    await loadMembers().catch(() => {});
    await tools?.load();
    tools?.loadAd();
    // Offline: the bar shows once the list can be read.
    later.load().catch(() => {});
    if (msgs.size < 30) await loadOlder().catch(() => {});
    draw(true);
    markRead();
    if (focusSeq !== null) {
      // Page back until the message is here (a bounded number of pages).
      for (let i = 0; i < 100 && !msgs.has(focusSeq) && hasOlder; i++) await loadOlder().catch(() => { hasOlder = false; });
      const el = list.querySelector(`article[data-seq="${focusSeq}"]`);
      if (el) {
        el.classList.add('focused');
        el.scrollIntoView({ block: 'center' });
        setTimeout(() => el.classList.remove('focused'), 3000);
      }
      if (thread && open) openComments(focusSeq);
    } else {
      input.focus();
    }
  })();

  return () => {
    unsubscribe();
    document.removeEventListener('visibilitychange', onVisible);
    unfoldMenu();
    unfoldExtras();
    closeThread?.();
    recorder.stop();
    if (state.activeRoom === roomId) state.activeRoom = null;
    if (state.peeking === roomId) state.peeking = null;
  };
}
