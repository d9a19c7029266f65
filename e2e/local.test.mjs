// Local in the browser: a customer on a phone finds a shop near where the
// browser says they are (the distance checked against a haversine computed
// here), is refused a regulars-only coupon, becomes a regular, claims it and
// shows the code, which the shop's owner redeems once from the shop page;
// the customer adds the shop's channel, writes to it and gets an answer from
// the owner's inbox, receives the owner's advertising campaign in the
// channel room with its label and opt-out, and opts out with one tap. The
// console follows a scheduled campaign to the end by asking for it alone.
// Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, ownerSession, customerSession, owner, customer, business, channel, shop, coupon;
const run = Date.now().toString(36).slice(-5);
// Near Busan's Seomyeon; the customer stands about 400 m to the south-west.
const SHOP = { lat: 35.1579, lon: 129.0597 };
const ME = { lat: 35.1550, lon: 129.0570 };

/** Great-circle distance in metres (mean Earth radius), independent of the client's. */
function haversine(a, b) {
  const r = Math.PI / 180;
  const s = Math.sin(((b.lat - a.lat) * r) / 2) ** 2
    + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lon - a.lon) * r) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(s));
}

async function until(what, probe) {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`never happened: ${what}`);
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  ownerSession = await apiSignUp(server.base, `shop_owner_${run}`, '서면 커피 사장');
  customerSession = await apiSignUp(server.base, `customer_${run}`, 'Dana');
  business = await apiCall(server.base, ownerSession.token, 'POST', '/businesses', { name: '서면 커피' });
  channel = await apiCall(server.base, ownerSession.token, 'POST', `/businesses/${business.id}/channels`,
    { handle: `seomyeon_${run}`, name: '서면 커피', description: '서면역 7번 출구 앞' });
  const allDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => ({ day, open: '00:00', close: '00:00' }));
  shop = await apiCall(server.base, ownerSession.token, 'POST', '/shops', {
    business_id: business.id, channel_id: channel.id, name: '서면 커피 본점', category: 'cafe', address: '부산 부산진구 중앙대로 700',
    lat: SHOP.lat, lon: SHOP.lon, time_zone: 'Asia/Seoul', hours: allDay,
  });
  // A shop 30 km away is not in a 1 km search.
  await apiCall(server.base, ownerSession.token, 'POST', '/shops', {
    business_id: business.id, name: '해운대 지점', category: 'cafe', address: '부산 해운대구', lat: 35.1587, lon: 129.1604, time_zone: 'Asia/Seoul', hours: allDay,
  });
  coupon = await apiCall(server.base, ownerSession.token, 'POST', `/shops/${shop.id}/coupons`, {
    title: '단골 라떼 50%', quantity: 10, regulars_only: true, ends_at: Date.now() + 7 * 86_400_000,
  });
  owner = await loggedIn(browser, server.base, ownerSession.token);
  customer = await loggedIn(browser, server.base, customerSession.token, {
    viewport: PHONE, isMobile: true, hasTouch: true, geolocation: { latitude: ME.lat, longitude: ME.lon }, permissions: ['geolocation'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a customer finds the shop near where they are, at the right distance', async () => {
  await customer.goto(`${server.base}/#/local`);
  await customer.click('#local-locate');
  const row = customer.locator(`#shop-list a.shop-row[data-shop="${shop.id}"]`);
  await row.waitFor();
  assert.equal(await customer.locator('#shop-list a.shop-row').count(), 1, 'only the shop within 1 km');
  const shown = await row.locator('.shop-distance').textContent();
  const metres = Number(shown.replace(/[^0-9]/g, ''));
  assert.ok(Math.abs(metres - haversine(ME, SHOP)) <= 1, `${shown} vs ${haversine(ME, SHOP).toFixed(1)} m`);
  await row.locator('.shop-open').waitFor();
  // Its pin is on the map, and the map is drawn from coordinates alone.
  await customer.locator(`.local-map .map-pin[data-shop="${shop.id}"]`).waitFor();
  await customer.screenshot({ path: join(shots, 'local-nearby-390.png') });
  await row.click();
  await customer.waitForURL(new RegExp(`#/local/shop/${shop.id}$`));
  await customer.locator('h1:has-text("서면 커피 본점")').waitFor();
});

test('a regulars-only coupon is refused, then claimed by a new regular and redeemed once', async () => {
  const card = customer.locator(`.coupon[data-coupon="${coupon.id}"]`);
  await card.locator('.coupon-claim').click();
  await card.locator('.form-error[data-code="regulars_only"]').waitFor();
  await customer.click('#shop-regular');
  await customer.locator('#shop-regulars:has-text("Regulars: 1")').waitFor();
  assert.equal((await apiCall(server.base, customerSession.token, 'GET', `/shops/${shop.id}`)).regular, true);
  await card.locator('.coupon-claim').click();
  await card.locator('.coupon-claim:has-text("In your wallet")').waitFor();
  await customer.screenshot({ path: join(shots, 'local-shop-390.png') });

  await customer.goto(`${server.base}/#/local/wallet`);
  const code = (await customer.locator('#wallet .ticket code').first().textContent()).trim();
  assert.match(code, /^[A-Z0-9-]{6,}$/);
  await customer.screenshot({ path: join(shots, 'local-wallet-390.png') });

  // The owner redeems the code from the shop page; a second time is refused.
  await owner.goto(`${server.base}/#/local/shop/${shop.id}`);
  await owner.fill('#redeem-code', code);
  await owner.click('#redeem');
  await owner.locator('#redeem-result:has-text("단골 라떼 50%")').waitFor();
  await owner.fill('#redeem-code', code);
  await owner.click('#redeem');
  await owner.locator('#redeem-error[data-code="already_redeemed"]').waitFor();
  await customer.reload();
  await customer.locator('#wallet .ticket.spent').waitFor();
});

test('the customer adds the channel, writes, and the owner answers from the inbox', async () => {
  await customer.goto(`${server.base}/#/local/channel/${channel.id}`);
  await customer.check('#consent-marketing');
  await customer.check('#consent-night');
  await customer.click('#channel-add');
  await customer.locator('#channel-chat').click();
  await customer.waitForURL(/#\/chats\/\d+$/);
  await customer.fill('#composer', '내일 아침 8시에 문 여나요?');
  await customer.press('#composer', 'Enter');

  await owner.goto(`${server.base}/#/local/business`);
  await owner.click(`a.console-link[data-channel="${channel.id}"]`);
  const item = owner.locator('#inbox .inbox-item', { hasText: 'Dana' });
  await item.waitFor();
  await item.click();
  await owner.locator('.inbox-log .text:has-text("내일 아침 8시에")').waitFor();
  await owner.fill('#inbox-reply', '네, 매일 문 열어요!');
  await owner.click('#inbox-send');
  await customer.locator('.messages .text:has-text("네, 매일 문 열어요!")').waitFor();
  await owner.screenshot({ path: join(shots, 'local-inbox-1280.png') });
});

test('an advertising campaign arrives labelled, and one tap opts out', async () => {
  await owner.click('#console-campaigns');
  await owner.fill('#camp-name', '라떼 행사');
  await owner.check('#camp-ad');
  await owner.fill('#camp-template', '#{name}님, 오늘만 #{menu} 1+1!');
  await owner.fill('#camp-vars', 'menu=라떼');
  await owner.click('#camp-preview-button');
  await owner.locator('#camp-preview .text:has-text("(광고) 서면 커피")').waitFor();
  // An unknown variable is refused with its code, and nothing is sent.
  await owner.fill('#camp-template', '#{name}님, 오늘만 #{menu} 1+1! #{price}');
  await owner.click('#camp-send');
  await owner.locator('#camp-error[data-code="unknown_variable"]').waitFor();
  await owner.fill('#camp-template', '#{name}님, 오늘만 #{menu} 1+1!');
  await owner.click('#camp-send');
  const card = owner.locator('#campaigns .campaign', { hasText: '라떼 행사' });
  await card.locator('dd[data-stat="delivered"]:has-text("1")').waitFor();
  await card.scrollIntoViewIfNeeded();
  await owner.screenshot({ path: join(shots, 'local-campaign-1280.png') });

  const ad = customer.locator('.messages .msg', { hasText: 'Dana님, 오늘만 라떼 1+1!' });
  await ad.waitFor();
  assert.match(await ad.locator('.text').textContent(), /^\(광고\) 서면 커피/);
  await customer.screenshot({ path: join(shots, 'local-ad-390.png') });
  await ad.locator('.optout-button').click();
  await customer.locator('.optout:has-text("You receive no advertising")').waitFor();
  const mine = (await apiCall(server.base, customerSession.token, 'GET', `/channels/${channel.id}`)).mine;
  assert.deepEqual([mine.informational, mine.marketing, mine.marketing_night], [true, false, false]);
  await until('the opt-out counted for the campaign', async () => {
    const list = await apiCall(server.base, ownerSession.token, 'GET', `/channels/${channel.id}/campaigns`);
    return list[0]?.stats.opted_out === 1;
  });
});

test('the console follows a scheduled campaign to the end without reading the whole list again', async () => {
  // Due in 10 s; the console's list also holds the finished campaign above.
  // The list is read once; after it the console asks for campaigns by id.
  const due = await apiCall(server.base, ownerSession.token, 'POST', `/channels/${channel.id}/campaigns`, {
    name: '휴무 안내', kind: 'informational', template: '#{name}님, 내일은 휴무입니다.', variables: {}, attributes: [],
    segment: {}, send_at: Date.now() + 10000,
  });
  const asked = { list: 0, one: 0 };
  /** @param {import('playwright-core').Request} req */
  const count = (req) => {
    const path = new URL(req.url()).pathname;
    if (path === `/api/v1/channels/${channel.id}/campaigns` && req.method() === 'GET') asked.list++;
    if (path === `/api/v1/campaigns/${due.id}`) asked.one++;
  };
  owner.on('request', count);
  await owner.goto(`${server.base}/#/local/console/${channel.id}`);
  await owner.click('#console-campaigns');
  const card = owner.locator(`#campaigns .campaign[data-campaign="${due.id}"]`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-status'), 'scheduled', 'the console opened before the campaign was due');
  await owner.locator(`#campaigns .campaign[data-campaign="${due.id}"][data-status="done"]`).waitFor();
  owner.off('request', count);
  assert.equal(await card.locator('dd[data-stat="delivered"]').textContent(), '1');
  await customer.locator('.messages .msg', { hasText: 'Dana님, 내일은 휴무입니다.' }).waitFor();
  assert.ok(asked.one >= 1, 'the scheduled campaign was asked for by itself');
  assert.equal(asked.list, 1, 'the list, with the finished campaign, was read once');
  // The customer's open room read it: the campaign counts the read.
  let read = 0;
  for (let i = 0; i < 100 && read !== 1; i++) {
    read = (await apiCall(server.base, ownerSession.token, 'GET', `/campaigns/${due.id}`)).stats.read;
    if (read !== 1) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(read, 1, 'the read in the browser was counted once');
});

test('the owner opens a shop from the console with days it is closed', async () => {
  await owner.goto(`${server.base}/#/local/business`);
  const f = `#new-shop-${business.id}`;
  await owner.locator(`details:has(${f}) summary`).click();
  await owner.fill(`${f}-name`, '서면 커피 2호점');
  await owner.fill(`${f}-address`, '부산 부산진구 서면로 10');
  await owner.fill(`${f}-lat`, String(SHOP.lat + 0.001));
  await owner.fill(`${f}-lon`, String(SHOP.lon));
  await owner.check(`${f}-closed-mon`);
  await owner.check(`${f}-closed-sun`);
  await owner.click(`${f}-submit`);
  await owner.waitForURL(/#\/local\/shop\/\d+$/);
  const id = Number(owner.url().split('/').pop());
  const saved = await apiCall(server.base, ownerSession.token, 'GET', `/shops/${id}`);
  assert.deepEqual(saved.hours.map((x) => x.day), ['tue', 'wed', 'thu', 'fri', 'sat']);
  assert.ok(saved.hours.every((x) => x.open === '09:00' && x.close === '21:00'), JSON.stringify(saved.hours));
  await owner.locator('table.shop-hours').waitFor();
  const rows = await owner.$$eval('table.shop-hours tr', (trs) => trs.map((tr) => tr.textContent));
  assert.deepEqual([rows[0], rows[1], rows[6]], ['MonClosed', 'Tue09:00–21:00', 'SunClosed']);
  await owner.screenshot({ path: join(shots, 'local-new-shop-hours-1280.png') });
});
