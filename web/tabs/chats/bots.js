// @ts-check
/**
 * What bots add to a room: the `/` menu of their slash commands over the
 * composer, and the buttons under their messages (a postback tells the
 * bot who pressed it; a link opens in a new tab).
 */

import { api } from '../../lib/api.js';
import { h, mount, toast } from '../../lib/dom.js';
import { errorText, t } from '../../lib/i18n.js';

/** @typedef {{bot_id: number, bot_name: string, command: string, description: string}} RoomCommand */

/**
 * The `/` menu: shown while the composer holds only `/` and the start of
 * a command; ↑ ↓ choose, Enter or Tab picks, Escape closes. Picking
 * writes `/command ` for the person to finish.
 * @param {number} roomId
 * @param {HTMLTextAreaElement} input
 */
export function commandMenu(roomId, input) {
  const menu = h('ul', { class: 'command-menu', id: `commands-${roomId}`, role: 'listbox', 'aria-label': t('botCommands'), hidden: true });
  /** @type {RoomCommand[] | null} */
  let commands = null;
  /** @type {Promise<void> | null} */
  let loading = null;
  /** @type {RoomCommand[]} */
  let shown = [];
  let chosen = 0;

  function load() {
    loading ??= api.get(`/rooms/${roomId}/commands`)
      .then((/** @type {RoomCommand[]} */ list) => { commands = list; })
      // Without them the composer still works: no menu.
      .catch(() => { commands = []; });
    return loading;
  }

  function close() {
    menu.hidden = true;
    shown = [];
    input.removeAttribute('aria-activedescendant');
    input.setAttribute('aria-expanded', 'false');
  }

  /** @param {RoomCommand} c */
  function pick(c) {
    input.value = `/${c.command} `;
    close();
    input.focus();
    input.dispatchEvent(new Event('input'));
  }

  function draw() {
    mount(menu, ...shown.map((c, i) => h('li', {
      id: `command-${roomId}-${i}`, role: 'option', class: 'command', 'aria-selected': String(i === chosen),
      onmousedown: (/** @type {Event} */ e) => { e.preventDefault(); pick(c); },
    }, h('b', {}, `/${c.command}`), ' ', h('span', { class: 'muted' }, c.description), ' ',
    h('span', { class: 'command-bot' }, '🤖 ', c.bot_name))));
    menu.hidden = shown.length === 0;
    input.setAttribute('aria-expanded', String(!menu.hidden));
    if (shown.length) input.setAttribute('aria-activedescendant', `command-${roomId}-${chosen}`);
  }

  async function update() {
    const typed = /^\/([a-z0-9_]*)$/.exec(input.value);
    if (!typed) { close(); return; }
    const start = typed[1];
    // A fresh `/` reads them again: bots join and leave, and change them.
    if (menu.hidden && start === '') { commands = null; loading = null; }
    await load();
    shown = (commands ?? []).filter((c) => c.command.startsWith(start));
    chosen = Math.min(chosen, Math.max(shown.length - 1, 0));
    draw();
  }

  input.setAttribute('aria-controls', menu.id);
  input.setAttribute('aria-autocomplete', 'list');
  input.addEventListener('input', () => { update(); });
  input.addEventListener('blur', () => setTimeout(close, 150));
  // Before the composer's own keys (Enter sends): a capture listener.
  input.addEventListener('keydown', (e) => {
    if (menu.hidden || !shown.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      chosen = (chosen + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      draw();
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.isComposing) {
      pick(shown[chosen]);
    } else if (e.key === 'Escape') {
      close();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
  }, true);
  return menu;
}

/**
 * The buttons under a bot's message.
 * @param {number} roomId @param {any} m
 */
export function messageButtons(roomId, m) {
  if (!m.buttons?.length || m.deleted || m.hidden) return null;
  return h('div', { class: 'bot-buttons' }, m.buttons.map((/** @type {any} */ b, /** @type {number} */ i) => {
    if (b.kind === 'link') {
      return h('a', { class: 'bot-button', href: b.url, target: '_blank', rel: 'noopener noreferrer' }, b.label, ' ↗');
    }
    const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'bot-button', onclick: async () => {
      button.disabled = true;
      try {
        await api.post(`/rooms/${roomId}/messages/${m.seq}/press`, { button: i });
        button.classList.add('pressed');
        button.setAttribute('aria-pressed', 'true');
      } catch (err) {
        toast(errorText(/** @type {any} */ (err)));
      } finally {
        button.disabled = false;
      }
    } }, b.label));
    return button;
  }));
}
