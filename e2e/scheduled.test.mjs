// Scheduled messages in the browser. On the desktop (1280 px) a message
// is scheduled from the composer, the server restarts before its time,
// and it arrives on the other person's phone (390 px) when its time
// comes. On a phone (390 px, Korean) one is edited, sent now, another
// cancelled, a time too soon is refused in words, and leaving a room
// with one waiting cancels it and says so. The server here lets a
// message be scheduled 3 s ahead (the default minimum is a minute).
// Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, composerTool, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer({ config: '[limits]\nschedule_min_lead_secs = 3\n' });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Puts a time `ms` from now into the sheet's field, in the page's zone. */
async function setWhen(page, ms) {
  await page.$eval('#schedule-at', (el, ahead) => {
    const at = Date.now() + ahead;
    /** @type {HTMLInputElement} */ (el).value = new Date(at - new Date(at).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  }, ms);
}

async function pair(tag) {
  const ana = await apiSignUp(server.base, `sa${tag}_${run}`, 'Ana');
  const ben = await apiSignUp(server.base, `sb${tag}_${run}`, 'Ben');
  const room = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: `Plans ${tag}`, member_ids: [ben.user.id] })).id;
  return { ana, ben, room };
}

test('scheduled on the desktop, the server restarts, and it arrives on the phone at its time', async () => {
  const { ana, ben, room } = await pair('r');
  const page = await loggedIn(browser, server.base, ana.token);
  const phone = await loggedIn(browser, server.base, ben.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await page.goto(`${server.base}/#/chats/${room}`);
  await phone.goto(`${server.base}/#/chats/${room}`);
  await page.fill('#composer', 'Dinner at 8, see you there!');
  await composerTool(page, '#schedule-open');
  assert.equal(await page.inputValue('#schedule-text'), 'Dinner at 8, see you there!');
  await setWhen(page, 12_000);
  await page.screenshot({ path: join(shots, 'scheduled-sheet-1280.png') });
  await page.click('#schedule-save');
  await page.waitForSelector('.scheduled-bar:not([hidden]) .scheduled-count:has-text("1 scheduled")');
  assert.equal(await page.inputValue('#composer'), '');
  await page.click('#scheduled-toggle');
  await page.waitForSelector('.scheduled-item .scheduled-text:has-text("Dinner at 8")');
  await page.screenshot({ path: join(shots, 'scheduled-list-1280.png') });
  assert.equal(await phone.$('article.msg .text:has-text("Dinner at 8")'), null, 'not before its time');

  await server.restart();
  // Both reconnect by themselves; the message comes when its time does.
  await phone.waitForSelector('article.msg .text:has-text("Dinner at 8, see you there!")', { timeout: 40_000 });
  await page.waitForSelector('article.msg .text:has-text("Dinner at 8, see you there!")');
  await page.waitForSelector('.scheduled-bar[hidden]', { state: 'attached' });
  await phone.screenshot({ path: join(shots, 'scheduled-arrived-390.png') });
  const sent = (await apiCall(server.base, ben.token, 'GET', `/rooms/${room}/messages`)).messages
    .filter((/** @type {any} */ m) => m.text === 'Dinner at 8, see you there!');
  assert.equal(sent.length, 1, 'sent once');
  assert.deepEqual((await apiCall(server.base, ana.token, 'GET', '/scheduled')).scheduled, []);
  await page.context().close();
  await phone.context().close();
});

test('on the phone one is edited and sent now, another cancelled, a time too soon refused, and leaving cancels one and says so', async () => {
  const { ana, ben, room } = await pair('p');
  const page = await loggedIn(browser, server.base, ana.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await page.goto(`${server.base}/#/chats/${room}`);
  await page.fill('#composer', '내일 회의 10시');
  await composerTool(page, '#schedule-open');
  await setWhen(page, -60_000);
  await page.click('#schedule-save');
  await page.waitForSelector('.schedule-sheet .form-error[data-code="schedule_too_soon"]');
  assert.equal(await page.textContent('.schedule-sheet .form-error'), '너무 가까운 시간이에요. 더 나중으로 골라 주세요.');
  await page.click('.schedule-quick button:has-text("1시간 뒤")');
  await page.click('#schedule-save');
  await page.waitForSelector('.scheduled-count:has-text("예약 1개")');
  await page.click('#scheduled-toggle');
  await page.click('.scheduled-item button[data-edit]');
  await page.fill('#schedule-text', '내일 회의 11시로 변경');
  await page.click('#schedule-save');
  await page.waitForSelector('.scheduled-item .scheduled-text:has-text("11시로 변경")');
  await page.screenshot({ path: join(shots, 'scheduled-list-390.png') });
  await page.click('.scheduled-item button[data-send-now]');
  await page.waitForSelector('article.msg .text:has-text("내일 회의 11시로 변경")');
  await page.waitForSelector('.scheduled-bar[hidden]', { state: 'attached' });

  await page.fill('#composer', '취소할 메시지');
  await composerTool(page, '#schedule-open');
  await page.click('#schedule-save');
  await page.waitForSelector('.scheduled-count:has-text("예약 1개")');
  await page.click('#scheduled-toggle');
  await page.click('.scheduled-item button[data-cancel]');
  await page.waitForSelector('.scheduled-bar[hidden]', { state: 'attached' });

  // One waiting, then I leave: it is cancelled and I am told.
  await page.fill('#composer', '나중에 볼게요');
  await composerTool(page, '#schedule-open');
  await page.click('#schedule-save');
  await page.waitForSelector('.scheduled-count:has-text("예약 1개")');
  await page.click('#room-menu');
  await page.click('#room-leave');
  await page.waitForSelector(`.toast:has-text("Plans p에 예약한 메시지가 취소됐어요")`);
  await page.screenshot({ path: join(shots, 'scheduled-left-390.png') });
  const texts = (await apiCall(server.base, ben.token, 'GET', `/rooms/${room}/messages`)).messages.map((/** @type {any} */ m) => m.text);
  assert.ok(texts.includes('내일 회의 11시로 변경'));
  assert.ok(!texts.includes('취소할 메시지') && !texts.includes('나중에 볼게요'), JSON.stringify(texts));
  const mine = (await apiCall(server.base, ana.token, 'GET', '/scheduled')).scheduled.map((/** @type {any} */ s) => [s.state, s.reason]);
  assert.deepEqual(mine.sort(), [['cancelled', 'cancelled'], ['cancelled', 'left']]);
  await page.context().close();
});
