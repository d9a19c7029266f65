// A room's drawer in the browser: photos and videos, files and links,
// each opening its message in the room, at 1280 px and at 390 px (where
// it is in the room's ⋯ menu). Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, png, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, ana, room, photo, file, link;
const run = Date.now().toString(36).slice(-5);

/** Uploads `body` and sends it into the room; the message's seq. */
async function attach(name, type, body, clientId) {
  const res = await fetch(`${server.base}/api/v1/media?name=${encodeURIComponent(name)}`, {
    method: 'POST', headers: { authorization: `Bearer ${ana.token}`, 'content-type': type }, body,
  });
  const up = await res.json();
  return (await apiCall(server.base, ana.token, 'POST', `/rooms/${room}/messages`, { client_id: clientId, attachment: up.media_id })).seq;
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  ana = await apiSignUp(server.base, `da_${run}`, 'Ana');
  const ben = await apiSignUp(server.base, `db_${run}`, 'Ben');
  room = (await apiCall(server.base, ana.token, 'POST', '/rooms/group', { title: '제주 여행', member_ids: [ben.user.id] })).id;
  photo = await attach('beach.png', 'image/png', png(), 'd-photo');
  await attach('waves.mp4', 'video/mp4', Buffer.from('\0\0\0 ftypisom not really a video'), 'd-video');
  file = await attach('itinerary.pdf', 'application/pdf', Buffer.from('%PDF-1.4 day 1: 성산일출봉'), 'd-file');
  link = (await apiCall(server.base, ben.token, 'POST', `/rooms/${room}/messages`, { client_id: 'd-link', text: '숙소는 여기: https://stay.example/jeju?id=7 어때요?' })).seq;
  // Enough after them that the room opens without them on screen.
  for (let i = 0; i < 60; i++) {
    await apiCall(server.base, i % 2 ? ana.token : ben.token, 'POST', `/rooms/${room}/messages`, { client_id: `d-fill-${i}`, text: `수다 ${i}` });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('on the desktop the drawer shows photos and videos, files and links, and a photo opens its message', async () => {
  const page = await loggedIn(browser, server.base, ana.token);
  await page.goto(`${server.base}/#/chats/${room}`);
  await page.click('#room-drawer');
  await page.waitForSelector('.drawer-sheet .drawer-grid .drawer-tile img');
  assert.equal(await page.$$eval('.drawer-sheet .drawer-tile', (els) => els.length), 2, 'the photo and the video');
  await page.screenshot({ path: join(shots, 'drawer-media-1280.png') });
  await page.click('.drawer-sheet [data-drawer="files"]');
  await page.waitForSelector('.drawer-sheet .drawer-name:has-text("itinerary.pdf")');
  assert.equal(await page.$$eval('.drawer-sheet .drawer-row', (els) => els.length), 1);
  await page.click('.drawer-sheet [data-drawer="links"]');
  await page.waitForSelector('.drawer-sheet .drawer-name:has-text("https://stay.example/jeju?id=7")');
  assert.equal(await page.getAttribute('.drawer-sheet .drawer-row a[href^="https://stay"]', 'rel'), 'noopener noreferrer nofollow');
  await page.click('.drawer-sheet [data-drawer="media"]');
  await page.click(`.drawer-sheet .drawer-tile[data-seq="${photo}"]`);
  await page.waitForURL(`**/#/chats/${room}/${photo}`);
  await page.waitForSelector(`article.msg.focused[data-seq="${photo}"] img`);
  await page.context().close();
});

test('on the phone the drawer is in the room’s menu, and a link or a file opens its message', async () => {
  const page = await loggedIn(browser, server.base, ana.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await page.goto(`${server.base}/#/chats/${room}`);
  await page.click('#room-menu');
  await page.click('#room-tools #room-drawer');
  await page.click('.drawer-sheet [data-drawer="links"]');
  await page.waitForSelector('.drawer-sheet .drawer-name:has-text("https://stay.example")');
  await page.screenshot({ path: join(shots, 'drawer-links-390.png') });
  await page.click(`.drawer-sheet .drawer-jump[data-seq="${link}"]`);
  await page.waitForSelector(`article.msg.focused[data-seq="${link}"] .text:has-text("숙소는 여기")`);
  await page.click('#room-menu');
  await page.click('#room-tools #room-drawer');
  await page.click('.drawer-sheet [data-drawer="files"]');
  await page.click(`.drawer-sheet .drawer-jump[data-seq="${file}"]`);
  await page.waitForSelector(`article.msg.focused[data-seq="${file}"] .file:has-text("itinerary.pdf")`);
  await page.context().close();
});
