// @ts-check
/**
 * The hosts' and co-hosts' spam screening sheet for a group open chat:
 * how much screening does here (off, like labelled spam, also newcomers'
 * links), whether the server compares with labelled spam at all, and the
 * messages screening hid, each to show again or keep hidden.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';

/** Messages waiting for review, for the toolbar's count (a count, not the
 * list: it is asked again after message events). @param {number} chatId */
export async function pendingCount(chatId) {
  const settings = await api.get(`/openchats/${chatId}/screening`).catch(() => null);
  return settings?.pending ?? 0;
}

/**
 * @param {number} chatId
 * @param {() => void} onChanged called after each review (counts change)
 */
export function reviewSheet(chatId, onChanged) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet oc-review', 'aria-label': t('screening') }));
  const content = h('div');
  const error = h('p', { class: 'form-error', role: 'alert' });
  const fail = (/** @type {unknown} */ err) => showError(error, err);
  const draw = async () => {
    const [settings, flagged] = await Promise.all([
      api.get(`/openchats/${chatId}/screening`), api.get(`/openchats/${chatId}/flagged`)]);
    const mode = /** @type {HTMLSelectElement} */ (h('select', { id: 'screening-mode', 'aria-label': t('screening'), onchange: async () => {
      try {
        await api.request('PUT', `/openchats/${chatId}/screening`, { mode: mode.value });
        error.textContent = '';
      } catch (err) { mode.value = settings.mode; fail(err); }
    } }, ['off', 'model', 'strict'].map((m) => h('option', { value: m, selected: m === settings.mode }, t(/** @type {any} */ (`screening_${m}`))))));
    /** @param {any} f @param {'spam' | 'fine'} verdict */
    const review = async (f, verdict) => {
      try {
        await api.post(`/openchats/${chatId}/flagged/${f.seq}`, { verdict });
        error.textContent = '';
        onChanged();
        await draw();
      } catch (err) { fail(err); }
    };
    mount(content,
      h('label', {}, t('screeningMode'), mode),
      h('p', { class: 'muted small-print', id: 'model-signal' }, settings.model_signal ? t('modelSignalOn') : t('modelSignalOff')),
      h('h3', {}, t('heldForReview'), ' ', h('span', { class: 'muted' }, String(Math.max(settings.pending, flagged.messages.length)))),
      flagged.messages.length
        ? h('ul', { class: 'flag-list' }, flagged.messages.map((/** @type {any} */ f) => h('li', { dataset: { flagged: f.seq } },
          h('div', { class: 'flag-head' }, h('strong', {}, f.nickname || '—'),
            h('span', { class: 'chip' }, t(/** @type {any} */ (`flag_${f.reason}`)), f.score != null ? ` · ${Math.round(f.score * 100)}%` : '')),
          h('p', { class: 'flag-text' }, f.text),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'small', dataset: { verdict: 'fine' }, onclick: () => review(f, 'fine') }, t('showAgain')),
            h('button', { type: 'button', class: 'small danger', dataset: { verdict: 'spam' }, onclick: () => review(f, 'spam') }, t('keepHidden'))))))
        : h('p', { class: 'empty small' }, t('nothingHeld')));
  };
  dialog.append(h('h2', {}, `🛡️ ${t('screening')}`), content, error,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
  draw().catch(fail);
}
