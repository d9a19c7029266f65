// More → Import chats in the browser: a KakaoTalk export is read and shown
// (who is who, where it goes) before anything is written, then imported
// with its progress; the room shows the history at its times with the
// app's notice, names kept as names, and nobody has anything unread.
// Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

const fixture = fileURLToPath(new URL('../crates/madang-core/src/history/fixtures/kakao_pc_ko.txt', import.meta.url));
let server, browser, minji, junho;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  minji = await apiSignUp(server.base, `ia_${run}`, '민지');
  junho = await apiSignUp(server.base, `ib_${run}`, '준호');
  await apiCall(server.base, minji.token, 'POST', '/friends', { handle: junho.user.handle });
  await apiCall(server.base, junho.token, 'POST', '/friends', { handle: minji.user.handle });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a KakaoTalk export is previewed, imported with its progress, and read in the room with nothing unread', async () => {
  const page = await loggedIn(browser, server.base, minji.token, { locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  await page.goto(`${server.base}/#/more`);
  await page.setInputFiles('#import-file', fixture);
  await page.waitForSelector('.import-facts');
  const facts = await page.textContent('.import-facts');
  assert.match(facts, /주말 등산 모임/);
  assert.match(facts, /8/);
  // The names that are the person and a friend are recognised; the third
  // is kept as a name.
  assert.equal(await page.$eval('select[data-name="민지"]', (s) => s.value), 'me');
  assert.equal(await page.$eval('select[data-name="준호"]', (s) => s.value), String(junho.user.id));
  assert.equal(await page.$eval('select[data-name="서연"]', (s) => s.value), 'name');
  await page.$eval('section:has(#import-file)', (el) => el.scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: join(shots, 'import-preview-1280.png') });
  // Nothing is written before the person says so.
  const before = await apiCall(server.base, minji.token, 'GET', '/rooms');
  assert.equal((before.rooms ?? before).length, 0);

  await page.click('.import-plan button[type="submit"]');
  await page.waitForSelector('.import-done');
  assert.match(await page.textContent('.import-done'), /8/);
  await page.click('.import-done + button');
  await page.waitForSelector('p.notice:has-text("민지님이 서연님을 초대했습니다.")');
  assert.equal(await page.$$eval('article.msg.imported', (els) => els.length), 7);
  await page.waitForSelector('article.msg .sender:has-text("서연")');
  await page.waitForSelector('article.msg .text:has-text("9시 구파발역에서 만나요")');
  // The first message at 오후 3:04 in Seoul, as the export wrote it.
  const first = await page.textContent('article.msg.imported time');
  assert.match(first, /3:04|15:04/);
  await page.screenshot({ path: join(shots, 'import-room-1280.png') });
  await page.context().close();

  // The friend has the room with nothing unread: no badge in the list or
  // on the tab.
  const phone = await loggedIn(browser, server.base, junho.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  await phone.goto(`${server.base}/#/chats`);
  await phone.waitForSelector('.room-list .room-title:has-text("주말 등산 모임")');
  assert.equal(await phone.$$eval('.unread', (els) => els.length), 0);
  assert.equal((await phone.textContent('nav.tabs .badge'))?.trim() ?? '', '');
  const rooms = await apiCall(server.base, junho.token, 'GET', '/rooms');
  assert.deepEqual((rooms.rooms ?? rooms).map((r) => r.unread), [0]);
  await phone.screenshot({ path: join(shots, 'import-friend-list-390.png') });
  await phone.context().close();
});
