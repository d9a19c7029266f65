// Chat folders in the browser: a folder made on the desktop (Korean,
// 1280 px) shows on the same person's phone (390 px) at once; the Unread
// view follows a new message as it arrives; a folder is renamed, refused
// politely and deleted on the phone. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, ana, ben, cho, family, work, direct;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  ana = await apiSignUp(server.base, `fa_${run}`, 'Ana');
  ben = await apiSignUp(server.base, `fb_${run}`, 'Ben');
  cho = await apiSignUp(server.base, `fc_${run}`, 'Cho');
  for (const other of [ben, cho]) await apiCall(server.base, ana.token, 'POST', '/friends', { handle: other.user.handle });
  family = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: '우리 가족', member_ids: [ben.user.id] })).id;
  work = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: '회사 동기', member_ids: [cho.user.id] })).id;
  direct = (await apiCall(server.base, ana.token, 'POST', '/rooms/direct', { user_id: ben.user.id })).id;
  await apiCall(server.base, ana.token, 'POST', `/rooms/${family}/messages`, { client_id: 'f1', text: '저녁 뭐 먹어?' });
  await apiCall(server.base, ana.token, 'POST', `/rooms/${work}/messages`, { client_id: 'f2', text: '회의 자료 올렸어요' });
  await apiCall(server.base, ana.token, 'POST', `/rooms/${direct}/messages`, { client_id: 'f3', text: 'hi Ben' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The titles of the rooms the list shows. @param {import('playwright-core').Page} page */
const shown = (page) => page.$$eval('.room-list .room-row .room-title', (els) => els.map((e) => e.firstChild?.textContent));

test('a folder made on the desktop appears on the phone at once, and the Unread view follows a new message', async () => {
  const desk = await loggedIn(browser, server.base, ana.token, { locale: 'ko-KR' });
  const device = await apiCall(server.base, null, 'POST', '/sessions', { handle: ana.user.handle, password: 'correct horse battery' });
  const phone = await loggedIn(browser, server.base, device.token, { viewport: PHONE, isMobile: true, hasTouch: true });
  await desk.waitForSelector('.folder-tab[data-folder="all"].on');
  assert.equal((await shown(desk)).length, 3);

  await desk.click('#new-folder');
  await desk.fill('#folder-name', '가족방');
  await desk.check(`.folder-sheet input[value="${family}"]`);
  await desk.check(`.folder-sheet input[value="${direct}"]`);
  await desk.click('#save-folder');
  await desk.waitForSelector('.folder-tab.on:has-text("가족방")');
  await desk.waitForFunction(() => document.querySelectorAll('.room-list .room-row').length === 2);
  assert.deepEqual((await shown(desk)).sort(), ['Ben', '우리 가족'].sort());
  await desk.screenshot({ path: join(shots, 'folders-made-1280.png') });

  // The phone was told: the folder is there without a reload.
  await phone.waitForSelector('.folder-tab:has-text("가족방")');
  await phone.click('.folder-tab:has-text("가족방")');
  await phone.waitForFunction(() => document.querySelectorAll('.room-list .room-row').length === 2);

  // Unread: nothing, until Cho writes in the work room.
  await desk.click('.folder-tab[data-folder="unread"]');
  await desk.waitForSelector('.room-list .empty');
  assert.equal(await desk.textContent('.room-list .empty'), '여기에는 채팅방이 없어요.');
  await apiCall(server.base, cho.token, 'POST', `/rooms/${work}/messages`, { client_id: 'c1', text: '내일 10시 회의 맞죠?' });
  await desk.waitForSelector('.room-list .room-row:has-text("회사 동기") .unread');
  assert.deepEqual(await shown(desk), ['회사 동기']);
  assert.equal(await desk.textContent('.folder-tab[data-folder="unread"] .folder-unread'), '1');
  // The folder without that room has no unread count.
  assert.equal(await desk.$('.folder-tab:has-text("가족방") .folder-unread'), null);
  await desk.screenshot({ path: join(shots, 'folders-unread-1280.png') });
  await phone.click('.folder-tab[data-folder="unread"]');
  await phone.waitForSelector('.room-list .room-row:has-text("회사 동기")');
  await phone.screenshot({ path: join(shots, 'folders-unread-390.png') });

  // Read on the phone: it leaves the Unread view on the desktop as well.
  await phone.click('.room-list .room-row:has-text("회사 동기")');
  await phone.waitForSelector('article.msg .text:has-text("내일 10시 회의 맞죠?")');
  await desk.waitForSelector('.room-list .empty');
  await desk.context().close();
  await phone.context().close();
});

test('on the phone a folder is renamed, a blank name is refused in words, and the folder is deleted', async () => {
  const made = await apiCall(server.base, ana.token, 'POST', '/folders', { name: 'Work', room_ids: [work] });
  const page = await loggedIn(browser, server.base, ana.token, { viewport: PHONE, isMobile: true, hasTouch: true });
  await page.click(`.folder-tab[data-folder="${made.id}"]`);
  await page.waitForFunction(() => document.querySelectorAll('.room-list .room-row').length === 1);
  await page.click('#edit-folder');
  await page.fill('#folder-name', '   ');
  await page.click('#save-folder');
  await page.waitForSelector('.folder-sheet .form-error[data-code="invalid_folder_name"]');
  assert.equal(await page.textContent('.folder-sheet .form-error'), 'A folder name is 1–20 characters.');
  await page.fill('#folder-name', 'Office');
  await page.check(`.folder-sheet input[value="${direct}"]`);
  await page.screenshot({ path: join(shots, 'folders-edit-390.png') });
  await page.click('#save-folder');
  await page.waitForSelector(`.folder-tab.on[data-folder="${made.id}"]:has-text("Office")`);
  await page.waitForFunction(() => document.querySelectorAll('.room-list .room-row').length === 2);
  const stored = await apiCall(server.base, ana.token, 'GET', '/folders');
  assert.deepEqual(stored.folders.find((/** @type {any} */ f) => f.id === made.id).room_ids, [work, direct].sort((a, b) => a - b));

  await page.click('#edit-folder');
  await page.click('#delete-folder');
  await page.waitForSelector('.folder-tab.on[data-folder="all"]');
  assert.equal(await page.$(`.folder-tab[data-folder="${made.id}"]`), null);
  assert.equal((await shown(page)).length, 3);
  await page.context().close();
});
