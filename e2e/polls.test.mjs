// Polls in the browser: made from the composer on the desktop (1280 px),
// voted on from two browsers (the other a phone at 390 px, in Korean),
// a vote changed, the counts and names following live on both, and the
// author closing it. On the phone: a refused poll in words, and a
// multiple-choice anonymous one. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, composerTool, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The counts a page shows on the poll. @param {import('playwright-core').Page} page */
const counts = (page) => page.$$eval('.poll .poll-count', (els) => els.map((e) => e.textContent));

test('a poll made on the desktop is voted on from the phone, changed, followed live, and closed', async () => {
  const ana = await apiSignUp(server.base, `pa_${run}`, 'Ana');
  const ben = await apiSignUp(server.base, `pb_${run}`, 'Ben');
  const room = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: 'Team lunch', member_ids: [ben.user.id] })).id;
  const desk = await loggedIn(browser, server.base, ana.token);
  const phone = await loggedIn(browser, server.base, ben.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await desk.goto(`${server.base}/#/chats/${room}`);
  await phone.goto(`${server.base}/#/chats/${room}`);

  await composerTool(desk, '#poll-open');
  await desk.fill('#poll-question', 'Lunch on Friday?');
  const inputs = desk.locator('.poll-option-input');
  await inputs.nth(0).fill('Bibimbap');
  await inputs.nth(1).fill('Naengmyeon');
  await desk.click('#poll-add-option');
  await inputs.nth(2).fill('Tteokbokki');
  await desk.click('#poll-save');
  await desk.waitForSelector('.poll .poll-option[data-option="2"]:has-text("Tteokbokki")');
  await phone.waitForSelector('.poll .poll-option[data-option="1"]:has-text("Naengmyeon")');

  await phone.click('.poll .poll-option[data-option="1"]');
  await phone.waitForSelector('.poll .poll-option.on[data-option="1"]');
  await desk.waitForFunction(() => document.querySelector('.poll .poll-option[data-option="1"] .poll-count')?.textContent === '1');
  await desk.waitForSelector('.poll .poll-voters:has-text("Ben")');
  await desk.click('.poll .poll-option[data-option="0"]');
  // Ben changes his mind: both show two for Bibimbap.
  await phone.click('.poll .poll-option[data-option="0"]');
  await desk.waitForFunction(() => [...document.querySelectorAll('.poll .poll-count')].map((e) => e.textContent).join() === '2,0,0');
  await phone.waitForFunction(() => [...document.querySelectorAll('.poll .poll-count')].map((e) => e.textContent).join() === '2,0,0');
  assert.equal(await phone.textContent('.poll .poll-meta'), '2명 참여');
  await desk.screenshot({ path: join(shots, 'poll-1280.png') });
  await phone.screenshot({ path: join(shots, 'poll-390.png') });

  await desk.click('.poll .poll-close');
  await phone.waitForSelector('.poll .poll-meta:has-text("마감됨")');
  assert.equal(await phone.isDisabled('.poll .poll-option[data-option="2"]'), true);
  assert.deepEqual(await counts(desk), ['2', '0', '0']);
  // The chat list says what it is.
  await phone.goto(`${server.base}/#/chats`);
  await phone.waitForSelector(`.room-row[data-room="${room}"] .room-preview:has-text("📊 Lunch on Friday?")`);
  await desk.context().close();
  await phone.context().close();
});

test('on the phone a poll without options is refused in words, and a multiple-choice anonymous one shows no names', async () => {
  const ana = await apiSignUp(server.base, `qa_${run}`, 'Ana');
  const ben = await apiSignUp(server.base, `qb_${run}`, 'Ben');
  const room = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: '여행 계획', member_ids: [ben.user.id] })).id;
  const page = await loggedIn(browser, server.base, ana.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await page.goto(`${server.base}/#/chats/${room}`);
  // On a phone the composer keeps its width: its tools are behind ＋, named.
  await page.click('#composer-more');
  await page.waitForSelector('#composer-tools.open #poll-open');
  const tools = await page.$$eval('#composer-tools .icon-button', (els) => els.map((e) => e.getAttribute('aria-label')));
  assert.deepEqual(tools, ['파일 첨부', '음성 메시지 녹음', '투표', '예약 메시지']);
  await page.screenshot({ path: join(shots, 'composer-tools-390.png') });
  await page.click('#poll-open');
  await page.fill('#poll-question', '어디로 갈까?');
  await page.locator('.poll-option-input').nth(0).fill('부산');
  await page.click('#poll-save');
  await page.waitForSelector('.poll-sheet .form-error[data-code="invalid_poll"]');
  assert.equal(await page.textContent('.poll-sheet .form-error'), '질문과 서로 다른 항목 2~10개가 필요해요.');
  await page.locator('.poll-option-input').nth(1).fill('제주');
  await page.check('#poll-multiple');
  await page.check('#poll-anonymous');
  await page.screenshot({ path: join(shots, 'poll-sheet-390.png') });
  await page.click('#poll-save');
  await page.click('.poll .poll-option[data-option="0"]');
  await page.waitForSelector('.poll .poll-option.on[data-option="0"]');
  await page.click('.poll .poll-option[data-option="1"]');
  await page.waitForSelector('.poll .poll-option.on[data-option="1"]');
  assert.equal(await page.$$eval('.poll .poll-option.on', (els) => els.length), 2);
  const poll = (await apiCall(server.base, ben.token, 'GET', `/rooms/${room}/messages`)).messages.find((/** @type {any} */ m) => m.kind === 'poll');
  await apiCall(server.base, ben.token, 'PUT', `/rooms/${room}/polls/${poll.seq}/vote`, { options: [1] });
  await page.waitForFunction(() => [...document.querySelectorAll('.poll .poll-count')].map((e) => e.textContent).join() === '1,2');
  assert.equal(await page.$('.poll .poll-voters'), null, 'anonymous: no names');
  assert.match((await page.textContent('.poll .poll-meta')) ?? '', /복수 선택 · 익명 투표/);
  await page.context().close();
});
