// The chat features one by one, each seen from the other person's browser:
// reply, reaction, edit, delete, image attachment, avatar, favourites,
// block, and scrolling back through a long history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, png, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, a, b, alice, bob, room;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  a = await apiSignUp(server.base, `ann_${run}`, 'Ann');
  b = await apiSignUp(server.base, `ben_${run}`, 'Ben');
  await apiCall(server.base, a.token, 'POST', '/friends', { handle: b.user.handle });
  await apiCall(server.base, b.token, 'POST', '/friends', { handle: a.user.handle });
  room = (await apiCall(server.base, a.token, 'POST', '/rooms/direct', { user_id: b.user.id })).id;
  alice = await loggedIn(browser, server.base, a.token);
  bob = await loggedIn(browser, server.base, b.token, { viewport: PHONE });
  await alice.goto(`${server.base}/#/chats/${room}`);
  await bob.goto(`${server.base}/#/chats/${room}`);
  await alice.waitForSelector('#composer');
  await bob.waitForSelector('#composer');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').Page} page @param {string} text */
async function say(page, text) {
  await page.fill('#composer', text);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`article.msg.mine:not(.pending) .text:has-text("${text}")`);
}

/** @param {import('playwright-core').Page} page @param {string} text */
function message(page, text) {
  return page.locator('article.msg', { has: page.locator('.text', { hasText: text }) }).last();
}

test('reply, react, edit and delete are seen live by the other person', async () => {
  await say(alice, 'Lunch at noon?');
  const m = message(bob, 'Lunch at noon?');
  await m.waitFor();
  await m.hover();
  await m.locator('button[aria-label="Reply"], button[aria-label="답장"]').click();
  await say(bob, 'Sounds good');
  await alice.waitForSelector('.quote:has-text("Lunch at noon?")');

  const theirs = message(alice, 'Sounds good');
  await theirs.hover();
  await theirs.locator('.react-menu summary').click();
  await theirs.locator('.palette button[aria-label="👍"]').click();
  await bob.waitForSelector('.chip:has-text("👍 1")');

  const mine = message(alice, 'Lunch at noon?');
  await mine.hover();
  await mine.locator('button[aria-label="Edit"]').click();
  await alice.fill('form.edit input', 'Lunch at 12:30?');
  await alice.locator('form.edit button[type=submit]').click();
  await bob.waitForSelector('.text:has-text("Lunch at 12:30?")');
  await bob.waitForSelector('.edited');

  const edited = message(alice, 'Lunch at 12:30?');
  await edited.hover();
  await edited.locator('button[aria-label="Delete"]').click();
  await bob.waitForSelector('.text.deleted');
  assert.equal(await bob.locator('.text:has-text("Lunch at 12:30?")').count(), 0);
});

test('an image attachment arrives with its thumbnail', async () => {
  await alice.setInputFiles('#attach', { name: 'yellow.png', mimeType: 'image/png', buffer: png() });
  const img = bob.locator('.photo img[alt="yellow.png"]');
  await img.waitFor();
  await bob.waitForFunction(() => {
    const el = /** @type {HTMLImageElement | null} */ (document.querySelector('.photo img'));
    return !!el && el.complete && el.naturalWidth > 0;
  });
  await bob.screenshot({ path: join(shots, 'chat-photo-390.png') });
});

test('a long history scrolls back to the first message', async () => {
  for (let i = 0; i < 120; i++) {
    await apiCall(server.base, a.token, 'POST', `/rooms/${room}/messages`, { client_id: `hist-${i}`, text: `history ${i}` });
  }
  await bob.goto(`${server.base}/#/friends`);
  await bob.goto(`${server.base}/#/chats/${room}`);
  await bob.waitForSelector('.text:has-text("history 119")');
  for (let i = 0; i < 20 && !(await bob.locator('.text:text-is("history 0")').count()); i++) {
    await bob.locator('.messages').evaluate((el) => { el.scrollTop = 0; });
    await bob.waitForTimeout(250);
  }
  await bob.waitForSelector('.text:text-is("history 0")');
  const seqs = await bob.$$eval('.messages article.msg', (els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  assert.equal(new Set(seqs).size, seqs.length);
});

test('an avatar upload shows on the profile', async () => {
  await alice.goto(`${server.base}/#/more`);
  await alice.setInputFiles('#p-avatar', { name: 'me.png', mimeType: 'image/png', buffer: png() });
  await alice.waitForSelector('.photo-slot img.avatar');
});

test('a new group appears live for the invitee, with mentions highlighted', async () => {
  await bob.goto(`${server.base}/#/chats`);
  await alice.goto(`${server.base}/#/chats`);
  await alice.locator('button[aria-label="New group"]').click();
  await alice.fill('#group-title', 'Weekend plans');
  await alice.locator('dialog .pick input').first().check();
  await alice.locator('dialog button[type=submit]').click();
  await alice.waitForSelector('.room-header h2:has-text("Weekend plans")');
  await bob.waitForSelector('.room-row:has-text("Weekend plans")');
  await alice.fill('#composer', '@Ben are you free on Saturday?');
  await alice.keyboard.press('Enter');
  await bob.waitForSelector('.room-row:has-text("Weekend plans") .unread:has-text("1")');
  await bob.locator('.room-row:has-text("Weekend plans")').click();
  await bob.waitForSelector('.mention:text-is("@Ben")');
});

test('favourites and blocking from the friend list', async () => {
  await alice.goto(`${server.base}/#/friends`);
  await alice.locator('.friend summary').first().click();
  await alice.locator('.friend-actions button[aria-pressed="false"]').first().click();
  await alice.waitForSelector('h3:has-text("Favourites 1")');
  await alice.locator('.friend summary').first().click();
  await alice.locator('.friend-actions button.danger').first().click();
  await alice.waitForSelector('h3:has-text("Friends 0")');
  const blocked = await apiCall(server.base, a.token, 'GET', '/blocks');
  assert.equal(blocked[0].id, b.user.id);
  // Ben can no longer write to Ann.
  await bob.goto(`${server.base}/#/chats/${room}`);
  await bob.fill('#composer', 'are you there?');
  await bob.keyboard.press('Enter');
  await bob.waitForSelector('article.msg.failed .send-refused');
});
