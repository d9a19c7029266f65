// @ts-check
/** Applies one room event (already de-duplicated by seq) to the state. */

import { api } from '../../lib/api.js';
import { changed, mergeRoom, remember, state } from '../../lib/state.js';
import { commentArrived } from './thread.js';

/** @type {Map<number, ReturnType<typeof setTimeout>>} */
const refreshes = new Map();

/** Re-reads a room's summary soon (member counts after joins and leaves).
 * @param {number} id */
function refreshRoom(id) {
  clearTimeout(refreshes.get(id));
  refreshes.set(id, setTimeout(async () => {
    try {
      const fresh = await api.get(`/rooms/${id}`);
      mergeRoom(fresh);
      changed('rooms');
    } catch { /* left meanwhile: room_removed handles it */ }
  }, 300));
}

/** @type {Map<number, ReturnType<typeof setTimeout>>} */
const peopleRefreshes = new Map();

/** Learns the names of a room's members soon (someone new joined or spoke).
 * @param {number} id */
function refreshPeople(id) {
  clearTimeout(peopleRefreshes.get(id));
  peopleRefreshes.set(id, setTimeout(async () => {
    try {
      for (const m of await api.get(`/rooms/${id}/members`)) remember(m.profile);
      changed('messages');
    } catch { /* left meanwhile */ }
  }, 200));
}

/** @param {any[]} reactions @param {string} emoji @param {number} delta @param {boolean} mine */
function bump(reactions, emoji, delta, mine) {
  const r = reactions.find((x) => x.emoji === emoji);
  if (r) {
    r.count += delta;
    if (mine) r.me = delta > 0;
  } else if (delta > 0) {
    reactions.push({ emoji, count: 1, me: mine });
  }
  return reactions.filter((x) => x.count > 0);
}

/** @param {any} e */
export function applyEvent(e) {
  const room = state.rooms.get(e.room_id);
  if (room) room.last_seq = Math.max(room.last_seq, e.seq);
  const msgs = state.messages.get(e.room_id);
  const cursors = state.cursors.get(e.room_id);
  const comments = state.comments.get(e.room_id);
  const body = e.body;
  // In an open chat the caller is known by a persona's id.
  const me = room?.my_id ?? state.me?.id;
  switch (body.type) {
    case 'message': {
      const m = body.message;
      if (!state.people.has(m.sender_id)) refreshPeople(e.room_id);
      if (m.thread_root) {
        // A comment joins its thread, not the timeline, and moves no cursor.
        commentArrived(e.room_id, m, me);
        break;
      }
      msgs?.set(m.seq, m);
      if (state.typing.get(e.room_id)?.user === m.sender_id) state.typing.delete(e.room_id);
      cursors?.set(m.sender_id, Math.max(cursors.get(m.sender_id) ?? 0, m.seq));
      if (room) {
        room.last_message = m;
        if (m.sender_id !== me && (state.activeRoom !== e.room_id || state.peeking === e.room_id) && m.seq > room.read_seq) room.unread += 1;
        if (m.sender_id === me) room.read_seq = Math.max(room.read_seq, m.seq);
      }
      break;
    }
    case 'edited': {
      for (const m of [msgs?.get(body.target), comments?.get(body.target), room?.last_message?.seq === body.target ? room.last_message : null]) {
        if (m) { m.text = body.text; m.edited_at = body.edited_at; }
      }
      break;
    }
    case 'deleted': {
      for (const m of [msgs?.get(body.target), comments?.get(body.target), room?.last_message?.seq === body.target ? room.last_message : null]) {
        if (m) { m.deleted = true; m.text = ''; m.attachment = null; m.reactions = []; }
      }
      break;
    }
    case 'reaction_added':
    case 'reaction_removed': {
      const m = msgs?.get(body.target) ?? comments?.get(body.target);
      if (m) m.reactions = bump(m.reactions ?? [], body.emoji, body.type === 'reaction_added' ? 1 : -1, e.actor === me);
      break;
    }
    case 'joined':
      cursors?.set(body.user, e.seq);
      refreshRoom(e.room_id);
      if (!state.people.has(body.user)) refreshPeople(e.room_id);
      break;
    case 'left':
    case 'kicked':
      cursors?.delete(body.user);
      refreshRoom(e.room_id);
      break;
    case 'hidden': {
      // The chat list's preview too: a hidden message's text is gone.
      for (const m of [msgs?.get(body.target), comments?.get(body.target), room?.last_message?.seq === body.target ? room.last_message : null]) {
        if (m) { m.hidden = true; m.text = ''; m.attachment = null; }
      }
      break;
    }
    case 'restored':
      // The restored text is not in the event: fetch the message again.
      if (room?.last_message?.seq === body.target) refreshRoom(e.room_id);
      if (msgs?.has(body.target)) {
        api.get(`/rooms/${e.room_id}/messages?before=${body.target + 1}&limit=1`).then((page) => {
          for (const x of page.messages) msgs.set(x.seq, x);
          changed('messages');
        }).catch(() => {});
      }
      if (comments?.has(body.target)) {
        const root = comments.get(body.target).thread_root;
        api.get(`/rooms/${e.room_id}/messages/${root}/comments?before=${body.target + 1}&limit=1`).then((page) => {
          for (const x of page.comments) comments.set(x.seq, x);
          changed('messages');
        }).catch(() => {});
      }
      break;
    case 'renamed':
      if (room) room.title = body.title;
      break;
    case 'closed':
    case 'assistant_added':
    case 'assistant_removed':
      refreshRoom(e.room_id);
      break;
  }
  changed('rooms');
  changed('messages');
}
