// @ts-check
/**
 * The AI in a room: "summarise unread" (the summary streams into a panel
 * above the messages, nothing is marked read; or, from a model too small
 * to write or one that repeated what it was given, the messages that say
 * the most, quoted, each a jump to its place) and, in a group chat, the
 * switch that adds or removes the assistant. Both run on the server's own
 * models; only what the server offers (`GET /ai`) is shown.
 */

import { api, ApiError } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { errorText, t } from '../../lib/i18n.js';
import { mergeRoom, state } from '../../lib/state.js';

/** How many recent messages "summarise the latest" reads when nothing is unread. */
const LATEST = 50;

/** A refusal as a person reads it. @param {unknown} err */
function reason(err) {
  return err instanceof ApiError ? errorText(err) : t('aiFailed');
}

/**
 * @param {any} room the room's state (updated in place)
 * @param {number} roomId
 * @param {() => void} onRoomChanged
 */
export function aiTools(room, roomId, onRoomChanged) {
  // Opening the room marks everything read: "unread" is what was unread then.
  const readAtOpen = room.read_seq;
  const status = h('p', { class: 'summary-status', role: 'status' });
  const text = h('div', { class: 'summary-text', 'aria-live': 'polite' });
  const actions = h('div', { class: 'summary-actions' });
  const panel = h('section', { class: 'summary-panel', hidden: true, 'aria-label': t('summary') },
    h('header', {}, h('strong', {}, t('summary')),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': t('close'), onclick: close }, '✕')),
    status, text, actions);
  /** @type {AbortController | null} */
  let running = null;

  function close() {
    running?.abort();
    running = null;
    panel.hidden = true;
  }

  /** @param {{last?: number, after?: number}} scope */
  async function summarise(scope) {
    running?.abort();
    const mine = new AbortController();
    running = mine;
    panel.hidden = false;
    text.textContent = '';
    mount(actions);
    status.textContent = t('summarising');
    try {
      await api.stream(`/rooms/${roomId}/summary`, scope, (name, data) => {
        if (running !== mine) return;
        if (name === 'start') status.textContent = t('summaryOf', { n: data.messages });
        else if (name === 'progress') status.textContent = t('summaryProgress', { done: data.done, of: data.of });
        else if (name === 'text') text.textContent += data.text;
        // The extractive summary replaces anything written before it.
        else if (name === 'quotes') mount(text, h('ol', { class: 'summary-quotes' }, data.items.map(quote)));
        else if (name === 'done') status.textContent = data.kind === 'extractive' ? t('summaryQuoted') : t('summaryDone');
        else if (name === 'error') status.textContent = reason(new ApiError(503, data.code, data.message));
      }, mine.signal);
    } catch (err) {
      if (mine.signal.aborted) return;
      if (err instanceof ApiError && err.code === 'nothing_to_summarise' && !scope.last) {
        status.textContent = t('nothingUnread');
        mount(actions, h('button', { type: 'button', class: 'small', onclick: () => summarise({ last: LATEST }) },
          t('summariseLatest', { n: LATEST })));
      } else {
        status.textContent = reason(err);
      }
    }
  }

  /** One quoted message: who said it, its words, a jump to it. @param {{seq: number, sender_id: number, text: string}} q */
  function quote(q) {
    const who = state.people.get(q.sender_id)?.display_name ?? '…';
    return h('li', {}, h('a', { href: `#/chats/${roomId}/${q.seq}`, class: 'summary-quote', dataset: { seq: q.seq },
      title: t('summaryQuoteAt') }, h('strong', {}, who), ` “${q.text}”`));
  }

  const summaryButton = state.ai.summary
    ? h('button', { type: 'button', class: 'icon-button', id: 'summarise',
      'aria-label': t('summariseUnread'), title: t('summariseUnread'), onclick: () => summarise({ after: readAtOpen }) }, '✨')
    : null;

  // Shown where the assistant is on even if the server stopped offering
  // it, so it can still be removed.
  const assistantButton = room.kind === 'group' && (state.ai.assistant || room.assistant)
    ? h('button', { type: 'button', class: 'icon-button', id: 'assistant-toggle', onclick: toggleAssistant }, '🤖')
    : null;

  async function toggleAssistant() {
    try {
      const fresh = room.assistant
        ? await api.del(`/rooms/${roomId}/assistant`)
        : await api.put(`/rooms/${roomId}/assistant`);
      // An absent field would leave the old assistant in place.
      mergeRoom({ ...fresh, assistant: fresh.assistant ?? null });
      onRoomChanged();
    } catch (err) {
      panel.hidden = false;
      text.textContent = '';
      mount(actions);
      status.textContent = reason(err);
    }
  }

  function draw() {
    if (!assistantButton) return;
    const on = !!room.assistant;
    const label = on ? t('removeAssistant') : t('addAssistant');
    assistantButton.setAttribute('aria-label', label);
    assistantButton.setAttribute('aria-pressed', String(on));
    assistantButton.title = label;
  }

  return { summaryButton, assistantButton, panel, draw };
}
