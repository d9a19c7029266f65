// Bots in the browser: the owner makes one in More → Bots and is shown its
// token once; a program signed in with that token, through the public API
// only, answers in a group, and the members see the answer marked 🤖. A
// new token ends the old one. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, minji, jun;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  minji = await apiSignUp(server.base, `bm_${run}`, '민지');
  jun = await apiSignUp(server.base, `bj_${run}`, '준');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a bot made in More answers in a group, marked as a bot; a new token ends the old', async () => {
  const page = await loggedIn(browser, server.base, minji.token, { locale: 'ko-KR' });
  await page.goto(`${server.base}/#/more`);
  await page.waitForSelector('section[aria-label="봇"]');
  await page.fill('#bot-handle', `weather_${run}`);
  await page.fill('#bot-name', '날씨봇');
  await page.click('section[aria-label="봇"] button[type="submit"]');
  const token = await page.inputValue('#bot-token-value');
  assert.ok(token.length > 20, 'the token is shown');
  await page.waitForSelector('.bots li:has-text("날씨봇")');
  await page.screenshot({ path: join(shots, 'bots-made-1280.png') });

  // The program: only the token and the public API.
  const botMe = await apiCall(server.base, token, 'GET', '/me');
  assert.equal(botMe.bot_owner, minji.user.id);
  const room = (await apiCall(server.base, minji.token, 'POST', '/rooms/group', { title: '주말 등산', member_ids: [jun.user.id] })).id;
  await apiCall(server.base, minji.token, 'POST', `/rooms/${room}/members`, { user_ids: [botMe.id] });
  await apiCall(server.base, jun.token, 'POST', `/rooms/${room}/messages`, { client_id: 'q1', text: '토요일 날씨 어때?' });
  await apiCall(server.base, token, 'POST', `/rooms/${room}/messages`, { client_id: 'a1', text: '토요일 서울: 맑음, 3°C' });

  // Jun, on a phone, sees the answer from the bot, marked 🤖.
  const phone = await loggedIn(browser, server.base, jun.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await phone.goto(`${server.base}/#/chats/${room}`);
  const answer = phone.locator('.msg:has-text("토요일 서울: 맑음, 3°C")');
  await answer.waitFor();
  assert.match(await answer.locator('.sender').innerText(), /날씨봇\s*🤖/);
  await phone.screenshot({ path: join(shots, 'bot-answer-390.png') });

  // A new token from More; the old one is refused at once.
  await page.click('.bots li:has-text("날씨봇") button');
  await page.waitForFunction((old) => {
    const field = /** @type {HTMLInputElement | null} */ (document.querySelector('#bot-token-value'));
    return field && field.value && field.value !== old;
  }, token);
  const fresh = await page.inputValue('#bot-token-value');
  await assert.rejects(apiCall(server.base, token, 'GET', '/me'), /401|unauthenticated/);
  assert.equal((await apiCall(server.base, fresh, 'GET', '/me')).id, botMe.id);
});
