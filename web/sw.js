// @ts-check
/// <reference lib="webworker" />
/**
 * The service worker: the app shell offline, API reads network-first with
 * a copy per account, and push notifications.
 *
 * - Shell: on install every file of the client (the server lists them at
 *   /app-shell.json) goes into a cache; later loads go to the network
 *   first (so a new version shows at once) and fall back to that cache.
 * - API reads (GET /api/v1/…): network first. An answer is kept in a cache
 *   named after a hash of the bearer token that asked, and offered again
 *   only to the same token when the network fails, so no account is ever
 *   shown another's answers. `no-store` answers (a Pung's photo) are never
 *   kept. Log-out drops that account's cache.
 * - Push: one notification per room (tag `room-{id}`, replaced as more
 *   arrive), worded in the person's language from what the server put in
 *   the payload, which already respects their preview level; the app
 *   badge shows the unread total. A click opens the room.
 */

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

const SHELL = 'madang-shell-v1';
const META = 'madang-meta';
const API_PREFIX = 'madang-api-';

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    const res = await fetch('/app-shell.json', { cache: 'no-store' });
    const { files } = await res.json();
    await cache.addAll(['/', ...files.map((/** @type {string} */ f) => `/${f}`)]);
    await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

/** @param {string} text */
async function sha256(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 16).map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The cache of the account whose token asks, or null without one.
 * @param {Request} request */
async function accountCache(request) {
  const auth = request.headers.get('authorization');
  if (!auth) return null;
  return API_PREFIX + await sha256(auth);
}

/** @param {Response} res */
function keepable(res) {
  return res.ok && res.type === 'basic' && !/no-store|private/.test(res.headers.get('cache-control') ?? '');
}

/** @param {Request} request */
async function apiRead(request) {
  const name = await accountCache(request);
  try {
    const res = await fetch(request);
    if (name && keepable(res)) {
      const copy = res.clone();
      caches.open(name).then((c) => c.put(request, copy)).catch(() => {});
    }
    return res;
  } catch (err) {
    const kept = name ? await (await caches.open(name)).match(request) : undefined;
    if (kept) return kept;
    throw err;
  }
}

/** @param {Request} request */
async function shellRead(request) {
  try {
    const res = await fetch(request);
    if (res.ok && res.type === 'basic') {
      const copy = res.clone();
      caches.open(SHELL).then((c) => c.put(request, copy)).catch(() => {});
    }
    return res;
  } catch (err) {
    const cache = await caches.open(SHELL);
    // The client's own routes are hash routes, so every page is "/".
    const kept = await cache.match(request, { ignoreSearch: true })
      ?? (request.mode === 'navigate' ? await cache.match('/') : undefined);
    if (kept) return kept;
    throw err;
  }
}

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== sw.location.origin) return;
  if (url.pathname === '/api/v1/ws' || url.pathname === '/sw.js') return;
  if (url.pathname.startsWith('/api/')) {
    event.respondWith(apiRead(request));
  } else if (!['/healthz', '/readyz', '/metrics'].includes(url.pathname)) {
    event.respondWith(shellRead(request));
  }
});

/** What the page tells the worker: its language, and a log-out. */
sw.addEventListener('message', (event) => {
  const data = event.data ?? {};
  if (data.type === 'lang' && (data.lang === 'ko' || data.lang === 'en')) {
    event.waitUntil(caches.open(META).then((c) => c.put('/meta/lang', new Response(data.lang))));
  } else if (data.type === 'logout' && typeof data.token === 'string') {
    event.waitUntil((async () => {
      await caches.delete(API_PREFIX + await sha256(`Bearer ${data.token}`));
      await setBadge(0);
      for (const n of await sw.registration.getNotifications()) n.close();
    })());
  }
});

const WORDS = {
  en: {
    app: 'Madang',
    newMessage: 'New message',
    newMessages: (/** @type {number} */ n) => (n > 1 ? `${n} new messages` : 'New message'),
    photo: 'Photo',
    file: 'File',
    pungTag: 'tagged you in a Pung',
    pungReply: 'replied to your Pung',
    more: (/** @type {number} */ n) => `+${n} more`,
    test: 'Notifications work on this device.',
  },
  ko: {
    app: '마당',
    newMessage: '새 메시지',
    newMessages: (/** @type {number} */ n) => (n > 1 ? `새 메시지 ${n}개` : '새 메시지'),
    photo: '사진',
    file: '파일',
    pungTag: '님이 회원님을 펑에 태그했어요',
    pungReply: '님이 펑에 답장했어요',
    more: (/** @type {number} */ n) => `외 ${n}개`,
    test: '이 기기에서 알림을 받을 수 있어요.',
  },
};

async function lang() {
  const kept = await (await caches.open(META)).match('/meta/lang');
  const value = kept ? await kept.text() : (navigator.language ?? 'ko');
  return value.startsWith('en') ? 'en' : 'ko';
}

/** @param {number} n */
async function setBadge(n) {
  await caches.open(META).then((c) => c.put('/meta/badge', new Response(String(n))));
  const nav = /** @type {any} */ (navigator);
  try {
    if (n > 0) await nav.setAppBadge?.(n);
    else await nav.clearAppBadge?.();
  } catch { /* no badge on this platform */ }
}

/**
 * The notification for a payload (see the server's `push/payload.rs`).
 * @param {any} p @param {'en' | 'ko'} l
 * @returns {{title: string, body: string}}
 */
function word(p, l) {
  const w = WORDS[l];
  if (p.type === 'test') return { title: w.app, body: w.test };
  const count = Math.max(1, Number(p.count) || 1);
  if (p.preview === 'none' || !p.room_title) return { title: w.app, body: w.newMessages(count) };
  if (p.preview === 'room' || !p.sender) return { title: p.room_title, body: w.newMessages(count) };
  let text = p.text ?? '';
  if (p.message_kind === 'image') text = text || w.photo;
  else if (p.message_kind === 'file') text = text || w.file;
  else if (p.message_kind === 'pung_tag') text = `${p.sender}${l === 'en' ? ' ' : ''}${w.pungTag}`;
  else if (p.message_kind === 'pung_reply') text = text || `${p.sender}${l === 'en' ? ' ' : ''}${w.pungReply}`;
  if (!text) text = w.newMessage;
  const line = p.direct || p.message_kind === 'pung_tag' ? text : `${p.sender}: ${text}`;
  return { title: p.room_title, body: count > 1 ? `${line} (${w.more(count - 1)})` : line };
}

/** Pushes are shown one after another, in the order they came. */
let shown = Promise.resolve();

/** @param {PushMessageData | null} data */
async function showPush(data) {
  /** @type {any} */
  let p;
  try {
    p = data?.json();
  } catch {
    p = null;
  }
  const l = await lang();
  if (!p || p.v !== 1) {
    // Something this version does not read: say only that there is news.
    await sw.registration.showNotification(WORDS[l].app, { body: WORDS[l].newMessage, tag: 'unknown' });
    return;
  }
  // A push service may deliver out of order: an older one never replaces
  // a newer notification of its room.
  const seq = Number(p.seq) || 0;
  if (p.tag) {
    const kept = await sw.registration.getNotifications({ tag: p.tag });
    if (kept.some((n) => (Number(n.data?.seq) || 0) > seq)) return;
  }
  const { title, body } = word(p, l);
  await setBadge(Number(p.unread_total) || 0);
  // renotify and timestamp are not in TypeScript's lib yet.
  await sw.registration.showNotification(title, /** @type {NotificationOptions} */ (/** @type {unknown} */ ({
    body,
    tag: p.tag,
    // A replaced notification alerts again only for a mention or reply.
    renotify: Boolean(p.urgent && p.tag),
    icon: '/icons/icon-192.png',
    badge: '/icons/badge-96.png',
    lang: l,
    timestamp: Date.now(),
    data: { room_id: p.room_id ?? null, seq },
  })));
}

sw.addEventListener('push', (event) => {
  shown = shown.then(() => showPush(event.data)).catch(() => {});
  event.waitUntil(shown);
});

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const room = event.notification.data?.room_id;
  const hash = room ? `#/chats/${room}` : '#/chats';
  event.waitUntil((async () => {
    const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((c) => new URL(c.url).origin === sw.location.origin);
    if (open) {
      // The page opens the room itself, with its unread messages.
      open.postMessage({ type: 'open-room', room_id: room ?? null });
      try {
        await open.focus();
      } catch { /* focusing needs the click's activation; the room is open anyway */ }
      return;
    }
    await sw.clients.openWindow(`/${hash}`);
  })());
});
