// Draws the web app's PNG icons from its SVGs with Chromium (what the
// manifest and the notifications name). Run after changing an SVG:
// `npm run icons`; the PNGs are committed.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowser } from './harness.mjs';

const web = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'web');
const wanted = [
  ['icon.svg', 'icons/icon-180.png', 180],
  ['icon.svg', 'icons/icon-192.png', 192],
  ['icon.svg', 'icons/icon-512.png', 512],
  ['icons/maskable.svg', 'icons/maskable-512.png', 512],
  ['icons/badge.svg', 'icons/badge-96.png', 96],
];

const browser = await startBrowser();
const page = await browser.newPage();
for (const [svg, png, size] of wanted) {
  await page.setViewportSize({ width: size, height: size });
  const src = `data:image/svg+xml;base64,${readFileSync(join(web, svg)).toString('base64')}`;
  await page.setContent(`<style>html,body{margin:0;background:transparent}</style><img src="${src}" width="${size}" height="${size}">`);
  await page.waitForFunction(() => document.images[0]?.complete);
  writeFileSync(join(web, png), await page.screenshot({ omitBackground: true }));
  console.log(`${png} (${size}×${size})`);
}
await browser.close();
