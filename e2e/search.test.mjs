// Message search in the browser: Korean without spaces and an English
// prefix from the Chats tab, at desktop and phone width; a result jumps to
// its message in the room, paging back through history to reach it, and
// marks it. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, ana, ben, room, target;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  ana = await apiSignUp(server.base, `sa_${run}`, 'Ana');
  ben = await apiSignUp(server.base, `sb_${run}`, 'Ben');
  await apiCall(server.base, ana.token, 'POST', '/friends', { handle: ben.user.handle });
  room = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: '산악회', member_ids: [ben.user.id] })).id;
  target = (await apiCall(server.base, ben.token, 'POST', `/rooms/${room}/messages`, { client_id: 's-target', text: '이번 주 등산 모임 어때요? Seoul 근교로' })).seq;
  // Enough after it that the room opens without it on screen.
  for (let i = 0; i < 70; i++) {
    await apiCall(server.base, i % 2 ? ana.token : ben.token, 'POST', `/rooms/${room}/messages`, { client_id: `s-fill-${i}`, text: `잡담 ${i}` });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Types `q` in the Chats tab's search and waits for its first result. */
async function searchFor(page, q) {
  await page.goto(`${server.base}/#/chats`);
  await page.click('#open-search');
  await page.fill('#message-search', q);
  await page.waitForSelector('.search-hit');
}

test('Korean without spaces finds the message, marked, and the hit opens it in its place', async () => {
  const page = await loggedIn(browser, server.base, ana.token, { locale: 'ko-KR' });
  await searchFor(page, '등산모임');
  assert.equal(await page.textContent('.search-hit .hit-room'), '산악회');
  assert.deepEqual(await page.$$eval('.search-hit mark', (els) => els.map((e) => e.textContent)), ['등산 모임']);
  assert.equal(await page.$$eval('.room-list', (els) => els.every((e) => e.hidden)), true);
  await page.screenshot({ path: join(shots, 'search-korean-1280.png') });
  await page.click('.search-hit');
  await page.waitForURL(`**/#/chats/${room}/${target}`);
  await page.waitForSelector(`article.msg.focused[data-seq="${target}"]`);
  const inView = await page.$eval(`article[data-seq="${target}"]`, (el) => {
    const r = el.getBoundingClientRect();
    const list = /** @type {HTMLElement} */ (el.closest('.messages')).getBoundingClientRect();
    return r.top >= list.top && r.bottom <= list.bottom;
  });
  assert.ok(inView, 'the message is on screen');
  await page.screenshot({ path: join(shots, 'search-jump-1280.png') });
  // Nothing found, said so; closing the search brings the list back.
  await page.goto(`${server.base}/#/chats`);
  await page.click('#open-search');
  await page.fill('#message-search', '낚시');
  await page.waitForSelector('.search-results .empty');
  await page.press('#message-search', 'Escape');
  await page.waitForSelector('.room-list:not([hidden]) .room-row');
  await page.context().close();
});

test('an English prefix at phone width, and the search is refused politely when empty', async () => {
  const page = await loggedIn(browser, server.base, ben.token, { viewport: PHONE, isMobile: true, hasTouch: true });
  await searchFor(page, 'seo');
  assert.deepEqual(await page.$$eval('.search-hit mark', (els) => els.map((e) => e.textContent)), ['Seo']);
  await page.screenshot({ path: join(shots, 'search-english-390.png') });
  await page.click('.search-hit');
  await page.waitForSelector(`article.msg.focused[data-seq="${target}"]`);
  await page.goto(`${server.base}/#/chats`);
  await page.click('#open-search');
  await page.fill('#message-search', '?!');
  await page.waitForSelector('.form-error[data-code="search_query_empty"]');
  await page.context().close();
});
