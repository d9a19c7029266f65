// Bots in the browser: the owner makes one in More → Bots and is shown its
// token once; a program signed in with that token, through the public API
// only, answers in a group, and the members see the answer marked 🤖. A
// new token ends the old one. The example bot (examples/dicebot), added to
// a group from More, offers /roll when / is typed, answers with a button,
// and rolls again for whoever presses it. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startDicebot, startServer, within } from './harness.mjs';

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
  await page.click('.bots li:has-text("날씨봇") button.new-token');
  await page.waitForFunction((old) => {
    const field = /** @type {HTMLInputElement | null} */ (document.querySelector('#bot-token-value'));
    return field && field.value && field.value !== old;
  }, token);
  const fresh = await page.inputValue('#bot-token-value');
  await assert.rejects(apiCall(server.base, token, 'GET', '/me'), /401|unauthenticated/);
  assert.equal((await apiCall(server.base, fresh, 'GET', '/me')).id, botMe.id);
});

test('the example bot, added from More, offers /roll on /, answers with a button, and hears a press', async () => {
  const made = await apiCall(server.base, minji.token, 'POST', '/bots', { handle: `dice_${run}`, display_name: '주사위봇' });
  const bot = await startDicebot(server.base, made.token);
  try {
    const room = (await apiCall(server.base, minji.token, 'POST', '/rooms/group', { title: '보드게임', member_ids: [jun.user.id] })).id;
    const page = await loggedIn(browser, server.base, minji.token, { locale: 'ko-KR' });
    // Minji adds her bot to the group from More → Bots.
    await page.goto(`${server.base}/#/more`);
    const row = page.locator('.bots li:has-text("주사위봇")');
    await row.locator('select.bot-room').selectOption(String(room));
    await row.locator('button.add-bot').click();
    await page.waitForSelector('text=주사위봇이(가) 보드게임에 들어갔어요.');

    // In the room, / offers the bot's command; Enter picks it.
    await page.goto(`${server.base}/#/chats/${room}`);
    const composer = page.locator('#composer');
    await composer.click();
    await composer.pressSequentially('/');
    const option = page.locator('.command-menu [role="option"]:has-text("/roll")');
    await option.waitFor();
    assert.match(await option.innerText(), /주사위를 굴려요[\s\S]*주사위봇/);
    // The note that the bot joined fades first: it would cover the menu.
    await page.waitForSelector('.toast', { state: 'detached', timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'bot-commands-1280.png') });
    await composer.press('Enter');
    assert.equal(await composer.inputValue(), '/roll ');
    await composer.pressSequentially('2d6');
    await composer.press('Enter');

    // The bot's answer, with its button, marked 🤖.
    const answer = page.locator('.msg:has-text("🎲 2d6 →")');
    await within('the bot answering /roll', answer.waitFor());
    assert.match(await answer.locator('.sender').innerText(), /주사위봇\s*🤖/);
    await answer.locator('.bot-button:has-text("다시 굴리기")').waitFor();

    // Jun, on a phone, presses it: the bot rolls again, for him.
    const phone = await loggedIn(browser, server.base, jun.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
    await phone.goto(`${server.base}/#/chats/${room}`);
    const button = phone.locator('.msg:has-text("🎲 2d6 →") .bot-button:has-text("다시 굴리기")').first();
    await button.click();
    await phone.waitForSelector('.bot-button.pressed');
    await within('the bot rolling again for jun', phone.locator('.msg:has-text("🎲 준: 2d6 →")').waitFor());
    await phone.screenshot({ path: join(shots, 'bot-buttons-390.png') });
  } finally {
    bot.stop();
  }
});

test('a member makes an incoming webhook in the room, a script posts through it, and it can be ended', async () => {
  const room = (await apiCall(server.base, minji.token, 'POST', '/rooms/group', { title: '배포 알림', member_ids: [jun.user.id] })).id;
  const page = await loggedIn(browser, server.base, minji.token, { locale: 'ko-KR' });
  await page.goto(`${server.base}/#/chats/${room}`);
  await page.click('#room-integrations');
  const sheet = page.locator('dialog.integrations-sheet');
  await sheet.locator('#integration-name').fill('CI');
  await sheet.locator('button[type="submit"]').click();
  const url = await sheet.locator('#integration-url').inputValue();
  assert.match(url, /\/api\/v1\/hooks\/[0-9a-f]{64}$/);
  await sheet.locator('.integrations li:has-text("CI")').waitFor();
  await page.screenshot({ path: join(shots, 'integration-made-1280.png') });

  // A script with only the URL posts; the room shows it from CI, a bot.
  const posted = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '빌드 #42 통과 ✅' }) });
  assert.equal(posted.status, 200);
  await sheet.locator('button[aria-label="닫기"], button:has-text("✕")').first().click();
  const line = page.locator('.msg:has-text("빌드 #42 통과 ✅")');
  await within('the integration\'s message', line.waitFor());
  // Its name arrives with the room's members (it joined just now).
  await within('the integration\'s name', line.locator('.sender:has-text("CI")').waitFor());
  assert.match(await line.locator('.sender').innerText(), /CI\s*🤖/);

  // Ended from the same sheet: the URL no longer posts.
  await page.click('#room-integrations');
  await page.locator('dialog.integrations-sheet .integrations li:has-text("CI") button.end-integration').click();
  await page.locator('dialog.integrations-sheet .integrations li.muted').waitFor();
  const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '아직?' }) });
  assert.equal(refused.status, 404);
});

test('a channel owner sets the channel\'s webhook in its console, is shown the secret once, and removes it', async () => {
  // This node may post to 127.0.0.1 (a port where nothing listens: the
  // deliveries fail and wait, which is all this test needs).
  const local = await startServer({ config: '[webhooks]\nprivate_hosts = ["127.0.0.1"]\n' });
  try {
    const owner = await apiSignUp(local.base, `bo_${run}`, '사장님');
    const business = await apiCall(local.base, owner.token, 'POST', '/businesses', { name: '빵집' });
    const channel = await apiCall(local.base, owner.token, 'POST', `/businesses/${business.id}/channels`, { handle: `bread_${run}`, name: '빵집' });
    const page = await loggedIn(browser, local.base, owner.token, { locale: 'ko-KR' });
    await page.goto(`${local.base}/#/local/console/${channel.id}`);
    await page.click('#console-webhook');
    await page.waitForSelector('text=웹훅이 없어요.');
    await page.fill('#channel-webhook-url', 'https://127.0.0.1:9/hook');
    await page.click('.webhook-console button[type="submit"]');
    const secret = await page.inputValue('#channel-webhook-secret');
    assert.match(secret, /^whsec_/);
    await page.waitForSelector('#channel-webhook-state:has-text("https://127.0.0.1:9/hook")');
    assert.equal((await apiCall(local.base, owner.token, 'GET', `/channels/${channel.id}/webhook`)).url, 'https://127.0.0.1:9/hook');
    await page.click('#channel-webhook-remove');
    await page.waitForSelector('#channel-webhook-state:has-text("웹훅이 없어요.")');
  } finally {
    await local.stop();
  }
});
