// The AI in a group chat, with the server's real default models: a person
// who missed a conversation asks for a summary of what is unread (it
// streams into a panel; nothing is marked read), adds the assistant and
// asks it a question by mentioning it; the answer arrives as a message
// replying to the question. A picture of the room goes to target/e2e/.
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
  // then, and streams in.
  await page.locator('#summarise').click();
  const panel = page.locator('.summary-panel');
  try {
    await panel.locator('.summary-status:has-text("Summary of what you missed")').waitFor({ timeout: 120_000 });
  } catch (e) {
    console.log('the summary panel:', await panel.evaluate((el) => el.outerHTML));
    throw e;
  }
  const summary = (await panel.locator('.summary-text').textContent()) ?? '';
  assert.ok(summary.trim().length > 0, 'a summary was written');
  await page.locator('.summary-panel button[aria-label="Close"]').click();
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
