// More → Import chats in the browser: a KakaoTalk export is read and shown
// (who is who, where it goes) before anything is written, then imported
// with its progress; the room shows the history at its times with the
// app's notice, names kept as names, and nobody has anything unread.
// Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { apiCall, apiSignUp, loggedIn, PHONE, png, shots, startBrowser, startServer } from './harness.mjs';

const fixture = fileURLToPath(new URL('../crates/madang-core/src/history/fixtures/kakao_pc_ko.txt', import.meta.url));
let server, browser, minji, junho, importedRoom;
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
  importedRoom = Number(page.url().split('#/chats/')[1]);
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

/** The files of a zip (stored or deflated), by name: its central
 * directory read from the end, each entry's data after its local header. */
function unzip(buf) {
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'a zip');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const files = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50);
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

test('the room exported as a page opens in the browser with its history, names and photo', async () => {
  assert.ok(importedRoom, 'the room of the test before');
  // A photo after the history, so the page has a file to show.
  const up = await fetch(`${server.base}/api/v1/media?name=${encodeURIComponent('정상.png')}`, {
    method: 'POST', headers: { authorization: `Bearer ${minji.token}`, 'content-type': 'image/png' }, body: png(),
  }).then((r) => r.json());
  await apiCall(server.base, minji.token, 'POST', `/rooms/${importedRoom}/messages`, { client_id: 'e-photo', attachment: up.media_id, text: '정상에서' });
  const page = await loggedIn(browser, server.base, minji.token, { locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  await page.goto(`${server.base}/#/chats/${importedRoom}`);
  await page.click('#room-export');
  await page.click('.export-sheet [data-format="html"]');
  const link = await page.waitForSelector('.export-sheet .export-ready a');
  const href = await link.getAttribute('href');
  await page.screenshot({ path: join(shots, 'export-sheet-1280.png') });
  await page.context().close();

  const zip = Buffer.from(await (await fetch(`${server.base}${href}`)).arrayBuffer());
  const files = unzip(zip);
  assert.ok(files.has('index.html'));
  const dir = mkdtempSync(join(tmpdir(), 'madang-export-'));
  for (const [name, data] of files) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
  const ctx = await browser.newContext({ viewport: { width: 900, height: 900 }, locale: 'ko-KR' });
  const view = await ctx.newPage();
  await view.goto(pathToFileURL(join(dir, 'index.html')).href);
  assert.equal(await view.textContent('h1'), '주말 등산 모임');
  await view.waitForSelector('p.notice:has-text("민지님이 서연님을 초대했습니다.")');
  await view.waitForSelector('article.msg b:has-text("서연")');
  await view.waitForSelector('p.day:has-text("2024년 1월 5일 금요일")');
  // The photo comes from the zip's folder, beside the page.
  const shown = await view.$eval('article.msg img', (img) => /** @type {HTMLImageElement} */ (img).naturalWidth);
  assert.ok(shown > 0, 'the photo loads from media/');
  await view.screenshot({ path: join(shots, 'export-html-page.png'), fullPage: true });
  await ctx.close();
});
