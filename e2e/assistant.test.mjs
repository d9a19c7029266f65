// The channel's assistant in the browser, with the default models (the
// multilingual embedder finds the fact, the small generator is not trusted
// to write, so the business's words are quoted): the owner adds a question
// and answer in the console and switches the assistant on; a customer on a
// phone asks about the hours and gets them, marked as an automatic answer;
// they ask for a person, and the owner sees why in the inbox, takes over
// and answers. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, DESKTOP, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, ownerSession, customerSession, owner, customer, channel, room;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer({ models: true });
  browser = await startBrowser();
  ownerSession = await apiSignUp(server.base, `cafe_owner_${run}`, '마당 카페 사장');
  customerSession = await apiSignUp(server.base, `guest_${run}`, '지우');
  const business = await apiCall(server.base, ownerSession.token, 'POST', '/businesses', { name: '마당 카페' });
  channel = await apiCall(server.base, ownerSession.token, 'POST', `/businesses/${business.id}/channels`,
    { handle: `madang_cafe_${run}`, name: '마당 카페', description: '연남동 골목 카페' });
  // Open around the clock, so a person is always "back" now.
  const allDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, open: '00:00', close: '24:00' }));
  await apiCall(server.base, ownerSession.token, 'POST', '/shops', {
    business_id: business.id, channel_id: channel.id, name: '마당 카페', category: 'cafe', address: '서울 마포구 동교로 123',
    lat: 37.5622, lon: 126.9255, time_zone: 'Asia/Seoul', hours: allDay, phone: '02-333-4444',
  });
  await apiCall(server.base, customerSession.token, 'PUT', `/channels/${channel.id}/friend`, {});
  room = (await apiCall(server.base, customerSession.token, 'GET', `/channels/${channel.id}/room`)).id;
  owner = await loggedIn(browser, server.base, ownerSession.token, { viewport: DESKTOP, locale: 'ko-KR' });
  customer = await loggedIn(browser, server.base, customerSession.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the owner teaches the assistant and switches it on in the console', async () => {
  await owner.goto(`${server.base}/#/local/console/${channel.id}`);
  await owner.click('#console-assistant');
  await owner.locator('#assistant-known li', { hasText: '02-333-4444' }).waitFor();
  await owner.fill('#fact-question', '주차 되나요?');
  await owner.fill('#fact-answer', '건물 뒤 공영주차장을 이용해 주세요. 2시간 무료예요.');
  await owner.click('#fact-add');
  await owner.locator('#assistant-facts .fact').waitFor();
  await owner.check('#assistant-on');
  await owner.locator('#assistant-stats').waitFor();
  const a = await apiCall(server.base, ownerSession.token, 'GET', `/channels/${channel.id}/assistant`);
  assert.equal(a.enabled, true);
  assert.deepEqual(a.facts.map((f) => f.question), ['주차 되나요?']);
  await owner.screenshot({ path: join(shots, 'assistant-console-1280.png') });
});

test('a customer asks about the hours and gets them, marked as automatic', async () => {
  // The channel's page says an assistant answers first.
  await customer.goto(`${server.base}/#/local/channel/${channel.id}`);
  await customer.locator('#channel-assistant').waitFor();
  await customer.goto(`${server.base}/#/chats/${room}`);
  await customer.fill('#composer', '오늘 몇 시까지 영업하세요?');
  await customer.press('#composer', 'Enter');
  const answer = customer.locator('.messages .msg', { hasText: '영업시간' });
  await answer.waitFor({ timeout: 60_000 });
  assert.match(await answer.locator('.text').innerText(), /^영업시간: 매일 24시간$/);
  await answer.locator('.by-assistant').waitFor();
  await customer.screenshot({ path: join(shots, 'assistant-answer-390.png') });
});

test('they ask for a person; the owner sees why and takes over', async () => {
  await customer.fill('#composer', '상담원 연결해 주세요');
  await customer.press('#composer', 'Enter');
  await customer.locator('.messages .text', { hasText: '상담원에게 연결해 드릴게요' }).waitFor({ timeout: 60_000 });

  await owner.click('#console-inbox');
  const item = owner.locator('#inbox .inbox-item', { hasText: '지우' });
  await item.locator('.handed-over').waitFor();
  await item.click();
  await owner.locator('#inbox-handover', { hasText: '상담원 연결해 주세요' }).waitFor();
  // Everything the assistant said is in the conversation, marked.
  assert.equal(await owner.locator('.inbox-log .by-assistant').count(), 2);
  await owner.screenshot({ path: join(shots, 'assistant-handover-1280.png') });
  await owner.fill('#inbox-reply', '안녕하세요, 사장입니다. 무엇을 도와드릴까요?');
  await owner.click('#inbox-send');
  await customer.locator('.messages .text', { hasText: '사장입니다' }).waitFor();

  // The people have the room now: the assistant stays quiet.
  await customer.fill('#composer', '주차 되나요?');
  await customer.press('#composer', 'Enter');
  await owner.locator('.inbox-log .text', { hasText: '주차 되나요?' }).waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  const said = await apiCall(server.base, customerSession.token, 'GET', `/rooms/${room}/messages?limit=50`);
  assert.equal(said.messages.filter((m) => m.by_assistant).length, 2);
});
