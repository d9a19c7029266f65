// @ts-check
/**
 * A group's incoming webhooks (⋯ → 🔗): each is a URL that posts into the
 * room under a name (a build server, a calendar). Any member sees them,
 * makes one (its URL is shown once, to copy) and may end one.
 */

import { api } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t, whenOf } from '../../lib/i18n.js';
import { state } from '../../lib/state.js';

/** @param {number} roomId @param {string} title */
export function openIntegrations(roomId, title) {
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet integrations-sheet', 'aria-label': t('integrationsOf', { title }) }));
  const list = h('ul', { class: 'integrations' });
  const made = h('div', { class: 'integration-made', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'integration-name', required: true, maxlength: 30, autocomplete: 'off' }));
  const close = () => { dialog.close(); dialog.remove(); };

  const draw = async () => {
    const all = await api.get(`/rooms/${roomId}/integrations`).catch((err) => { showError(error, err); return null; });
    if (!all) return;
    mount(list, all.length ? all.map((/** @type {any} */ i) => h('li', { dataset: { integration: i.id } },
      h('span', {}, '🔗 ', h('strong', {}, i.name),
        h('span', { class: 'muted' }, ' ', t('integrationBy', { name: state.people.get(i.created_by)?.display_name ?? '…', when: whenOf(i.created_at) }))),
      h('button', { type: 'button', class: 'small end-integration', onclick: async () => {
        error.textContent = '';
        try {
          await api.del(`/rooms/${roomId}/integrations/${i.id}`);
          draw();
        } catch (err) { showError(error, err); }
      } }, t('endIntegration')))) : h('li', { class: 'muted' }, t('noIntegrations')));
  };

  const make = async (/** @type {Event} */ e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const created = await api.post(`/rooms/${roomId}/integrations`, { name: name.value.trim() });
      name.value = '';
      const url = `${location.origin}${created.path}`;
      const field = /** @type {HTMLInputElement} */ (h('input', { id: 'integration-url', readonly: true, value: url, 'aria-label': t('integrationUrl') }));
      mount(made, h('p', {}, t('integrationUrlOnce', { name: created.integration.name })), field,
        h('button', { type: 'button', onclick: () => { field.select(); navigator.clipboard?.writeText(url).catch(() => {}); } }, t('copy')),
        h('pre', { class: 'integration-example' }, `curl -X POST -H 'content-type: application/json' \\\n  -d '{"text":"…"}' ${url}`));
      draw();
    } catch (err) { showError(error, err); }
  };

  mount(dialog,
    h('header', { class: 'sheet-header' }, h('h2', {}, t('integrationsOf', { title })),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': t('close'), onclick: close }, '✕')),
    h('p', { class: 'muted' }, t('integrationsHint')),
    list,
    h('form', { onsubmit: make },
      h('label', { for: 'integration-name' }, t('integrationName')), name,
      h('button', { type: 'submit', class: 'primary' }, t('makeIntegration'))),
    made, error);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  draw();
}
