// @ts-check
/** Exports, as the person sees them: a sheet to pick what to take out (a
 * room as text, JSON or a page; or the whole account), the job's progress
 * as `export_changed` frames tell it, and the link once it is ready. */

import { api } from './api.js';
import { h, mount } from './dom.js';
import { showError, t, whenOf } from './i18n.js';
import { state, subscribe } from './state.js';

/** @param {number} bytes */
function sizeOf(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Where one job is: a progress bar, then its link or why it failed.
 * @param {any} job */
export function exportStatus(job) {
  if (job.state === 'done') {
    return h('p', { class: 'export-ready', dataset: { export: job.id } },
      h('a', { href: job.download_url, download: job.file_name ?? '', class: 'button primary' }, `⬇ ${job.file_name}`),
      h('span', { class: 'muted' }, ` ${sizeOf(job.size ?? 0)} · ${t('linkUntil', { when: whenOf(job.expires_at) })}`));
  }
  if (job.state === 'failed') return h('p', { class: 'form-error', dataset: { export: job.id } }, t('exportFailed'));
  if (job.state === 'expired') return h('p', { class: 'muted', dataset: { export: job.id } }, t('exportExpired'));
  return h('p', { class: 'export-running', dataset: { export: job.id } },
    h('progress', { max: Math.max(job.total, 1), value: job.done, 'aria-label': t('exporting') }),
    h('span', { class: 'muted' }, job.total ? ` ${job.done} / ${job.total}` : ` ${t('exporting')}`));
}

/**
 * Asks for an export with `ask` and shows it in `slot` until it is ready.
 * @param {HTMLElement} slot @param {() => Promise<any>} ask
 */
export async function follow(slot, ask) {
  let job = await ask();
  mount(slot, exportStatus(job));
  const stop = subscribe((what) => {
    const now = state.exports.get(job.id);
    if (what !== 'exports' || !now) return;
    job = now;
    mount(slot, exportStatus(job));
    if (job.state !== 'pending' && job.state !== 'running') stop();
  });
  // A frame may have come before the subscription: read it once.
  const fresh = await api.get(`/exports/${job.id}`).catch(() => null);
  if (fresh && fresh.state !== job.state) {
    state.exports.set(fresh.id, fresh);
    mount(slot, exportStatus(fresh));
    if (fresh.state !== 'pending' && fresh.state !== 'running') stop();
  }
}

/** The sheet that exports a room. @param {number} roomId @param {string} title */
export function openRoomExport(roomId, title) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet export-sheet', 'aria-label': t('exportOf', { title }) }));
  const slot = h('div', { class: 'export-slot', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const close = () => { dialog.close(); dialog.remove(); };
  /** @param {'txt' | 'json' | 'html'} format */
  const ask = (format) => {
    error.textContent = '';
    follow(slot, () => api.post(`/rooms/${roomId}/exports`, { format })).catch((err) => showError(error, err));
  };
  mount(dialog,
    h('header', { class: 'sheet-header' }, h('h2', {}, t('exportOf', { title })),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': t('close'), onclick: close }, '✕')),
    h('p', { class: 'muted' }, t('exportHint')),
    h('div', { class: 'export-formats' },
      h('button', { type: 'button', dataset: { format: 'txt' }, onclick: () => ask('txt') }, t('exportTxt')),
      h('button', { type: 'button', dataset: { format: 'json' }, onclick: () => ask('json') }, t('exportJson')),
      h('button', { type: 'button', dataset: { format: 'html' }, onclick: () => ask('html') }, t('exportHtml'))),
    slot, error);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
