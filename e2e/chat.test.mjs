// Two people in two browser contexts: sign up, become friends, chat live;
// the receiver's unread counts update; one goes offline and catches up in
// order without duplicates; XSS payloads in a message, a name and a status
// message render as text. Screenshots of every tab at both widths go to
// target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { DESKTOP, PHONE, apiCall, apiSignUp, loggedIn, shots, startBrowser, startServer } from './harness.mjs';

// Payloads within the length limits: a name is at most 30 characters, a
// status message 60.
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
const SHORT = '<img src=x onerror=alert(1)>';
let alerts = 0;
let server, browser, alice, bob, aliceCtx, bobCtx;
const run = Date.now().toString(36).slice(-5);
const names = { alice: `alice_${run}`, bob: `bob_${run}` };

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  aliceCtx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
  bobCtx = await browser.newContext({ viewport: PHONE, locale: 'ko-KR', isMobile: true, hasTouch: true });
  alice = await aliceCtx.newPage();
  bob = await bobCtx.newPage();
  for (const page of [alice, bob]) {
    page.on('pageerror', (e) => { throw e; });
    page.on('dialog', (d) => {
      if (d.type() === 'alert') alerts += 1;
      d.accept();
    });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').Page} page */
async function signUp(page, handle, displayName) {
  await page.goto(server.base);
  await page.locator('button.link').click();
  await page.fill('#handle', handle);
  await page.fill('#display_name', displayName);
  await page.fill('#password', 'correct horse battery');
  await page.locator('form button[type=submit]').click();
  await page.waitForSelector('nav.tabs');
}

async function messagesIn(page) {
  return page.$$eval('.messages article.msg:not(.pending)', (els) =>
    els.map((e) => ({ seq: Number(e.getAttribute('data-seq')), text: e.querySelector('.text')?.textContent ?? '' })));
}

test('two people sign up, become friends and chat live, with unread counts and XSS shown as text', async () => {
  await signUp(alice, names.alice, `A ${SHORT}`);
  await signUp(bob, names.bob, '밥');

  // Alice's status message carries a payload too.
  await alice.goto(`${server.base}/#/more`);
  await alice.fill('#p-status', `status ${SHORT}`);
  await alice.locator('#profile-form button[type=submit]').click();
  await alice.waitForSelector('.note:has-text("Saved")');

  // Friends both ways, by handle.
  await alice.goto(`${server.base}/#/friends`);
  await alice.fill('#friend-handle', names.bob);
  await alice.locator('.add-friend button').click();
  await alice.waitForSelector('.friend-name:has-text("밥")');
  await bob.goto(`${server.base}/#/friends`);
  await bob.fill('#friend-handle', names.alice);
  await bob.locator('.add-friend button').click();
  const aliceName = bob.locator('.friend-name').first();
  await aliceName.waitFor();
  assert.equal(await aliceName.textContent(), `A ${SHORT}`, 'a name renders as text');
  assert.equal(await bob.locator('.friend .status').first().textContent(), `status ${SHORT}`);

  // Alice opens the 1:1 chat and writes; Bob (elsewhere in the app) gets an unread badge.
  await alice.locator('.friend summary').first().click();
  await alice.locator('.friend-actions button.primary').first().click();
  await alice.waitForSelector('#composer');
  await bob.goto(`${server.base}/#/chats`);
  await alice.fill('#composer', 'hello Bob 👋');
  await alice.keyboard.press('Enter');
  await bob.waitForSelector('.room-row .unread:has-text("1")');
  await bob.waitForSelector('.tab .badge:has-text("1")');
  await bob.screenshot({ path: join(shots, 'chats-390.png') });

  // Alice's message shows "1" until Bob reads it.
  await alice.waitForSelector('article.msg.mine .unread-count:has-text("1")');
  await bob.locator('.room-row').first().click();
  await bob.waitForSelector('.bubble .text:has-text("hello Bob")');
  await alice.waitForSelector('article.msg.mine .unread-count:not(:empty)', { state: 'detached' });
  assert.equal(await bob.locator('.room-row .unread').count(), 0);

  // Bob replies; Alice sees it live.
  await bob.fill('#composer', '안녕하세요 앨리스!');
  await bob.keyboard.press('Enter');
  await alice.waitForSelector('.bubble .text:has-text("안녕하세요 앨리스!")');

  // A payload in a message is text, and nothing ran anywhere.
  await alice.fill('#composer', XSS);
  await alice.keyboard.press('Enter');
  const payload = bob.locator('.bubble .text', { hasText: '<img src=x' });
  await payload.waitFor();
  assert.equal(await payload.textContent(), XSS);
  for (const page of [alice, bob]) {
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__xss), undefined);
    assert.equal(await page.locator('img[src="x"], #app script').count(), 0);
  }
  assert.equal(alerts, 0, 'no payload ran');
  await alice.screenshot({ path: join(shots, 'chat-room-1280.png') });
  await bob.screenshot({ path: join(shots, 'chat-room-390.png') });
});

test('a receiver that was offline catches up in order with no duplicates', async () => {
  const before = await messagesIn(bob);
  await bobCtx.setOffline(true);
  await bob.waitForSelector('.banner:not([hidden])');
  for (const text of ['while you were away 1', 'while you were away 2', 'while you were away 3']) {
    await alice.fill('#composer', text);
    await alice.keyboard.press('Enter');
    await alice.waitForSelector(`.bubble .text:has-text("${text}")`);
  }
  await bob.waitForTimeout(500);
  assert.equal((await messagesIn(bob)).length, before.length, 'nothing arrives while offline');
  await bobCtx.setOffline(false);
  await bob.waitForSelector('.bubble .text:has-text("while you were away 3")');
  await bob.waitForSelector('.banner[hidden]', { state: 'attached' });
  const got = await messagesIn(bob);
  const seqs = got.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
  assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  const away = got.filter((m) => m.text.startsWith('while you were away')).map((m) => m.text);
  assert.deepEqual(away, ['while you were away 1', 'while you were away 2', 'while you were away 3']);
});

test('every tab at phone and desktop width', async () => {
  for (const [page, width] of [[bob, PHONE.width], [alice, DESKTOP.width]]) {
    for (const tab of ['friends', 'chats', 'openchat', 'pung', 'local', 'more']) {
      await page.goto(`${server.base}/#/${tab}`);
      await page.waitForSelector(`nav .tab[data-tab="${tab}"][aria-selected="true"]`);
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(shots, `${tab}-${width}.png`) });
    }
  }
  // The language can be switched; the shell follows.
  await alice.goto(`${server.base}/#/more`);
  await alice.selectOption('#p-lang', 'ko');
  await alice.waitForSelector('nav .tab[data-tab="friends"]:has-text("친구")');
});

test('sending works where crypto.randomUUID is missing, as on a server opened over plain HTTP on the LAN', async () => {
  const c = await apiSignUp(server.base, `cleo_${run}`, 'Cleo');
  const d = await apiSignUp(server.base, `dan_${run}`, 'Dan');
  await apiCall(server.base, c.token, 'POST', '/friends', { handle: d.user.handle });
  await apiCall(server.base, d.token, 'POST', '/friends', { handle: c.user.handle });
  const room = (await apiCall(server.base, c.token, 'POST', '/rooms/direct', { user_id: d.user.id })).id;
  // 127.0.0.1 is a secure context; an http://192.168.x.y origin is not,
  // and there the browser has no crypto.randomUUID.
  const page = await loggedIn(browser, server.base, c.token);
  await page.context().addInitScript(() => {
    Object.defineProperty(Crypto.prototype, 'randomUUID', { value: undefined });
  });
  await page.goto(`${server.base}/#/chats/${room}`);
  await page.reload();
  assert.equal(await page.evaluate(() => typeof crypto.randomUUID), 'undefined');
  await page.waitForSelector('#composer');
  for (const text of ['first over plain http', 'second over plain http']) {
    await page.fill('#composer', text);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`article.msg.mine:not(.pending) .text:has-text("${text}")`);
  }
  const stored = await apiCall(server.base, d.token, 'GET', `/rooms/${room}/messages`);
  const texts = JSON.stringify(stored);
  assert.ok(texts.includes('first over plain http') && texts.includes('second over plain http'), texts);
  await page.context().close();
});
