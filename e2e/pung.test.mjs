// Pung in the browser: Mina posts from the composer (decorations, a poll,
// chosen audience, a tag, 12 hours); Joon sees the ring live, views, reacts,
// votes and replies; Mina sees who viewed it and the reply in the 1:1 chat;
// a stranger never sees a ring; a deleted Pung disappears from Joon's
// screen live; an expiring one disappears at its time (browser clock moved
// forward). Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, png, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, m, j, x, mina, joon, stranger;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  m = await apiSignUp(server.base, `mina_${run}`, '민아');
  j = await apiSignUp(server.base, `joon_${run}`, 'Joon');
  x = await apiSignUp(server.base, `xeno_${run}`, 'Xeno');
  await apiCall(server.base, m.token, 'POST', '/friends', { handle: j.user.handle });
  await apiCall(server.base, j.token, 'POST', '/friends', { handle: m.user.handle });
  // One-way: the stranger added Mina; Mina did not add them.
  await apiCall(server.base, x.token, 'POST', '/friends', { handle: m.user.handle });
  mina = await loggedIn(browser, server.base, m.token);
  joon = await loggedIn(browser, server.base, j.token, { viewport: PHONE, locale: 'ko-KR', isMobile: true, hasTouch: true });
  stranger = await loggedIn(browser, server.base, x.token);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').Page} page */
async function friendsTab(page) {
  await page.goto(`${server.base}/#/friends`);
  await page.waitForSelector('.pung-rings');
}

test('Mina posts a decorated Pung for chosen friends from the composer', async () => {
  await friendsTab(joon);
  await mina.goto(`${server.base}/#/pung`);
  await mina.click('#new-pung');
  await mina.waitForSelector('.pung-composer');
  await mina.fill('#pung-text', '한강 피크닉 🧺');
  await mina.click('.swatch[aria-label="#1e90ff"]');
  await mina.click('[data-layer="sticker"]');
  await mina.click('.sticker-pick button[aria-label="🎉"]');
  await mina.click('[data-layer="poll"]');
  await mina.fill('#poll-question', 'Next time?');
  await mina.fill('#poll-option-1', 'Ttukseom');
  await mina.fill('#poll-option-2', 'Yeouido');
  await mina.click('.layer-form button[type=submit]');
  await mina.click('[data-layer="link"]');
  await mina.fill('#link-url', 'https://example.org/hangang');
  await mina.fill('#link-label', 'Park guide');
  await mina.click('.layer-form button[type=submit]');
  assert.equal(await mina.locator('.pung-preview .layer').count(), 3);
  // Drag the sticker to the top left of the preview.
  const sticker = mina.locator('.pung-preview .layer-sticker');
  const card = await mina.locator('.pung-preview .pung-card').boundingBox();
  const box = await sticker.boundingBox();
  await mina.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await mina.mouse.down();
  await mina.mouse.move(card.x + card.width * 0.2, card.y + card.height * 0.1, { steps: 5 });
  await mina.mouse.up();
  await mina.click('[data-audience="chosen"]');
  await mina.check(`.friend-pick input[data-user="${j.user.id}"]`);
  await mina.check(`.tag-box input[data-tag="${j.user.id}"]`);
  await mina.click('.segmented button:has-text("12 h")');
  await mina.screenshot({ path: join(shots, 'pung-composer-1280.png') });
  await mina.click('#pung-post');
  await mina.waitForURL(/#\/pung$/);
  await mina.waitForSelector('.my-pung-text:has-text("한강 피크닉")');

  const feed = await apiCall(server.base, m.token, 'GET', '/pungs/feed');
  const p = feed.mine[0];
  assert.equal(p.audience, 'chosen');
  assert.deepEqual(p.shared_with, [j.user.id]);
  assert.equal(p.expires_at - p.created_at, 12 * 3600 * 1000);
  assert.deepEqual(p.layers.map((l) => l.type), ['sticker', 'poll', 'link']);
  const moved = p.layers[0];
  assert.ok(moved.x < 0.35 && moved.y < 0.25, `the sticker was dragged: ${JSON.stringify(moved)}`);
  assert.equal(p.tags[0].id, j.user.id);
});

test('Joon sees the ring live, views, reacts, votes and replies; Mina sees it all', async () => {
  const ring = joon.locator(`.ring.unseen[data-author="${m.user.id}"]`);
  await ring.waitFor();
  await joon.screenshot({ path: join(shots, 'pung-ring-390.png') });
  await ring.click();
  const viewer = joon.locator('dialog.pung-viewer[open]');
  await viewer.waitFor();
  await viewer.locator('.pung-text:has-text("한강 피크닉")').waitFor();
  await joon.screenshot({ path: join(shots, 'pung-viewer-390.png') });
  await viewer.locator('.react[aria-label="🔥"]').click();
  await viewer.locator('.react[aria-label="🔥"][aria-pressed="true"]').waitFor();
  await viewer.locator('.poll-option:has-text("Yeouido")').click();
  await viewer.locator('.poll-option.chosen:has-text("Yeouido") .poll-count').waitFor();
  await viewer.locator('.pung-reply-input').fill('나도 가고 싶다!');
  await viewer.locator('.pung-reply button[type=submit]').click();
  await viewer.locator('.pung-note:has-text("답장")').waitFor();
  await viewer.locator('button[aria-label="닫기"]').click();
  await joon.locator(`.ring:not(.unseen)[data-author="${m.user.id}"]`).waitFor();

  // Mina's list updates live; the viewers list shows Joon and his reaction.
  await mina.locator('.my-pung-stats:has-text("1 seen · 1 reacted")').waitFor();
  await mina.click('.my-pung');
  const own = mina.locator('dialog.pung-viewer[open]');
  await own.locator('.viewers-button').click();
  await own.locator(`.viewer-list li[data-user="${j.user.id}"] .viewer-reactions:has-text("🔥")`).waitFor();
  await mina.screenshot({ path: join(shots, 'pung-viewers-1280.png') });
  await own.locator('button[aria-label="Back"]').click();
  await own.locator('.poll-option:has-text("Yeouido") .poll-count[aria-label="1 vote"]').waitFor();
  await mina.keyboard.press('Escape');

  // The reply and the tag are in the 1:1 chat, quoting the live Pung.
  const room = await apiCall(server.base, m.token, 'POST', '/rooms/direct', { user_id: j.user.id });
  await mina.goto(`${server.base}/#/chats/${room.id}`);
  await mina.waitForSelector('article.msg .text:has-text("나도 가고 싶다!")');
  await mina.locator('.pung-quote .pung-thumb').nth(1).waitFor();
  assert.equal(await mina.locator('.pung-quote .pung-thumb').count(), 2, 'tag and reply quote the Pung');
  await mina.screenshot({ path: join(shots, 'pung-chat-quote-1280.png') });
});

test('a stranger sees no ring, and a deleted Pung disappears from a friend live', async () => {
  // A photo Pung for all friends, posted from the composer.
  await mina.goto(`${server.base}/#/pung/new`);
  await mina.click('[data-kind="photo"]');
  await mina.setInputFiles('#pung-photo', { name: 'sunset.png', mimeType: 'image/png', buffer: png() });
  await mina.waitForSelector('.pung-preview .pung-photo');
  await mina.fill('#pung-text', 'sunset');
  await mina.click('#pung-post');
  await mina.waitForSelector('.my-pung-text:has-text("sunset")');

  await friendsTab(stranger);
  assert.equal(await stranger.locator('.pung-rings .ring:not(.mine)').count(), 0, 'no ring for a non-friend');
  const feed = await apiCall(server.base, x.token, 'GET', '/pungs/feed');
  assert.deepEqual(feed.friends, []);

  // Joon replied to it; Mina has the chat open with the quote showing.
  const photo = (await apiCall(server.base, m.token, 'GET', '/pungs/feed')).mine.find((p) => p.kind === 'photo');
  await apiCall(server.base, j.token, 'POST', `/pungs/${photo.id}/replies`, { client_id: `r-${run}`, text: 'wow' });
  const room = await apiCall(server.base, m.token, 'POST', '/rooms/direct', { user_id: j.user.id });
  await mina.goto(`${server.base}/#/chats/${room.id}`);
  await mina.locator(`.pung-quote[data-pung="${photo.id}"] .pung-thumb`).waitFor();

  await friendsTab(joon);
  await joon.locator(`.ring.unseen[data-author="${m.user.id}"]`).click();
  const viewer = joon.locator('dialog.pung-viewer[open]');
  await viewer.locator('.pung-photo').waitFor();
  await apiCall(server.base, m.token, 'DELETE', `/pungs/${photo.id}`);
  // The open viewer drops it at once, and the quote reads "disappeared".
  await viewer.locator('.pung-photo').waitFor({ state: 'detached' });
  await mina.locator(`.pung-quote[data-pung="${photo.id}"]:has-text("This Pung has disappeared.")`).waitFor();
  const res = await fetch(`${server.base}/api/v1/media/${photo.photo.media_id}?access_token=${j.token}`);
  assert.equal(res.status, 404, 'the photo is gone from the server');
  if (await viewer.count()) await joon.keyboard.press('Escape');
});

test('a Pung disappears from the screen the moment it expires', async () => {
  const ctx = await browser.newContext({ viewport: PHONE, locale: 'en-US' });
  await ctx.addInitScript((t) => localStorage.setItem('madang.token', t), j.token);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.clock.install();
  await page.goto(`${server.base}/#/friends`);
  await page.waitForSelector(`.ring[data-author="${m.user.id}"]`);
  // The 12-hour Pung is Mina's only one left; 12 hours on it is gone.
  await page.clock.fastForward('12:00:01');
  await page.locator(`.ring[data-author="${m.user.id}"]`).waitFor({ state: 'detached' });
  await page.screenshot({ path: join(shots, 'pung-expired-390.png') });
  // Its quote in the chat now reads "disappeared".
  const room = await apiCall(server.base, j.token, 'POST', '/rooms/direct', { user_id: m.user.id });
  await page.goto(`${server.base}/#/chats/${room.id}`);
  await page.locator('.pung-quote:has-text("This Pung has disappeared.")').first().waitFor();
  await ctx.close();
});
