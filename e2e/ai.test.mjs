// The AI in a group chat, with the server's real default models: a person
// who missed a conversation asks for a summary of what is unread (with
// the small default model, its central messages quoted, each a jump to
// its place; nothing is marked read), adds the assistant and
// asks it a question by mentioning it; the answer arrives as a message
// replying to the question. A business owner has an advertisement reworded
// per person from the campaign composer. Pictures go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, shots, startBrowser, startServer } from './harness.mjs';

let server, browser;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer({ models: true });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const HIKE = [
  'Shall we go hiking at Bukhansan this Saturday?',
  'Yes! The trail to Baegundae peak is beautiful in autumn.',
  "Let's meet at the Bukhansan entrance at 8 am on Saturday.",
  'I will bring kimbap and water for the hike.',
];

test('summarise unread, then add the assistant and ask it something', async () => {
  const alice = await apiSignUp(server.base, `alice_${run}`, 'Alice');
  const bob = await apiSignUp(server.base, `bob_${run}`, 'Bob');
  const call = (who, method, path, body) => apiCall(server.base, who.token, method, path, body);
  const room = await call(bob, 'POST', '/rooms/group', { title: 'Weekend', member_ids: [alice.user.id] });
  for (const [i, text] of HIKE.entries()) {
    await call(bob, 'POST', `/rooms/${room.id}/messages`, { client_id: `hike-${i}`, text });
  }

  const page = await loggedIn(browser, server.base, alice.token);
  await page.goto(`${server.base}/#/chats/${room.id}`);
  await page.waitForSelector('.messages article.msg');

  // Opening the room marked it read; the summary is of what was unread
  // then. The small default model does not write it: the messages that
  // say the most are quoted, and each jumps to its place.
  await page.locator('#summarise').click();
  const panel = page.locator('.summary-panel');
  try {
    await panel.locator('.summary-status:has-text("quoted as written")').waitFor({ timeout: 120_000 });
  } catch (e) {
    console.log('the summary panel:', await panel.evaluate((el) => el.outerHTML));
    throw e;
  }
  const quotes = await panel.locator('.summary-quote').allTextContents();
  assert.ok(quotes.length > 0, 'messages were quoted');
  assert.ok(quotes.every((q) => q.includes('Bob') && HIKE.some((line) => q.includes(line))), quotes.join(' | '));
  await page.screenshot({ path: join(shots, 'summary-quotes-1280.png') });
  await panel.locator('.summary-quote').first().click();
  // The room opens at the quoted message (the panel is gone with the view).
  await page.waitForSelector('article.msg.focused');
  assert.equal(await panel.isHidden(), true);

  // Add the assistant; the composer says how to ask it, here and, live,
  // for Bob who has the room open too.
  const bobPage = await loggedIn(browser, server.base, bob.token);
  await bobPage.goto(`${server.base}/#/chats/${room.id}`);
  await bobPage.waitForSelector('#assistant-toggle[aria-pressed="false"]');
  const toggle = page.locator('#assistant-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  await page.waitForSelector('#assistant-toggle[aria-pressed="true"]');
  assert.match((await page.locator('#composer').getAttribute('placeholder')) ?? '', /@Assistant/);
  await bobPage.waitForSelector('#assistant-toggle[aria-pressed="true"]');
  assert.match((await bobPage.locator('#composer').getAttribute('placeholder')) ?? '', /@Assistant/);
  await bobPage.context().close();

  await page.fill('#composer', '@Assistant where do we meet on Saturday?');
  await page.keyboard.press('Enter');
  // The answer: a message from the assistant, quoting the question.
  const answer = page.locator('.messages article.msg:has(.sender:has-text("Assistant"))');
  await answer.first().waitFor({ timeout: 120_000 });
  const quoted = (await answer.first().locator('.quote').textContent()) ?? '';
  assert.match(quoted, /where do we meet/);
  const text = (await answer.first().locator('.text').textContent()) ?? '';
  assert.ok(text.trim().length > 0);
  // Bob sees the same answer, from the assistant's account.
  const history = await call(bob, 'GET', `/rooms/${room.id}/messages?limit=5`);
  const fromAssistant = history.messages.filter((m) => m.reply_to !== null && m.sender_id !== alice.user.id && m.sender_id !== bob.user.id);
  assert.equal(fromAssistant.length, 1);
  await page.screenshot({ path: join(shots, 'ai-assistant-desktop.png') });

  // Removed again.
  await toggle.click();
  await page.waitForSelector('#assistant-toggle[aria-pressed="false"]');
  await page.context().close();
});

test('the campaign composer rewords an advertisement per person and shows which wording each got', async () => {
  const owner = await apiSignUp(server.base, `owner_${run}`, 'Owner');
  const customer = await apiSignUp(server.base, `dana_${run}`, 'Dana');
  const call = (who, method, path, body) => apiCall(server.base, who.token, method, path, body);
  const business = await call(owner, 'POST', '/businesses', { name: '서면 커피' });
  const channel = await call(owner, 'POST', `/businesses/${business.id}/channels`, { handle: `seomyeon_${run}`, name: '서면 커피' });
  await call(customer, 'PUT', `/channels/${channel.id}/friend`, { marketing: true, marketing_night: true });
  await call(owner, 'PUT', `/channels/${channel.id}/friends/${customer.user.id}`, { attributes: { drink: '라떼' } });

  const page = await loggedIn(browser, server.base, owner.token);
  await page.goto(`${server.base}/#/local/business`);
  await page.click(`a.console-link[data-channel="${channel.id}"]`);
  await page.click('#console-campaigns');
  await page.fill('#camp-name', '라떼 할인');
  await page.check('#camp-ad');
  await page.fill('#camp-template', '#{name}님, 오늘 #{drink} #{price}원!');
  await page.fill('#camp-vars', 'price=3,900');
  await page.fill('#camp-attrs', 'drink');
  await page.check('#camp-rewrite');
  await page.fill('#camp-sample', 'drink=라떼');
  // The model writes the preview now: either its wording, past the
  // guardrails, or the message as written with the reason.
  await page.click('#camp-preview-button');
  const wording = page.locator('#camp-wording');
  await wording.waitFor({ timeout: 120_000 });
  const previewed = (await page.locator('#camp-preview .text').textContent()) ?? '';
  assert.match(previewed, /^\(광고\) 서면 커피\n/);
  assert.match(previewed, /수신거부: 이 메시지의 \[광고 수신거부\]를 누르세요$/);
  if ((await wording.getAttribute('class'))?.includes('reworded')) {
    for (const value of ['3,900', '라떼', 'Owner']) assert.ok(previewed.includes(value), `${value} in ${previewed}`);
  } else {
    assert.equal(previewed.split('\n')[1], 'Owner님, 오늘 라떼 3,900원!');
  }
  await page.screenshot({ path: join(shots, 'ai-campaign-preview-desktop.png') });

  await page.click('#camp-send');
  const card = page.locator('#campaigns .campaign', { hasText: '라떼 할인' });
  await card.locator('dd[data-stat="delivered"]:has-text("1")').waitFor({ timeout: 120_000 });
  const rewritten = Number(await card.locator('dd[data-stat="rewritten"]').textContent());
  const asWritten = Number(await card.locator('dd[data-stat="fell_back"]').textContent());
  assert.equal(rewritten + asWritten, 1);
  const room = await call(customer, 'GET', `/channels/${channel.id}/room`);
  const got = (await call(customer, 'GET', `/rooms/${room.id}/messages?limit=5`)).messages.filter((m) => m.campaign_id);
  assert.equal(got.length, 1);
  assert.match(got[0].text, /^\(광고\) 서면 커피\n/);
  if (asWritten === 1) assert.equal(got[0].text.split('\n')[1], 'Dana님, 오늘 라떼 3,900원!');
  else for (const value of ['3,900', '라떼', 'Dana']) assert.ok(got[0].text.includes(value), `${value} in ${got[0].text}`);
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'ai-campaign-stats-desktop.png') });
  await page.context().close();
});
