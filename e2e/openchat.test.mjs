// Open Chat in the browser: a host creates an open chat from the form; a
// member finds it by searching Korean without spaces, joins with a
// nickname and talks; an edit or a send with the host's banned word, or a
// flood, is refused with the reason in the person's language; the host sees
// only the nickname, hides the message (the member sees it hidden), then
// kicks and bans the member, who cannot rejoin under another nickname. The
// host gives it a cover and renames it from the settings sheet; the member
// sees both, and a room summary read before the rename but delivered after
// it does not take the new title back. In a strict room a newcomer's link
// is held by spam screening until the host shows it again from the review
// sheet. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, loggedIn, PHONE, png, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, hostSession, memberSession, host, member;
const run = Date.now().toString(36).slice(-5);
let roomId;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  hostSession = await apiSignUp(server.base, `oc_host_${run}`, 'Hana Host');
  memberSession = await apiSignUp(server.base, `oc_mem_${run}`, '김진짜이름');
  host = await loggedIn(browser, server.base, hostSession.token);
  // Its reads are held back by page.route below, which sees only what no
  // service worker answers: this context runs without the worker.
  member = await loggedIn(browser, server.base, memberSession.token,
    { viewport: PHONE, locale: 'ko-KR', isMobile: true, hasTouch: true, serviceWorkers: 'block' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a host creates an open chat from the form', async () => {
  await host.goto(`${server.base}/#/openchat`);
  await host.click('#new-open-chat');
  await host.waitForSelector('.oc-create');
  await host.fill('#oc-new-title', '서울맛집탐방');
  await host.fill('#oc-new-description', '주말마다 새로운 식당을 가요');
  await host.fill('#oc-new-tags', '#맛집 서울');
  await host.waitForSelector('#oc-new-category option[value="food"]', { state: 'attached' });
  await host.selectOption('#oc-new-category', 'food');
  await host.fill('#oc-new-nickname', '맛집왕');
  await host.setInputFiles('#oc-new-cover', { name: 'cover.png', mimeType: 'image/png', buffer: png() });
  await host.locator('.oc-cover-preview:visible').waitFor();
  await host.screenshot({ path: join(shots, 'openchat-create-1280.png') });
  await host.click('#oc-create');
  await host.waitForURL(/#\/chats\/\d+$/);
  roomId = Number(new URL(host.url()).hash.split('/')[2]);
  await host.waitForSelector('#oc-members');
});

test('a member finds it by Korean without spaces, joins with a nickname and talks', async () => {
  await member.goto(`${server.base}/#/openchat`);
  await member.waitForSelector('#oc-search');
  await member.fill('#oc-search', '맛집');
  await member.keyboard.press('Enter');
  const card = member.locator('.oc-card', { hasText: '서울맛집탐방' });
  await card.waitFor();
  // The cover chosen on creating shows on the card.
  await card.locator('img.oc-cover').waitFor();
  assert.ok(await card.locator('img.oc-cover').evaluate((img) => /** @type {HTMLImageElement} */ (img).naturalWidth > 0), 'the cover loads');
  await member.screenshot({ path: join(shots, 'openchat-search-390.png') });
  await card.click();
  await member.waitForSelector('.oc-join');
  await member.fill('#oc-nickname', '먹보');
  await member.screenshot({ path: join(shots, 'openchat-join-390.png') });
  await member.click('#oc-join');
  await member.waitForURL(new RegExp(`#/chats/${roomId}$`));
  await member.waitForSelector('#composer');
  await member.fill('#composer', '안녕하세요 맛집 추천 부탁해요');
  await member.keyboard.press('Enter');
  await member.waitForSelector('article.msg.mine:not(.pending) .text:has-text("맛집 추천")');

  // The host sees the nickname, never the member's account.
  const msg = host.locator('article.msg', { has: host.locator('.text', { hasText: '맛집 추천' }) });
  await msg.locator('.sender:has-text("먹보")').waitFor();
  const page = await host.content();
  assert.ok(!page.includes('김진짜이름') && !page.includes(memberSession.user.handle), 'the account never shows');
});

test('an edit or a send with a banned word is refused with the reason and changes nothing', async () => {
  const chat = (await apiCall(server.base, hostSession.token, 'GET', `/rooms/${roomId}`)).open_chat;
  await apiCall(server.base, hostSession.token, 'PUT', `/openchats/${chat}/banned-words`, { words: ['광고'] });
  await host.fill('#composer', '이번 주 모임 공지');
  await host.keyboard.press('Enter');
  const mine = host.locator('article.msg.mine:not(.pending)', { has: host.locator('.text', { hasText: '모임 공지' }) });
  await mine.waitFor();
  await mine.hover();
  await mine.locator('button[aria-label="Edit"]').click();
  await host.fill('form.edit input', '이번 주 모임 광고');
  await host.locator('form.edit button[type=submit]').click();
  await host.locator('form.edit .form-error[data-code="banned_word"]:has-text("광고")').waitFor();
  await host.screenshot({ path: join(shots, 'openchat-edit-refused-1280.png') });
  await host.locator('form.edit button:has-text("Cancel")').click();
  await mine.locator('.text:has-text("이번 주 모임 공지")').waitFor();
  assert.equal(await mine.locator('.edited').count(), 0, 'not marked edited');
  await member.locator('.text:has-text("이번 주 모임 공지")').waitFor();
  // A send with the word is refused too, and says why under the message.
  await host.fill('#composer', '광고 하나만 할게요');
  await host.keyboard.press('Enter');
  await host.locator('article.msg.failed .send-refused[data-code="banned_word"]:has-text("“광고”")').waitFor();
  await host.screenshot({ path: join(shots, 'openchat-send-refused-1280.png') });
  // The member's client says it in Korean, naming the word; and a fourth
  // identical message in a minute is refused with how long to wait.
  await member.fill('#composer', '광고 문의는 어디로?');
  await member.keyboard.press('Enter');
  await member.locator('article.msg.failed .send-refused[data-code="banned_word"]:has-text("이 방에서는 ‘광고’ 단어를 쓸 수 없어요.")').waitFor();
  for (let i = 0; i < 3; i++) {
    await member.fill('#composer', 'ㅋㅋㅋ');
    await member.keyboard.press('Enter');
    await member.locator('article.msg.mine:not(.pending) .text:text-is("ㅋㅋㅋ")').nth(i).waitFor();
  }
  await member.fill('#composer', 'ㅋㅋㅋ');
  await member.keyboard.press('Enter');
  await member.locator('article.msg.failed .send-refused[data-code="flooding"]').filter({ hasText: /^같은 메시지를 여러 번 보냈어요\. \d+초 뒤에 다시 보내 주세요\.$/ }).waitFor();
  await member.screenshot({ path: join(shots, 'openchat-send-refused-390.png') });
});

test('the host hides the message, then kicks and bans; the member cannot come back', async () => {
  const msg = host.locator('article.msg', { has: host.locator('.text', { hasText: '맛집 추천' }) });
  await msg.hover();
  await msg.locator('button[aria-label="Hide"]').click();
  await member.locator('.text.deleted:has-text("방장이 가린 메시지입니다.")').waitFor();
  await host.locator('.text.deleted:has-text("Hidden by the host.")').waitFor();
  await host.screenshot({ path: join(shots, 'openchat-hidden-1280.png') });

  await host.click('#oc-members');
  const row = host.locator('.oc-member-list li', { hasText: '먹보' });
  await row.waitFor();
  await host.screenshot({ path: join(shots, 'openchat-members-1280.png') });
  await row.locator('button.danger').click();
  await row.waitFor({ state: 'detached' });
  // The member's room is gone from their list.
  await member.waitForURL(/#\/chats$/);
  assert.equal(await member.locator(`.room-row[data-room="${roomId}"]`).count(), 0);

  // Rejoining under another nickname is refused: banned.
  const chats = await apiCall(server.base, memberSession.token, 'GET', '/openchats/search?q=%EC%84%9C%EC%9A%B8%EB%A7%9B%EC%A7%91');
  await member.goto(`${server.base}/#/openchat/${chats.open_chats[0].id}`);
  await member.fill('#oc-nickname', '새이름');
  await member.click('#oc-join');
  await member.locator('.oc-join .form-error[data-code="banned"]:has-text("차단")').waitFor();
  await member.screenshot({ path: join(shots, 'openchat-banned-390.png') });
});

test('the host renames the open chat and changes its cover; the member sees it', async () => {
  // The member comes back in (unbanned by the host through the API) to watch.
  const chat = (await apiCall(server.base, hostSession.token, 'GET', `/rooms/${roomId}`)).open_chat;
  const bans = await apiCall(server.base, hostSession.token, 'GET', `/openchats/${chat}/bans`);
  await apiCall(server.base, hostSession.token, 'DELETE', `/openchats/${chat}/bans/${bans[0].id}`);
  await apiCall(server.base, memberSession.token, 'POST', `/openchats/${chat}/join`, { profile: { as: 'nickname', nickname: '돌아온먹보' } });
  await member.goto(`${server.base}/#/chats/${roomId}`);
  await member.waitForSelector('#composer');

  // The members sheet from the last test is still open: close it.
  await host.keyboard.press('Escape');
  await host.locator('dialog.oc-members').waitFor({ state: 'detached' });
  await host.click('#oc-settings');
  await host.waitForSelector('.oc-settings #oc-new-title');
  assert.equal(await host.inputValue('.oc-settings #oc-new-title'), '서울맛집탐방', 'the form starts from what is set');
  await host.fill('.oc-settings #oc-new-title', '서울 야식 탐방');
  await host.click('.oc-settings #oc-cover-remove');
  await host.screenshot({ path: join(shots, 'openchat-settings-1280.png') });
  await host.click('#oc-settings-save');
  await host.locator('.oc-settings').waitFor({ state: 'detached' });
  // Both headers follow the rename, live.
  await host.locator('.room-header h2:has-text("서울 야식 탐방")').waitFor();
  await member.locator('.room-header h2:has-text("서울 야식 탐방")').waitFor();
  const seen = await apiCall(server.base, memberSession.token, 'GET', `/openchats/${chat}`);
  assert.equal(seen.cover, null, 'the cover was removed');
  assert.equal(seen.title, '서울 야식 탐방');
});

test('a room summary fetched before a rename does not take the new title back', async () => {
  // The member's client re-reads the room's summary after someone joins.
  // That read is answered here with what the server said at the time, but
  // delivered only after the host's rename has arrived over the socket.
  const summary = await apiCall(server.base, hostSession.token, 'GET', `/rooms/${roomId}`);
  const chat = summary.open_chat;
  const before = summary.member_count;
  const path = `/api/v1/rooms/${roomId}`;
  /** @type {() => void} */ let fetched = () => {};
  /** @type {() => void} */ let release = () => {};
  /** @type {() => void} */ let checked = () => {};
  const wasFetched = new Promise((r) => { fetched = () => r(undefined); });
  const released = new Promise((r) => { release = () => r(undefined); });
  const done = new Promise((r) => { checked = () => r(undefined); });
  let held = false;
  /** @param {import('playwright-core').Route} route */
  const hold = async (route) => {
    if (route.request().method() !== 'GET') return route.fallback();
    if (held) {
      // Any later read waits until the check, so only the stale one lands.
      await done;
      return route.fallback();
    }
    const stale = await route.fetch();
    // A read from before the join (the member's client also re-reads the
    // room after its own read cursor moves) goes through as it is: the one
    // held is the first that already counts the newcomer.
    if ((await stale.json()).member_count !== before + 1) return route.fulfill({ response: stale });
    held = true;
    fetched();
    await released;
    await route.fulfill({ response: stale });
  };
  const only = (/** @type {URL} */ url) => url.pathname === path;
  await member.route(only, hold);

  const third = await apiSignUp(server.base, `oc_third_${run}`, 'Third');
  await apiCall(server.base, third.token, 'POST', `/openchats/${chat}/join`, { profile: { as: 'nickname', nickname: '셋째' } });
  await wasFetched;
  await apiCall(server.base, hostSession.token, 'PATCH', `/openchats/${chat}`, { title: '서울 심야 탐방' });
  await member.locator('.room-header h2:has-text("서울 심야 탐방")').waitFor();
  release();
  // The late summary lands (its member count shows) and the title stays.
  await member.locator(`.room-header h2 .count:text-is("${before + 1}")`).waitFor();
  assert.match(await member.locator('.room-header h2').textContent() ?? '', /서울 심야 탐방/);
  checked();
  await member.unroute(only, hold);
});

test('in a strict room a newcomer’s link waits for the host, who shows it again', async () => {
  const created = await apiCall(server.base, hostSession.token, 'POST', '/openchats', {
    kind: 'group', title: '엄격한 방', description: '링크는 검토 후', hashtags: ['검토'], category: 'friends',
    visibility: 'public', host: { as: 'nickname', nickname: '지킴이' },
  });
  const strictRoom = created.mine.room_id;
  const screening = await apiCall(server.base, hostSession.token, 'PUT', `/openchats/${created.id}/screening`, { mode: 'strict' });
  assert.equal(screening.mode, 'strict');
  const newcomer = await apiSignUp(server.base, `oc_new_${run}`, 'Newcomer');
  await apiCall(server.base, newcomer.token, 'POST', `/openchats/${created.id}/join`, { profile: { as: 'nickname', nickname: '뉴비' } });
  await apiCall(server.base, newcomer.token, 'POST', `/rooms/${strictRoom}/messages`, { client_id: `link-${run}`, text: 'great deals at https://deals.example/e2e' });

  await host.keyboard.press('Escape');
  await host.goto(`${server.base}/#/chats/${strictRoom}`);
  // Screening hides it for everyone; the host's shield counts it.
  await host.locator('.text.deleted:has-text("Hidden by the host.")').waitFor();
  // Nor does the chat list's preview show it.
  await host.locator(`.room-row[data-room="${strictRoom}"] .room-preview:has-text("Hidden by the host.")`).waitFor();
  await host.locator('#oc-review:has-text("1")').waitFor();
  await host.click('#oc-review');
  const held = host.locator('.flag-list li', { hasText: 'deals.example/e2e' });
  await held.waitFor();
  assert.match(await held.textContent(), /뉴비/);
  assert.match(await held.textContent(), /Newcomer’s link/);
  assert.equal(await host.inputValue('#screening-mode'), 'strict');
  await host.screenshot({ path: join(shots, 'openchat-review-1280.png') });
  await held.locator('button[data-verdict="fine"]').click();
  await host.locator('.oc-review .empty').waitFor();
  await host.keyboard.press('Escape');
  await host.locator('article.msg .text:has-text("deals.example/e2e")').waitFor();
  await host.locator('#oc-review:not(.has-pending)').waitFor();
});

test('the categories read in Korean in the Korean interface, at phone width', async () => {
  await member.goto(`${server.base}/#/openchat`);
  await member.waitForSelector('.oc-category[data-category="food"]');
  assert.equal((await member.textContent('.oc-category[data-category="food"]'))?.trim(), '🍜맛집·요리');
  const names = await member.$$eval('.oc-category', (els) => els.map((e) => e.textContent ?? ''));
  assert.ok(names.length >= 20, JSON.stringify(names));
  assert.ok(names.every((n) => !/[a-z]/i.test(n.replace('IT', ''))), JSON.stringify(names));
  await member.screenshot({ path: join(shots, 'openchat-categories-ko-390.png'), fullPage: true });
});

test('the host’s room header at phone width keeps the title and puts the rarer tools in one menu', async () => {
  const phone = await loggedIn(browser, server.base, hostSession.token,
    { viewport: PHONE, locale: 'ko-KR', isMobile: true, hasTouch: true });
  await phone.goto(`${server.base}/#/chats/${roomId}`);
  await phone.waitForSelector('.room-header #room-menu');
  // The title reads in full, and only a few icons share the row with it.
  const title = phone.locator('.room-header h2 .room-name');
  const shown = (await title.textContent()) ?? '';
  assert.ok(shown.length > 0);
  assert.equal(await title.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.getBoundingClientRect().width > 80), true,
    'the title is not cut or squeezed');
  const inRow = await phone.$$eval('.room-header .icon-button', (els) => els.filter((e) => e.getClientRects().length > 0).length);
  assert.ok(inRow <= 3, `${inRow} icons in the header`);
  await phone.screenshot({ path: join(shots, 'openchat-host-header-390.png') });

  // The menu names each tool; a host's members list opens from it.
  await phone.click('#room-menu');
  await phone.waitForSelector('#room-tools.open #oc-members');
  const labels = await phone.$$eval('#room-tools .icon-button', (els) => els.filter((e) => e.getClientRects().length > 0)
    .map((e) => e.getAttribute('aria-label')));
  assert.ok(labels.includes('대화상대'), JSON.stringify(labels));
  assert.ok(labels.length >= 5, JSON.stringify(labels));
  await phone.screenshot({ path: join(shots, 'openchat-host-menu-390.png') });
  await phone.click('#room-tools #oc-members');
  await phone.waitForSelector('dialog[open] .oc-member-name');
  assert.equal(await phone.isHidden('#room-tools.open'), true, 'choosing a tool closes the menu');
  await phone.keyboard.press('Escape');
  // Escape and a tap elsewhere close it too.
  await phone.click('#room-menu');
  await phone.waitForSelector('#room-tools.open');
  await phone.keyboard.press('Escape');
  await phone.waitForSelector('#room-tools:not(.open)', { state: 'attached' });
  await phone.click('#room-menu');
  // A tap beside the menu (it covers the right of the messages).
  await phone.click('.messages', { position: { x: 20, y: 150 } });
  await phone.waitForSelector('#room-tools:not(.open)', { state: 'attached' });
  await phone.context().close();
});
