// Voice messages in the browser, with Chromium's fake microphone (a
// tone): recorded on the desktop (1280 px) and played on a phone (390 px,
// Korean), where its words are asked for from the server's speech-to-text
// endpoint (here a small OpenAI-compatible one on 127.0.0.1 that checks it
// was sent a WebM recording); then recorded on the phone, a first take
// cancelled, and played on the desktop. Screenshots go to target/e2e/.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { apiCall, apiSignUp, composerTool, loggedIn, PHONE, shots, startBrowser, startServer } from './harness.mjs';

let server, browser, speech, ana, ben, room;
/** @type {Buffer[]} what the speech-to-text endpoint was sent */
const heard = [];
const run = Date.now().toString(36).slice(-5);

before(async () => {
  speech = createServer((req, res) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      heard.push(body);
      const webm = body.includes(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
      const ok = req.url === '/v1/audio/transcriptions' && /multipart\/form-data/.test(req.headers['content-type'] ?? '') && webm;
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { text: '토요일 오후 두 시에 만나요' } : { error: 'not a recording' }));
    });
  });
  await new Promise((ok) => speech.listen(0, '127.0.0.1', ok));
  const port = /** @type {any} */ (speech.address()).port;
  server = await startServer({ config: `[ai]\ntranscription_endpoint = "http://127.0.0.1:${port}/v1"\n` });
  browser = await startBrowser();
  ana = await apiSignUp(server.base, `va_${run}`, 'Ana');
  ben = await apiSignUp(server.base, `vb_${run}`, 'Ben');
  await apiCall(server.base, ana.token, 'POST', '/friends', { handle: ben.user.handle });
  room = (await apiCall(server.base, ana.token, 'POST', '/rooms/direct', { user_id: ben.user.id })).id;
});

after(async () => {
  await browser?.close();
  await server?.stop();
  speech?.close();
});

/** Records about `ms` on `page` and sends it. */
async function record(page, ms) {
  await composerTool(page, '#voice-record');
  await page.waitForSelector('.voice-recorder:not([hidden]) #voice-time:has-text("/ 5:00")');
  await page.waitForTimeout(ms);
  await page.click('#voice-send');
  await page.waitForSelector('.voice-recorder[hidden]', { state: 'attached' });
}

/** Plays the newest voice message on `page` until it has played a moment. */
async function play(page) {
  const voice = page.locator('.voice').last();
  await voice.locator('.voice-play').click();
  await page.waitForFunction(() => {
    const audio = [...document.querySelectorAll('.voice audio')].at(-1);
    return audio instanceof HTMLAudioElement && audio.currentTime > 0.3;
  }, null, { timeout: 20_000 });
  await voice.locator('.voice-bar.played').first().waitFor();
}

test('recorded on the desktop, played on the phone, and its words shown on request', async () => {
  const desk = await loggedIn(browser, server.base, ana.token, { permissions: ['microphone'] });
  const phone = await loggedIn(browser, server.base, ben.token, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR' });
  await desk.goto(`${server.base}/#/chats/${room}`);
  await phone.goto(`${server.base}/#/chats/${room}`);
  await composerTool(desk, '#voice-record');
  await desk.waitForSelector('.voice-recorder:not([hidden]) .voice-bar');
  await desk.waitForTimeout(2_200);
  await desk.screenshot({ path: join(shots, 'voice-recording-1280.png') });
  await desk.click('#voice-send');
  await desk.waitForSelector('.voice .voice-play');

  await phone.waitForSelector('.voice .voice-play');
  const length = (await phone.textContent('.voice .voice-length')) ?? '';
  assert.match(length, /^0:0[23]$/, length);
  const m = (await apiCall(server.base, ben.token, 'GET', `/rooms/${room}/messages`)).messages[0];
  assert.equal(m.kind, 'voice');
  assert.equal(m.attachment.content_type, 'audio/webm');
  assert.equal(m.attachment.voice.waveform.length, 48);
  assert.ok(m.attachment.voice.waveform.some((/** @type {number} */ v) => v > 0), 'the tone was heard');
  await play(phone);
  await phone.screenshot({ path: join(shots, 'voice-playing-390.png') });

  await phone.click('.voice .voice-words');
  await phone.waitForSelector('.voice .voice-transcript:has-text("토요일 오후 두 시에 만나요")');
  assert.equal(heard.length, 1);
  await phone.screenshot({ path: join(shots, 'voice-words-390.png') });
  await desk.context().close();
  await phone.context().close();
});

test('on the phone a first take is cancelled, the second sent and played on the desktop', async () => {
  const phone = await loggedIn(browser, server.base, ben.token,
    { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'ko-KR', permissions: ['microphone'] });
  const desk = await loggedIn(browser, server.base, ana.token);
  await phone.goto(`${server.base}/#/chats/${room}`);
  await desk.goto(`${server.base}/#/chats/${room}`);
  const before = (await apiCall(server.base, ben.token, 'GET', `/rooms/${room}/messages`)).messages.length;
  await composerTool(phone, '#voice-record');
  await phone.waitForSelector('.voice-recorder:not([hidden])');
  await phone.screenshot({ path: join(shots, 'voice-recording-390.png') });
  await phone.click('#voice-cancel');
  await phone.waitForSelector('.voice-recorder[hidden]', { state: 'attached' });
  assert.equal((await apiCall(server.base, ben.token, 'GET', `/rooms/${room}/messages`)).messages.length, before, 'nothing sent');
  await record(phone, 1_500);
  await desk.waitForFunction(() => document.querySelectorAll('.voice').length === 2);
  await play(desk);
  await desk.screenshot({ path: join(shots, 'voice-playing-1280.png') });
  await desk.context().close();
  await phone.context().close();
});
