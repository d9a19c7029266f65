// Earnings in the browser: a host makes an open chat a subscription room
// from the room's 💰 sheet; a member is declined with one test card, pays
// with the other, joins, and sees a sponsored banner, whose impression and
// click the server counts once each; the host's earnings page shows the
// subscription and the ad share. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, hostSession, memberSession, opSession, host, member, chat;
const run = Date.now().toString(36).slice(-5);

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  hostSession = await apiSignUp(server.base, `earn_host_${run}`, 'Hana Host');
  memberSession = await apiSignUp(server.base, `earn_mem_${run}`, '김구독');
  opSession = await apiSignUp(server.base, `earn_op_${run}`, 'Operator');
  server.admin('operator', opSession.user.handle);
  chat = await apiCall(server.base, hostSession.token, 'POST', '/openchats', {
    kind: 'group', title: '주말 등산 클럽', description: '북한산, 관악산', hashtags: ['등산', '주말'],
    category: 'outdoors', visibility: 'public', host: { as: 'nickname', nickname: '산대장' },
  });
  await apiCall(server.base, opSession.token, 'POST', '/admin/ads', {
    advertiser: '산으로', format: 'banner', title: '겨울 등산화 30% 할인', body: '이번 주말까지',
    link: 'https://shop.example/winter', hashtags: ['등산'], price_impression: 2, price_click: 50, budget: 10000,
  });
  host = await loggedIn(browser, server.base, hostSession.token);
  member = await loggedIn(browser, server.base, memberSession.token, { viewport: PHONE, locale: 'ko-KR', isMobile: true, hasTouch: true });
  // The ad's shop is not on the network here: answer for it.
  await member.context().route('https://shop.example/**', (r) => r.fulfill({ contentType: 'text/html', body: '<h1>shop</h1>' }));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The operator's view of the one ad. */
async function theAd() {
  const ads = await apiCall(server.base, opSession.token, 'GET', '/admin/ads');
  return ads[0];
}

async function until(what, probe) {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`never happened: ${what}`);
}

test('the host adds a tier and makes the room subscribers-only', async () => {
  await host.goto(`${server.base}/#/chats/${chat.mine.room_id}`);
  await host.click('#oc-subs');
  await host.waitForSelector('.oc-subs #tier-name');
  await host.fill('#tier-name', '월간 회원');
  await host.fill('#tier-price', '4900');
  await host.click('#tier-add');
  await host.locator('.oc-subs .tier-list li', { hasText: '월간 회원' }).waitFor();
  await host.check('#subs-only');
  await until('subscribers only', async () =>
    (await apiCall(server.base, memberSession.token, 'GET', `/openchats/${chat.id}`)).subscription_required);
  await host.screenshot({ path: join(shots, 'earnings-tiers-1280.png') });
  await host.click('.oc-subs .actions button');
  // The host is never shown ads in their own room.
  assert.equal(await host.locator('.oc-ad:not([hidden])').count(), 0);
});

test('a member is declined, pays, joins and sees a sponsored banner counted once', async () => {
  await member.goto(`${server.base}/#/openchat/${chat.id}`);
  const tier = member.locator('.oc-subscribe .tier-list li', { hasText: '월간 회원' });
  await tier.waitFor();
  await member.selectOption('#oc-card', 'pm_test_declined');
  await tier.locator('button').click();
  await member.locator('.oc-subscribe .form-error[data-code="payment_declined"]').waitFor();
  await member.selectOption('#oc-card', 'pm_test_ok');
  await member.screenshot({ path: join(shots, 'earnings-subscribe-390.png') });
  await tier.locator('button').click();
  await member.waitForSelector('#oc-subscribed');
  await member.fill('#oc-nickname', '등린이');
  await member.click('#oc-join');
  await member.waitForURL(new RegExp(`#/chats/${chat.mine.room_id}$`));

  const banner = member.locator('.oc-ad a[data-placement]');
  await banner.locator('.oc-ad-title:has-text("겨울 등산화")').waitFor();
  await member.locator('.oc-ad-label:has-text("광고")').waitFor();
  await until('the impression counted', async () => (await theAd()).impressions === 1);
  await member.screenshot({ path: join(shots, 'earnings-ad-390.png') });

  // Opening the room again shows the same placement and counts nothing new.
  await member.goto(`${server.base}/#/chats`);
  await member.goto(`${server.base}/#/chats/${chat.mine.room_id}`);
  await banner.waitFor();
  const [shop] = await Promise.all([member.context().waitForEvent('page'), banner.click()]);
  await shop.waitForURL('https://shop.example/winter');
  await until('the click counted', async () => (await theAd()).clicks === 1);
  const ad = await theAd();
  assert.deepEqual([ad.impressions, ad.clicks, ad.spent, ad.remaining], [1, 1, 52, 10000 - 52]);
});

test('the host sees the subscription and the ad share on the earnings page', async () => {
  await host.goto(`${server.base}/#/openchat`);
  await host.click('#my-earnings');
  // 80% of ₩4,900, half of ₩2 and half of ₩50.
  await host.locator('#earn-balance:has-text("3,946")').waitFor();
  const row = host.locator(`.earn-room[data-open-chat="${chat.id}"] tbody tr`).first();
  await row.locator('td[data-kind="subscription"]:has-text("3,920")').waitFor();
  await row.locator('td[data-kind="ad_click"]:has-text("25")').waitFor();
  await host.locator('.earn-chart .earn-bar').first().waitFor();
  await host.screenshot({ path: join(shots, 'earnings-page-1280.png') });
  const audit = await apiCall(server.base, opSession.token, 'GET', '/admin/ledger/audit');
  assert.equal(audit.clean, true);
});
