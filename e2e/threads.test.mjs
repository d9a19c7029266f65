// Comment threads in an open chat: a member on a phone (390 px, Korean)
// comments under the host's message; the host on the desktop (1280 px)
// sees the count and "1 new" arrive live, opens the thread, answers with
// a photo; the member's open thread follows live. A banned word in a
// comment is refused in words and the text kept. A comment found by
// search opens its thread. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, png, shots, startBrowser, startServer } from './harness.mjs';

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

test('a comment from the phone reaches the host live, who answers with a photo in the thread', async () => {
  const hostSession = await apiSignUp(server.base, `th_${run}`, 'Hana Host');
  const memberSession = await apiSignUp(server.base, `tm_${run}`, '김진짜이름');
  const chat = await apiCall(server.base, hostSession.token, 'POST', '/openchats', {
    kind: 'group', title: '주말 등산 모임', description: '같이 걸어요', hashtags: ['등산'], category: 'outdoors',
    visibility: 'public', host: { as: 'nickname', nickname: '방장' },
  });
  const room = chat.mine.room_id;
  await apiCall(server.base, memberSession.token, 'POST', `/openchats/${chat.id}/join`, { profile: { as: 'nickname', nickname: '산토끼' } });
  const root = await apiCall(server.base, hostSession.token, 'POST', `/rooms/${room}/messages`, { client_id: `r_${run}`, text: '이번 주말 어디로 갈까요?' });
  await apiCall(server.base, hostSession.token, 'PUT', `/openchats/${chat.id}/banned-words`, { words: ['광고'] });

  const desk = await loggedIn(browser, server.base, hostSession.token);
  const phone = await loggedIn(browser, server.base, memberSession.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await desk.goto(`${server.base}/#/chats/${room}`);
  await phone.goto(`${server.base}/#/chats/${room}`);

  // The member opens the comments under the host's message.
  const onPhone = phone.locator(`article.msg[data-seq="${root.seq}"]`);
  await onPhone.waitFor();
  await onPhone.hover();
  await onPhone.locator('.comment-button').click();
  await phone.waitForSelector('#thread[open] .thread-root:has-text("이번 주말 어디로 갈까요?")');
  await phone.waitForSelector('#thread .empty:has-text("첫 댓글")');
  // A banned word is refused in words; the text stays to be fixed.
  await phone.fill('#thread-input', '광고 보고 왔어요');
  await phone.click('#thread-send');
  await phone.waitForSelector('#thread .form-error[data-code="banned_word"]:has-text("광고")');
  assert.equal(await phone.inputValue('#thread-input'), '광고 보고 왔어요');
  await phone.fill('#thread-input', '북한산 어때요?');
  await phone.click('#thread-send');
  await phone.waitForSelector('#thread .comment:has-text("북한산 어때요?") .sender:has-text("산토끼")');
  assert.equal(await phone.inputValue('#thread-input'), '');

  // The host sees it arrive under the message: one comment, one new.
  const onDesk = desk.locator(`article.msg[data-seq="${root.seq}"]`);
  await onDesk.locator('.thread-link:has-text("Comments 1") .thread-unread:has-text("1 new")').waitFor();
  await desk.screenshot({ path: join(shots, 'thread-count-1280.png') });
  // The comment is not in the timeline, and the room has nothing unread.
  assert.equal(await desk.locator('article.msg .text:has-text("북한산 어때요?")').count(), 0);

  // The host opens the thread (read: "new" goes) and answers with a photo.
  await onDesk.locator('.thread-link').click();
  await desk.waitForSelector('#thread[open] .comment:has-text("북한산 어때요?")');
  await onDesk.locator('.thread-link:not(:has(.thread-unread))').waitFor();
  await desk.fill('#thread-input', '좋아요, 토요일 9시!');
  await desk.setInputFiles('#thread-attach', { name: 'trail.png', mimeType: 'image/png', buffer: png() });
  await desk.waitForSelector('#thread .comment.mine .photo img');
  await desk.waitForSelector('#thread .comment.mine:has-text("좋아요, 토요일 9시!")');
  await desk.screenshot({ path: join(shots, 'thread-1280.png') });

  // The member's open thread follows live.
  await phone.waitForSelector('#thread .comment .photo img');
  await phone.waitForSelector('#thread .comment:has-text("좋아요, 토요일 9시!")');
  await phone.screenshot({ path: join(shots, 'thread-390.png') });
  const order = await phone.$$eval('#thread .comment', (els) => els.map((e) => /** @type {HTMLElement} */ (e).dataset.threadSeq));
  assert.deepEqual(order, ['1', '2'], 'oldest first, in the thread\'s own order');
  await phone.click('#thread-close');
  await phone.locator(`article.msg[data-seq="${root.seq}"] .thread-link:has-text("댓글 2")`).waitFor();
  // The member follows the thread and has read all of it.
  assert.equal(await phone.locator(`article.msg[data-seq="${root.seq}"] .thread-unread`).count(), 0);
  await desk.context().close();
  await phone.context().close();
});

test('a comment found by search opens its thread', async () => {
  const hostSession = await apiSignUp(server.base, `sh_${run}`, 'Sora');
  const memberSession = await apiSignUp(server.base, `sm_${run}`, 'Min');
  const chat = await apiCall(server.base, hostSession.token, 'POST', '/openchats', {
    kind: 'group', title: '맛집 탐방', description: '먹으러 가요', hashtags: ['맛집'], category: 'food',
    visibility: 'public', host: { as: 'nickname', nickname: '방장' },
  });
  const room = chat.mine.room_id;
  await apiCall(server.base, memberSession.token, 'POST', `/openchats/${chat.id}/join`, { profile: { as: 'nickname', nickname: '미식가' } });
  const root = await apiCall(server.base, hostSession.token, 'POST', `/rooms/${room}/messages`, { client_id: `sr_${run}`, text: '추천 부탁해요' });
  await apiCall(server.base, memberSession.token, 'POST', `/rooms/${room}/messages/${root.seq}/comments`, { client_id: `sc_${run}`, text: '을지로 평양냉면집 강추' });

  const page = await loggedIn(browser, server.base, hostSession.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await page.goto(`${server.base}/#/chats`);
  await page.click('#open-search');
  await page.fill('#message-search', '냉면');
  await page.click(`.search-hit[data-room="${room}"]`);
  await page.waitForSelector('#thread[open] .comment:has-text("을지로 평양냉면집 강추")');
  await page.screenshot({ path: join(shots, 'thread-search-390.png') });
  await page.context().close();
});
