// Reading without a receipt (peek), with the server's real default
// models: on a phone (390 px, Korean) a room is opened from the chat
// list's 👁, its messages and an unread summary are read, and the
// sender's "1" stays on every message, as does my own unread count,
// until "mark as read". On a desktop (1280 px) writing ends a peek.
// Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer({ models: true });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const PLAN = [
  'Shall we go hiking at Bukhansan this Saturday?',
  'The trail to Baegundae peak is beautiful in autumn.',
  "Let's meet at the Bukhansan entrance at 8 am on Saturday.",
];

/** A group of Ana and Ben in which Ben wrote PLAN; Ben's page has it open. */
async function planned(tag) {
  const ana = await apiSignUp(server.base, `pa${tag}_${run}`, 'Ana');
  const ben = await apiSignUp(server.base, `pb${tag}_${run}`, 'Ben');
  const room = (await apiCall(server.base, ben.token, 'POST', '/rooms/group', { title: `Hike ${tag}`, member_ids: [ana.user.id] })).id;
  for (const [i, text] of PLAN.entries()) {
    await apiCall(server.base, ben.token, 'POST', `/rooms/${room}/messages`, { client_id: `${tag}-${i}`, text });
  }
  const benPage = await loggedIn(browser, server.base, ben.token);
  await benPage.goto(`${server.base}/#/chats/${room}`);
  await benPage.waitForSelector(`article.msg .text:has-text("${PLAN[2]}")`);
  return { ana, ben, room, benPage };
}

/** The "1"s on Ben's messages as his page shows them. @param {import('playwright-core').Page} page */
const ones = (page) => page.$$eval('article.msg .unread-count', (els) => els.map((e) => e.textContent));

/** Waits a moment for a read that should not come, then checks the "1"s. */
async function stillUnread(benPage, room, ana) {
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await ones(benPage), ['1', '1', '1']);
  const mine = await apiCall(server.base, ana.token, 'GET', `/rooms/${room}`);
  assert.equal(mine.unread, 3);
}

test('on the phone a peek reads the room and its summary and moves nobody\'s 1, until marked read', async () => {
  const { ana, room, benPage } = await planned('p');
  assert.deepEqual(await ones(benPage), ['1', '1', '1']);
  const page = await loggedIn(browser, server.base, ana.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await page.waitForSelector(`.room-row[data-room="${room}"] .unread:has-text("3")`);
  await page.click(`.peek-button[data-room="${room}"]`);
  await page.waitForURL(`**/#/chats/${room}/peek`);
  await page.waitForSelector(`article.msg .text:has-text("${PLAN[0]}")`);
  await page.waitForSelector('.peek-bar:not([hidden])');
  await page.screenshot({ path: join(shots, 'peek-390.png') });
  await stillUnread(benPage, room, ana);

  // The summary of what is unread works while peeking, and reads nothing.
  await page.click('#summarise');
  await page.locator('.summary-status:has-text("원문 그대로")').waitFor({ timeout: 120_000 });
  assert.ok(await page.locator('.summary-text .summary-quote').count() > 0, 'messages were quoted');
  await page.screenshot({ path: join(shots, 'peek-summary-390.png') });
  await stillUnread(benPage, room, ana);

  // Back in the list, the room still counts as unread.
  await page.goto(`${server.base}/#/chats`);
  await page.waitForSelector(`.room-row[data-room="${room}"] .unread:has-text("3")`);

  // Peeked again and marked read: Ben's 1s go.
  await page.click(`.peek-button[data-room="${room}"]`);
  await page.click('#end-peek');
  await page.waitForURL(`**/#/chats/${room}`);
  assert.equal(await page.isHidden('.peek-bar'), true);
  await benPage.waitForFunction(() => document.querySelectorAll('article.msg .unread-count:not(:empty)').length === 0);
  assert.equal((await apiCall(server.base, ana.token, 'GET', `/rooms/${room}`)).unread, 0);
  await page.context().close();
  await benPage.context().close();
});

test('on the desktop a peek ends when I write', async () => {
  const { ana, room, benPage } = await planned('d');
  const page = await loggedIn(browser, server.base, ana.token);
  await page.click(`.peek-button[data-room="${room}"]`);
  await page.waitForSelector(`article.msg .text:has-text("${PLAN[2]}")`);
  await page.waitForSelector('.peek-bar:not([hidden])');
  // The list beside the room keeps the count while peeking.
  assert.equal(await page.textContent(`.room-row[data-room="${room}"] .unread`), '3');
  await page.screenshot({ path: join(shots, 'peek-1280.png') });
  await stillUnread(benPage, room, ana);

  await page.fill('#composer', 'Count me in!');
  await page.press('#composer', 'Enter');
  await page.waitForSelector('.peek-bar', { state: 'hidden' });
  await benPage.waitForSelector('article.msg .text:has-text("Count me in!")');
  // Ana's cursor moved to her message: Ben's three 1s go (the 1 on her
  // own message is Ben's to clear, by reading it).
  await benPage.waitForFunction(() => [...document.querySelectorAll('article.msg .unread-count')].slice(0, 3).every((e) => e.textContent === ''));
  await page.waitForSelector(`.room-row[data-room="${room}"]:not(:has(.unread))`);
  await page.context().close();
  await benPage.context().close();
});
