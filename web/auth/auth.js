// @ts-check
/** Log-in and sign-up. */

import { api } from '../lib/api.js';
import { h, mount } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/** @param {HTMLElement} root @param {() => void} done */
export function renderAuth(root, done) {
  let mode = /** @type {'login' | 'signup'} */ ('login');
  const draw = () => {
    const error = h('p', { class: 'form-error', role: 'alert' });
    const handle = h('input', { id: 'handle', name: 'handle', autocomplete: 'username', required: true, autocapitalize: 'none' });
    const password = h('input', { id: 'password', name: 'password', type: 'password', required: true, minlength: 8,
      autocomplete: mode === 'login' ? 'current-password' : 'new-password' });
    const name = h('input', { id: 'display_name', name: 'display_name', autocomplete: 'nickname' });
    const submit = async (/** @type {Event} */ e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        const body = { handle: /** @type {HTMLInputElement} */ (handle).value,
          password: /** @type {HTMLInputElement} */ (password).value, device_name: deviceName() };
        const session = mode === 'login'
          ? await api.post('/sessions', body)
          : await api.post('/accounts', { ...body, display_name: /** @type {HTMLInputElement} */ (name).value || undefined });
        api.setToken(session.token);
        done();
      } catch (err) {
        error.textContent = /** @type {Error} */ (err).message;
      }
    };
    mount(root, h('main', { class: 'auth' },
      h('div', { class: 'auth-card' },
        h('img', { src: '/icon.svg', alt: '', class: 'auth-logo', width: 72, height: 72 }),
        h('h1', {}, t('app')),
        h('p', { class: 'muted' }, t('tagline')),
        h('form', { onsubmit: submit, 'aria-label': mode === 'login' ? t('login') : t('signup') },
          h('label', { for: 'handle' }, t('handle')), handle,
          mode === 'signup' ? [h('label', { for: 'display_name' }, t('displayName')), name] : null,
          h('label', { for: 'password' }, t('password')), password,
          error,
          h('button', { type: 'submit', class: 'primary wide' }, mode === 'login' ? t('login') : t('signup'))),
        h('button', { type: 'button', class: 'link', onclick: () => { mode = mode === 'login' ? 'signup' : 'login'; draw(); } },
          mode === 'login' ? t('noAccount') : t('haveAccount')))));
    /** @type {HTMLInputElement} */ (handle).focus();
  };
  draw();
}

function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}
