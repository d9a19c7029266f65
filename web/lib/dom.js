// @ts-check
/**
 * The only way this client builds DOM. Children that are strings become
 * text nodes, and attributes are set as properties or attributes, never as
 * HTML: no user-controlled value can become markup.
 */

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string | number | null | undefined | false | Array<any>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = String(value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'hidden') {
      /** @type {any} */ (el)[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {any[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces every child of `el`. @param {Element} el @param {...any} children */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** @param {number} ms */
export function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
}

/** Says `text` for a few seconds over whatever is on screen (read out
 * by screen readers), newest last. @param {string} text */
export function toast(text) {
  let shelf = document.querySelector('.toasts');
  if (!shelf) {
    shelf = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(shelf);
  }
  const note = h('p', { class: 'toast' }, text);
  shelf.append(note);
  setTimeout(() => note.remove(), 8000);
}

/**
 * Makes `toggle` open and close `panel` (class `open`, `aria-expanded`);
 * a choice inside it, a tap outside `scope` or Escape closes it. Returns
 * what undoes the page-wide listeners.
 * @param {HTMLElement} panel @param {HTMLElement} toggle @param {string} scope a selector of what counts as inside
 */
export function foldAway(panel, toggle, scope) {
  /** @param {boolean} on */
  const show = (on) => {
    panel.classList.toggle('open', on);
    toggle.setAttribute('aria-expanded', String(on));
  };
  toggle.setAttribute('aria-expanded', 'false');
  toggle.addEventListener('click', () => show(!panel.classList.contains('open')));
  panel.addEventListener('click', (e) => { if (/** @type {HTMLElement} */ (e.target).closest('button, a, label')) show(false); });
  const close = (/** @type {Event} */ e) => {
    if (!panel.classList.contains('open')) return;
    if (e instanceof KeyboardEvent ? e.key === 'Escape' : !(/** @type {HTMLElement} */ (e.target).closest(scope))) show(false);
  };
  document.addEventListener('click', close);
  document.addEventListener('keydown', close);
  return () => {
    document.removeEventListener('click', close);
    document.removeEventListener('keydown', close);
  };
}

/** A time as a `datetime-local` value, in this device's zone
 * (what a date-time field reads and writes). @param {number} ms */
export function localInput(ms) {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

/** Initials for an avatar placeholder. @param {string} name */
export function initials(name) {
  const t = (name || '?').trim();
  return Array.from(t)[0]?.toUpperCase() ?? '?';
}

/** A stable pastel colour per id. @param {number} id */
export function tint(id) {
  const hues = [12, 38, 95, 160, 195, 220, 265, 320];
  return `hsl(${hues[Math.abs(id) % hues.length]} 70% 82%)`;
}

/** Sets inline sizes through the CSSOM (the page's CSP refuses style attributes).
 * @param {HTMLElement} el @param {Record<string, string>} styles */
export function styled(el, styles) {
  Object.assign(el.style, styles);
  return el;
}
