// @ts-check
/**
 * Polls in a group chat or an open chat: 📊 in the composer makes one
 * (single or multiple choice, anonymous or not, an optional closing
 * time); each poll message shows its options with counts and bars, who
 * chose what (by room name: a nickname in an open chat) unless it is
 * anonymous, and my choice, which I change by tapping until it closes.
 * Votes arrive live (`poll_changed`); its author may close it early.
 */

import { api, clientId } from '../../lib/api.js';
import { h, localInput, mount } from '../../lib/dom.js';
import { showError, t, whenOf } from '../../lib/i18n.js';

/**
 * @param {number} roomId @param {number} me my id in the room
 * @param {(id: number) => string} nameOf
 */
export function pollTools(roomId, me, nameOf) {
  /** Cards built, by the poll's seq. @type {Map<number, Set<{el: HTMLElement, refresh: () => Promise<void>}>>} */
  const cards = new Map();

  /** The card of a poll message; fills itself from the server. @param {any} m */
  function card(m) {
    const el = h('div', { class: 'poll', dataset: { poll: m.seq } }, h('p', { class: 'poll-question' }, `📊 ${m.text}`));
    const body = h('div', { class: 'poll-body' }, h('p', { class: 'muted small' }, '…'));
    const error = h('p', { class: 'form-error', role: 'alert' });
    el.append(body, error);
    /** @type {any} */
    let timer = null;
    const refresh = async () => {
      try {
        draw(await api.get(`/rooms/${roomId}/polls/${m.seq}`));
      } catch (err) { showError(error, err); }
    };
    /** @param {number[]} options */
    const vote = async (options) => {
      error.textContent = '';
      try {
        draw(await api.put(`/rooms/${roomId}/polls/${m.seq}/vote`, { options }));
      } catch (err) { showError(error, err); }
    };
    /** @param {any} poll */
    function draw(poll) {
      const most = Math.max(1, ...poll.options.map((/** @type {any} */ o) => o.votes));
      const chosen = new Set(poll.my_votes);
      mount(body, h('ul', { class: 'poll-options', role: 'group', 'aria-label': poll.question },
        poll.options.map((/** @type {any} */ o, /** @type {number} */ i) => {
          const on = chosen.has(i);
          const next = poll.multiple
            ? (on ? [...chosen].filter((x) => x !== i) : [...chosen, i])
            : (on ? [] : [i]);
          const bar = h('span', { class: 'poll-bar', 'aria-hidden': 'true' });
          bar.style.width = `${Math.round((o.votes / most) * 100)}%`;
          return h('li', {},
            h('button', { type: 'button', class: `poll-option${on ? ' on' : ''}`, 'aria-pressed': String(on), disabled: poll.closed,
              dataset: { option: i }, onclick: () => vote(next) },
            bar, h('span', { class: 'poll-mark', 'aria-hidden': 'true' }, on ? '✓' : poll.multiple ? '☐' : '○'),
            h('span', { class: 'poll-text' }, o.text), h('span', { class: 'poll-count' }, String(o.votes))),
            o.voters.length ? h('p', { class: 'poll-voters' }, o.voters.map(nameOf).join(', ')) : null);
        })),
      h('p', { class: 'poll-meta small muted' },
        [t('pollVoted', { n: poll.voters }), poll.multiple ? t('pollMultiple') : null, poll.anonymous ? t('pollAnonymous') : null,
          poll.closed ? t('pollClosed') : poll.closes_at ? t('pollClosesAt', { when: whenOf(poll.closes_at) }) : null]
          .filter(Boolean).join(' · ')),
      !poll.closed && poll.author_id === me ? h('button', { type: 'button', class: 'small poll-close', onclick: async () => {
        try { draw(await api.post(`/rooms/${roomId}/polls/${m.seq}/close`, {})); } catch (err) { showError(error, err); }
      } }, t('closePoll')) : null);
      // It closes by itself: show that when it does.
      clearTimeout(timer);
      const left = poll.closes_at && !poll.closed ? poll.closes_at - Date.now() : 0;
      if (left > 0 && left < 86_400_000) timer = setTimeout(refresh, left + 500);
    }
    const set = cards.get(m.seq) ?? new Set();
    set.add({ el, refresh });
    cards.set(m.seq, set);
    refresh();
    return el;
  }

  /** A vote or a closing somewhere: the cards of that poll read it again. @param {number} seq */
  function changedPoll(seq) {
    const set = cards.get(seq);
    for (const card of set ?? []) {
      // A card no longer on the page (its bubble was rebuilt) is dropped.
      if (card.el.isConnected) card.refresh();
      else set?.delete(card);
    }
  }

  /** The sheet that makes a poll. */
  function sheet() {
    const dialog = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'sheet poll-sheet', 'aria-label': t('newPoll') }));
    const question = /** @type {HTMLInputElement} */ (h('input', { id: 'poll-question', maxlength: 200 }));
    const options = h('div', { class: 'poll-option-inputs' });
    const addOption = () => {
      if (options.children.length >= 10) return;
      const n = options.children.length + 1;
      options.append(h('input', { class: 'poll-option-input', maxlength: 80, 'aria-label': t('pollOptionN', { n }), placeholder: t('pollOptionN', { n }) }));
    };
    addOption();
    addOption();
    const multiple = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'poll-multiple' }));
    const anonymous = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'poll-anonymous' }));
    const closes = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', id: 'poll-closes', step: 60,
      min: localInput(Date.now() + 60_000) }));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const close = () => { dialog.close(); dialog.remove(); };
    dialog.append(h('form', {
      method: 'dialog',
      novalidate: true,
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const texts = [...options.querySelectorAll('input')].map((i) => /** @type {HTMLInputElement} */ (i).value).filter((v) => v.trim());
        try {
          await api.post(`/rooms/${roomId}/polls`, {
            client_id: clientId(), question: question.value, options: texts, multiple: multiple.checked,
            anonymous: anonymous.checked, closes_at: closes.value ? new Date(closes.value).getTime() : undefined,
          });
          close();
        } catch (err) { showError(error, err); }
      },
    }, h('h2', {}, t('newPoll')),
    h('label', { for: 'poll-question' }, t('pollQuestion')), question,
    h('fieldset', {}, h('legend', {}, t('pollOptions')), options,
      h('button', { type: 'button', class: 'small', id: 'poll-add-option', onclick: addOption }, t('addOption'))),
    h('label', { class: 'pick' }, multiple, t('pollMultiple')),
    h('label', { class: 'pick' }, anonymous, t('pollAnonymous')),
    h('label', { for: 'poll-closes' }, t('pollClosesOptional')), closes,
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: close }, t('cancel')),
      h('button', { type: 'submit', class: 'primary', id: 'poll-save' }, t('postPoll')))));
    document.body.append(dialog);
    dialog.showModal();
    question.focus();
  }

  const button = h('button', { type: 'button', class: 'icon-button', id: 'poll-open', 'aria-label': t('newPoll'), title: t('newPoll'), onclick: sheet }, '📊');
  return { card, changedPoll, button };
}
