// @ts-check
/**
 * The installable app's page side: registers the service worker (sw.js),
 * tells it the language and log-outs, opens a room a notification was
 * clicked for, keeps the app badge, and turns this device's push
 * subscription on and off (Web Push with the server's VAPID key).
 */

import { api } from './api.js';

/** @returns {ServiceWorkerContainer | null} */
function workers() {
  return 'serviceWorker' in navigator ? navigator.serviceWorker : null;
}

/** The language last asked for; told to the worker once it is active. @type {'en' | 'ko'} */
let lang = 'en';

/**
 * Registers the worker; `openRoom` is called when a notification is clicked
 * while this page is open.
 * @param {(room: number | null) => void} openRoom
 */
export function registerWorker(openRoom) {
  const sw = workers();
  if (!sw) return;
  sw.addEventListener('message', (e) => {
    if (e.data?.type === 'open-room') openRoom(typeof e.data.room_id === 'number' ? e.data.room_id : null);
  });
  sw.register('/sw.js')
    .then(() => sw.ready)
    .then(() => tellWorker({ type: 'lang', lang }))
    .catch(() => { /* plain HTTP off localhost: no worker, no offline, no push */ });
}

/** Posts to the active worker, if there is one (never waits for one). @param {any} message */
async function tellWorker(message) {
  const reg = await workers()?.getRegistration();
  reg?.active?.postMessage(message);
}

/** The worker words notifications in this language. @param {'en' | 'ko'} next */
export function workerLanguage(next) {
  lang = next;
  tellWorker({ type: 'lang', lang }).catch(() => {});
}

/** The app icon's badge: the unread total. @param {number} n */
export function setBadge(n) {
  const nav = /** @type {any} */ (navigator);
  (n > 0 ? nav.setAppBadge?.(n) : nav.clearAppBadge?.())?.catch?.(() => {});
}

/** Closes the notifications of a room that is now on screen. @param {number} room */
export async function clearRoomNotifications(room) {
  const reg = await workers()?.getRegistration();
  for (const n of (await reg?.getNotifications({ tag: `room-${room}` })) ?? []) n.close();
}

/**
 * Where push stands on this device.
 * @returns {Promise<{support: 'ok' | 'insecure' | 'unsupported', permission: NotificationPermission | 'default', subscribed: boolean, preview: string, serverOff: boolean}>}
 */
export async function pushStatus() {
  const support = !window.isSecureContext ? 'insecure'
    : !workers() || !('PushManager' in window) || !('Notification' in window) ? 'unsupported' : 'ok';
  const permission = 'Notification' in window ? Notification.permission : 'default';
  let serverOff = false;
  try {
    await api.get('/push/key');
  } catch (err) {
    serverOff = /** @type {any} */ (err)?.code === 'feature_off';
  }
  const settings = await api.get('/me/notifications');
  return { support, permission, subscribed: settings.subscribed, preview: settings.preview, serverOff };
}

/** @param {string} base64url */
function bytes(base64url) {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/**
 * Asks for permission if needed, subscribes with the server's key and
 * hands the subscription to the server. Throws `denied` when the person
 * or the browser refused.
 */
export async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw Object.assign(new Error('denied'), { code: 'denied' });
  const reg = await /** @type {ServiceWorkerContainer} */ (workers()).ready;
  const { public_key: key } = await api.get('/push/key');
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another server key cannot be used.
  const old = sub?.options?.applicationServerKey;
  if (sub && old && btoa(String.fromCharCode(...new Uint8Array(old))) !== btoa(String.fromCharCode(...bytes(key)))) {
    await sub.unsubscribe();
    sub = null;
  }
  if (!sub) {
    try {
      sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
    } catch (err) {
      // The browser's push service said no (a private window, no network to
      // it, a browser built without one): say so in words.
      throw Object.assign(new Error(String(err)), { code: 'push_subscribe_failed' });
    }
  }
  await api.put('/devices/current/push', sub.toJSON());
}

/**
 * At start: where the server holds a subscription for this device, hands
 * it the browser's current one again. A push service may renew a
 * subscription (the worker's `pushsubscriptionchange` has no token to
 * report it with), and a browser may drop one; either is mended here.
 */
export async function resyncPush() {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const reg = await workers()?.getRegistration();
  if (!reg || !('pushManager' in reg)) return;
  const settings = await api.get('/me/notifications');
  if (!settings.subscribed) return;
  let sub = await reg.pushManager.getSubscription();
  if (!sub) {
    const { public_key: key } = await api.get('/push/key');
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
  }
  await api.put('/devices/current/push', sub.toJSON());
}

/** Unsubscribes this device, on the server and in the browser. */
export async function turnOff() {
  await api.del('/devices/current/push').catch((err) => {
    if (err?.code !== 'push_subscription_not_found') throw err;
  });
  const reg = await workers()?.getRegistration();
  await (await reg?.pushManager.getSubscription())?.unsubscribe();
}

/** Before a log-out: the browser's subscription goes (the server drops
 * the device's own with the session), and the worker forgets this
 * account's cached answers, badge and notifications. */
export async function forgetAccount() {
  const token = api.token;
  if (!token) return;
  const reg = await workers()?.getRegistration();
  await (await reg?.pushManager.getSubscription())?.unsubscribe().catch(() => false);
  await tellWorker({ type: 'logout', token }).catch(() => {});
}
