// The installable app: Chromium's installability check, the shell and the
// last answers offline from the service worker, a push shown as one
// notification per room with the app badge, a click that opens the room,
// and More → Notifications turning push on and off against the real server.
//
// Headless Chromium has no push service to subscribe to, so two things
// stand in for the browser's side only: DevTools' ServiceWorker.deliverPushMessage
// hands the worker a payload (the server's encryption and sending are
// tested in Rust against a real push service), and PushManager.subscribe
// returns a subscription with real P-256 keys whose endpoint is on
// 127.0.0.1, which the server is told to allow (`[push] private_hosts`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import {
  apiCall, apiSignUp, logInto, loggedIn, profileContext, shots, startBrowser, startPushReceiver, startServer, within,
} from './harness.mjs';

/** @type {import('playwright-core').Browser} */
let browser;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
});

/** Two friends with a 1:1 room; `b` has written `text` in it. */
async function friends(base, tag, text) {
  const a = await apiSignUp(base, `ana_${tag}_${run}`, 'Ana');
  const b = await apiSignUp(base, `ben_${tag}_${run}`, 'Ben');
  await apiCall(base, a.token, 'POST', '/friends', { handle: b.user.handle });
  await apiCall(base, b.token, 'POST', '/friends', { handle: a.user.handle });
  const room = (await apiCall(base, b.token, 'POST', '/rooms/direct', { user_id: a.user.id })).id;
  await apiCall(base, b.token, 'POST', `/rooms/${room}/messages`, { client_id: `m-${tag}`, text });
  return { a, b, room };
}

/**
 * Waits until the service worker controls the page. A page that loaded
 * while the worker was still installing is claimed when it activates, but
 * Chromium's `clients.claim()` can miss a page whose navigation was in
 * flight at that moment (a reload right after the first visit, as below),
 * and such a page stays uncontrolled until its next load: a person sees
 * the worker from their next visit on. The same holds for an install cut
 * short by that reload: the next load registers again. So the page is
 * loaded again when it is not controlled within a bound, up to twice.
 */
async function controlled(page) {
  for (let load = 1; ; load++) {
    const state = await within('the service worker taking control of the page', page.evaluate(() => new Promise((ok) => {
      const sw = navigator.serviceWorker;
      if (sw.controller) return ok('controlled');
      sw.addEventListener('controllerchange', () => ok('controlled'), { once: true });
      setTimeout(() => ok(sw.controller ? 'controlled' : 'not controlled'), 10_000);
      sw.ready.then(() => setTimeout(() => ok(sw.controller ? 'controlled' : 'active, not controlled'), 3000));
    })));
    if (state === 'controlled') return;
    console.log(`# the page was not controlled after load ${load} (${state}); loading it again`);
    assert.ok(load < 3, `the page is still not controlled after ${load} loads (${state})`);
    await page.reload();
  }
}

test('Chromium finds the app installable, and it opens offline with what it last had', async () => {
  const server = await startServer();
  try {
    const { a, room } = await friends(server.base, 'off', 'see you at the market');
    // Chromium never offers to install from an incognito window, which is
    // what a plain Playwright context is; this one has a profile.
    const profile = await profileContext();
    const page = await logInto(profile, server.base, a.token);
    await controlled(page);
    const cdp = await page.context().newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, [], JSON.stringify(manifest.errors));
    const parsed = JSON.parse(manifest.data ?? '{}');
    assert.equal(parsed.display, 'standalone');
    assert.ok(parsed.icons.some((/** @type {any} */ i) => i.sizes === '512x512' && i.purpose === 'maskable'));
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], JSON.stringify(installabilityErrors));
    // The shell is served under the strict policy, worker included.
    const csp = (await fetch(`${server.base}/sw.js`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);

    // One visit under the worker keeps this account's answers.
    await page.reload();
    await page.waitForSelector(`.room-row:has-text("see you at the market")`);
    await page.goto(`${server.base}/#/chats/${room}`);
    await page.waitForSelector('article.msg .text:has-text("see you at the market")');
    await page.goto(`${server.base}/#/chats`);
    await server.stop();
    await page.reload();
    await page.waitForSelector('nav.tabs');
    await page.waitForSelector(`.room-row:has-text("see you at the market")`);
    await page.waitForSelector('.banner:not([hidden])');
    await page.goto(`${server.base}/#/chats/${room}`);
    await page.waitForSelector('article.msg .text:has-text("see you at the market")');
    await page.screenshot({ path: join(shots, 'push-offline.png') });

    // Another account in the same browser never gets those answers.
    const other = await page.evaluate(async () => {
      const res = await fetch('/api/v1/rooms', { headers: { authorization: 'Bearer someone-else' } }).catch(() => null);
      return res ? res.status : 'network error';
    });
    assert.equal(other, 'network error');
    await profile.close();
  } finally {
    await server.stop();
  }
});

test('a push from the server is one notification per room with the badge, in Korean, and a click opens the room', async () => {
  const receiver = await startPushReceiver();
  const server = await startServer({ config: receiver.config });
  try {
    const { a, b, room } = await friends(server.base, 'note', '장 보러 가요');
    // Ana's phone: another device of hers, with no socket, subscribed to
    // the test push service. What it is pushed is shown by this browser's
    // worker (headless Chromium cannot subscribe to a real push service).
    const phone = await apiCall(server.base, null, 'POST', '/sessions', { handle: a.user.handle, password: 'correct horse battery' });
    await apiCall(server.base, phone.token, 'PUT', '/devices/current/push', await receiver.subscribe());
    await apiCall(server.base, b.token, 'POST', `/rooms/${room}/messages`, { client_id: 'n2', text: '어디서 볼까요?' });

    const page = await loggedIn(browser, server.base, a.token, { locale: 'ko-KR' });
    await page.context().grantPermissions(['notifications'], { origin: server.base });
    await page.evaluate(() => localStorage.setItem('madang.lang', 'ko'));
    await page.reload();
    await controlled(page);
    await page.goto(`${server.base}/#/more`);
    const cdp = await page.context().newCDPSession(page);
    const registration = new Promise((ok) => cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const r = e.registrations.find((/** @type {any} */ x) => !x.isDeleted);
      if (r) ok(r.registrationId);
    }));
    await within('ServiceWorker.enable', cdp.send('ServiceWorker.enable'));
    const registrationId = await within('the worker registration over CDP', registration);
    const notes = () => within('reading the notifications', page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => ({ title: n.title, body: n.body, tag: n.tag, room: n.data?.room_id }))));
    const deliver = async (/** @type {string} */ data) => {
      await within('ServiceWorker.deliverPushMessage', cdp.send('ServiceWorker.deliverPushMessage', { origin: server.base, registrationId, data }));
    };

    // What the server sent, decrypted by the push service.
    /** @type {any[]} */
    let pushed = [];
    for (let i = 0; i < 100 && !pushed.some((d) => d.payload.text === '어디서 볼까요?'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      pushed = (await receiver.deliveries()).filter((d) => d.payload.room_id === room);
    }
    const last = pushed.at(-1)?.payload;
    assert.equal(last?.text, '어디서 볼까요?', JSON.stringify(pushed));
    assert.equal(last.room_title, 'Ben');
    assert.equal(last.count, 2);
    assert.equal(pushed.at(-1).topic, `r${room}`);
    assert.deepEqual(await receiver.faults(), []);
    for (const d of pushed) await deliver(JSON.stringify(d.payload));
    // Chromium's getNotifications may still answer with the one replaced
    // for a moment after the replacement: wait for the settled answer.
    const settled = JSON.stringify([{ title: 'Ben', body: '어디서 볼까요? (외 1개)', tag: `room-${room}`, room }]);
    await page.waitForFunction(async (want) => {
      const all = await (await navigator.serviceWorker.ready).getNotifications();
      return JSON.stringify(all.map((n) => ({ title: n.title, body: n.body, tag: n.tag, room: n.data?.room_id }))) === want;
    }, settled, { timeout: 5000 });
    const badge = await within('reading the badge', page.evaluate(async () => (await (await caches.open('madang-meta')).match('/meta/badge'))?.text()));
    assert.equal(badge, String(last.unread_total));
    assert.equal(badge, '2');

    // An older push arriving late does not replace it.
    await deliver(JSON.stringify({ ...last, seq: last.seq - 1, text: '장 보러 가요', count: 1 }));
    await new Promise((r) => setTimeout(r, 300));
    await page.waitForFunction(async (want) => {
      const all = await (await navigator.serviceWorker.ready).getNotifications();
      return JSON.stringify(all.map((n) => ({ title: n.title, body: n.body, tag: n.tag, room: n.data?.room_id }))) === want;
    }, settled, { timeout: 5000 });

    await deliver('{"v":9,"text":"secret"}');
    await page.waitForFunction(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length === 2);
    assert.ok((await notes()).every((n) => !n.body.includes('secret')));

    // The click: the open window is brought to the room, messages loaded.
    const [worker] = page.context().serviceWorkers();
    assert.ok(worker, 'the worker is running');
    await within('the notification click in the worker', worker.evaluate(async (tag) => {
      const sw = /** @type {any} */ (self);
      const [n] = await sw.registration.getNotifications({ tag });
      /** @type {Promise<void>[]} */
      const pending = [];
      const event = new NotificationEvent('notificationclick', { notification: n });
      // A script-made event may not extend itself; the worker's wait is kept here.
      Object.defineProperty(event, 'waitUntil', { value: (/** @type {Promise<void>} */ p) => pending.push(p) });
      sw.dispatchEvent(event);
      await Promise.all(pending);
    }, `room-${room}`));
    await page.waitForURL(`**/#/chats/${room}`);
    await page.waitForSelector('article.msg .text:has-text("장 보러 가요")');
    // The room is on screen: its notification is gone.
    await page.waitForFunction(async (tag) => (await (await navigator.serviceWorker.ready).getNotifications({ tag })).length === 0, `room-${room}`);
    await page.context().close();
  } finally {
    await server.stop();
    receiver.stop();
  }
});

test('More → Notifications turns push on, sends a test that arrives, sets the preview and turns it off; refusals are shown', async () => {
  const receiver = await startPushReceiver();
  const server = await startServer({ config: receiver.config });
  try {
    const a = await apiSignUp(server.base, `nia_${run}`, 'Nia');
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    await ctx.grantPermissions(['notifications'], { origin: server.base });
    await ctx.addInitScript((t) => localStorage.setItem('madang.token', t), a.token);
    // The browser's push service, as far as the page can tell: the test
    // push service's subscription (its keys decrypt what the server sends).
    const subscription = await receiver.subscribe();
    await ctx.addInitScript((sub) => {
      const w = /** @type {any} */ (window);
      w.__endpoint = sub.endpoint;
      /** @type {any} */
      let current = null;
      PushManager.prototype.getSubscription = async function () { return current; };
      PushManager.prototype.subscribe = async function (options) {
        const endpoint = w.__endpoint;
        current = {
          endpoint,
          options,
          toJSON: () => ({ ...sub, endpoint }),
          unsubscribe: async () => { current = null; return true; },
        };
        return current;
      };
    }, subscription);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => { throw e; });
    await page.goto(`${server.base}/#/more`);
    await page.waitForSelector('#notif-state:has-text("Off for this device")');

    // A push service the server does not send to.
    await page.evaluate(() => { /** @type {any} */ (window).__endpoint = 'https://10.9.9.9/push/e2e'; });
    await page.click('#notif-on');
    await page.waitForSelector('#notif-note[data-code="endpoint_host_not_allowed"]');
    assert.equal(await page.textContent('#notif-note'), 'This server does not send notifications through that push service.');
    assert.equal(await page.textContent('#notif-state'), 'Off for this device');
    assert.equal((await apiCall(server.base, a.token, 'GET', '/me/notifications')).subscribed, false);
    await page.evaluate(async (endpoint) => {
      const w = /** @type {any} */ (window);
      await (await (await navigator.serviceWorker.ready).pushManager.getSubscription())?.unsubscribe();
      w.__endpoint = endpoint;
    }, subscription.endpoint);

    await page.click('#notif-on');
    await page.waitForSelector('#notif-state:has-text("On for this device")');
    assert.equal((await apiCall(server.base, a.token, 'GET', '/me/notifications')).subscribed, true);
    await page.click('#notif-test');
    await page.waitForSelector('#notif-note:has-text("Sent")');
    /** @type {any[]} */
    let tests = [];
    for (let i = 0; i < 100 && tests.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      tests = (await receiver.deliveries()).filter((d) => d.endpoint === subscription.endpoint && d.payload.type === 'test');
    }
    assert.equal(tests.length, 1, 'the test notification reached the push service');
    assert.equal(tests[0].urgency, 'high');
    assert.deepEqual(await receiver.faults(), []);
    // A browser that lost its subscription (here: every reload, since the
    // stand-in keeps it in the page) is subscribed again at the next start.
    await page.reload();
    await page.waitForFunction(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription()) !== null, null, { timeout: 10_000 });
    await page.waitForSelector('#notif-state:has-text("On for this device")');
    await page.selectOption('#notif-preview', 'none');
    await page.waitForSelector('#notif-note:has-text("Saved")');
    assert.equal((await apiCall(server.base, a.token, 'GET', '/me/notifications')).preview, 'none');
    await page.screenshot({ path: join(shots, 'push-settings.png') });
    await page.click('#notif-off');
    await page.waitForSelector('#notif-state:has-text("Off for this device")');
    assert.equal((await apiCall(server.base, a.token, 'GET', '/me/notifications')).subscribed, false);

    // Logging out ends the session on the server, and its subscription
    // with it, and unsubscribes the browser.
    await page.click('#notif-on');
    await page.waitForSelector('#notif-state:has-text("On for this device")');
    await page.click('button.danger.wide');
    await page.waitForSelector('form');
    await assert.rejects(apiCall(server.base, a.token, 'GET', '/me/notifications'), /401/);
    assert.equal(await within('reading the subscription after log-out', page.evaluate(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription()) === null)), true);
    await ctx.close();
  } finally {
    await server.stop();
    receiver.stop();
  }
});
