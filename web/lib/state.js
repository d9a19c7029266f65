// @ts-check
/** Client state shared by the tabs, and change notification. */

export const state = {
  /** @type {any} */ me: null,
  /** @type {{summary: boolean, assistant: boolean, campaign_copy: boolean, transcription: boolean}} the AI this server offers */ ai: { summary: false, assistant: false, campaign_copy: false, transcription: false },
  /** @type {Map<number, any>} */ rooms: new Map(),
  /** @type {any[]} */ friends: [],
  /** @type {{id: number, name: string, room_ids: number[]}[]} the person's chat folders, in their order */ folders: [],
  /** @type {{folders: number, rooms: number}} */ folderLimits: { folders: 10, rooms: 100 },
  /** @type {any[]} */ birthdays: [],
  /** @type {Map<number, any>} user id → profile, for names and avatars */ people: new Map(),
  /** @type {Map<number, Map<number, any>>} room → seq → message */ messages: new Map(),
  /** @type {Map<number, Map<number, any>>} room → seq → comment (open chats' threads, as loaded or sent live) */ comments: new Map(),
  /** @type {string | null} the thread on screen, `room:root` */ openThread: null,
  /** @type {Map<number, Map<number, number>>} room → user → read seq */ cursors: new Map(),
  /** @type {Map<number, {user: number, until: number}>} */ typing: new Map(),
  /** @type {number | null} */ activeRoom: null,
  /** @type {number | null} the open room, when it is open without read receipts (peek) */ peeking: null,
  /** @type {{mine: any[], friends: any[]}} the Pung feed: my Pungs and friends' rings */ pungs: { mine: [], friends: [] },
  online: true,
  /** @type {{stage: string, done: number, total: number} | null} my import on its way */ importProgress: null,
  /** @type {Map<number, any>} my exports as their frames last told them, by id */ exports: new Map(),
};

/** @type {Set<(what: string) => void>} */
const listeners = new Set();

/** @param {(what: string) => void} fn */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** @param {string} what */
export function changed(what) {
  for (const fn of listeners) fn(what);
}

/**
 * Puts a room fetched from the server into the state. A room already there
 * is updated in place, so every screen holding it sees the change; its
 * read cursor never moves back, and the open room has nothing unread
 * (unless it is only peeked at).
 * @param {any} fresh
 */
export function mergeRoom(fresh) {
  remember(fresh.assistant);
  const had = state.rooms.get(fresh.id);
  if (!had) {
    state.rooms.set(fresh.id, fresh);
    return fresh;
  }
  const readSeq = Math.max(had.read_seq ?? 0, fresh.read_seq ?? 0);
  // A summary fetched before an event we have already applied (a rename,
  // the last message) must not take those back: they stay as the events
  // left them.
  const newer = (had.last_seq ?? 0) > (fresh.last_seq ?? 0)
    ? { title: had.title, last_seq: had.last_seq, last_message: had.last_message }
    : {};
  Object.assign(had, fresh, { read_seq: readSeq }, newer);
  if (state.activeRoom === fresh.id && state.peeking !== fresh.id && !document.hidden) had.unread = 0;
  return had;
}

/** Titles of rooms left this session, for what is said about them after. @type {Map<number, string>} */
const formerTitles = new Map();

/** Drops a room I am no longer in, keeping its title to name it by. @param {number} id */
export function forgetRoom(id) {
  const room = state.rooms.get(id);
  if (room) formerTitles.set(id, room.title);
  state.rooms.delete(id);
}

/** A room's title, also of one I have left. @param {number} id */
export function roomTitle(id) {
  return state.rooms.get(id)?.title ?? formerTitles.get(id) ?? '…';
}

/** @param {any} profile */
export function remember(profile) {
  if (profile?.id) state.people.set(profile.id, profile);
}

/** Rooms for the chat list: pinned first, then latest activity. */
export function sortedRooms() {
  return [...state.rooms.values()].sort((a, b) => {
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    const at = (r) => r.last_message?.created_at ?? r.created_at;
    return at(b) - at(a);
  });
}

/** Members of `room` who have not read `seq` (KakaoTalk's "1").
 * @param {number} room @param {number} seq @param {number} fallback */
export function unreadCount(room, seq, fallback) {
  const cursors = state.cursors.get(room);
  if (!cursors) return fallback;
  let n = 0;
  for (const c of cursors.values()) if (c < seq) n++;
  return n;
}
