// @ts-check
/**
 * The Pung composer: a text card or a photo, decorations (text, sticker,
 * poll, link, place) dragged into place on a live preview, the audience
 * (all friends, chosen, all except, only me), how long it lasts, and the
 * friends to tag. The server checks everything again; its refusal is shown
 * as it comes.
 */

import { api, ApiError, clientId } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { state } from '../../lib/state.js';
import { pungCard } from './card.js';
import { loadPungs } from './feed.js';

const SWATCHES = ['#ff7a59', '#1e90ff', '#2e8b57', '#8a2be2', '#191919', '#f5b700', '#e84393', '#00a8a8'];
const STICKERS = ['🎉', '😍', '🔥', '☕', '🌸', '🐶', '🍜', '⛰️', '🎂', '✨', '👍', '🥳'];
const DURATIONS = [12, 24, 48];
/** Where new decorations go, top to bottom, leaving the middle free. */
const SLOTS = [0.14, 0.8, 0.27, 0.9, 0.68];
const AUDIENCES = /** @type {const} */ ([['friends', 'audFriends'], ['chosen', 'audChosen'], ['except', 'audExcept'], ['only_me', 'audOnlyMe']]);

/** @param {HTMLElement} main */
export function renderComposer(main) {
  const draft = {
    kind: 'text',
    text: '',
    background: SWATCHES[0],
    /** @type {any[]} */ layers: [],
    /** @type {string | null} */ photo: null,
    /** @type {string | null} */ photoUrl: null,
    /** @type {'friends' | 'chosen' | 'except' | 'only_me'} */ audience: 'friends',
    /** @type {Set<number>} */ named: new Set(),
    duration: 24,
    /** @type {Set<number>} */ tags: new Set(),
  };
  const friends = state.friends.filter((f) => f.mutual && !f.hidden).map((f) => f.profile);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const preview = h('div', { class: 'pung-preview' });
  const kindRow = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('pung') });
  const textField = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'pung-text', rows: 3, maxlength: 500 }));
  const textLabel = h('label', { for: 'pung-text' });
  const swatches = h('div', { class: 'swatches', role: 'radiogroup', 'aria-label': t('background') });
  const photoInput = /** @type {HTMLInputElement} */ (h('input', { type: 'file', id: 'pung-photo', accept: 'image/*' }));
  const photoRow = h('div', { class: 'photo-pick' }, h('label', { for: 'pung-photo' }, t('choosePhoto')), photoInput);
  const layerForm = h('div', { class: 'layer-form' });
  const layerList = h('ul', { class: 'layer-list' });
  const audienceBox = h('div', { class: 'audience' });
  const tagBox = h('fieldset', { class: 'tag-box' });
  const postButton = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary wide', id: 'pung-post' }, t('post')));

  const asPung = () => ({
    id: null, kind: draft.kind, text: draft.text, background: draft.background, layers: draft.layers,
    photo: null, poll: null,
  });

  function drawPreview() {
    mount(preview, pungCard(asPung(), {
      photoUrl: draft.photoUrl ?? undefined,
      onMove: (i, x, y) => { draft.layers[i].x = x; draft.layers[i].y = y; },
    }));
  }

  function drawKind() {
    mount(kindRow, [['text', 'pungTextKind'], ['photo', 'pungPhotoKind']].map(([k, label]) => h('button', {
      type: 'button', role: 'radio', 'aria-checked': String(draft.kind === k), class: draft.kind === k ? 'on' : '',
      dataset: { kind: k }, onclick: () => { draft.kind = k; drawAll(); },
    }, t(/** @type {any} */ (label)))));
    textLabel.textContent = draft.kind === 'text' ? t('pungText') : t('pungCaption');
    swatches.hidden = draft.kind !== 'text';
    photoRow.hidden = draft.kind !== 'photo';
    mount(swatches, SWATCHES.map((c) => {
      const b = h('button', { type: 'button', role: 'radio', class: 'swatch', 'aria-label': c, 'aria-checked': String(draft.background === c),
        onclick: () => { draft.background = c; drawAll(); } });
      b.style.background = c;
      return b;
    }));
  }

  function drawLayers() {
    mount(layerList, draft.layers.map((l, i) => h('li', {},
      h('span', {}, describe(l)),
      h('button', { type: 'button', class: 'icon-button', 'aria-label': `${t('remove')} ${describe(l)}`,
        onclick: () => { draft.layers.splice(i, 1); drawAll(); } }, '✕'))));
  }

  /** @param {any} l */
  function describe(l) {
    switch (l.type) {
      case 'text': return `Aa ${l.text}`;
      case 'sticker': return l.emoji;
      case 'poll': return `📊 ${l.question}`;
      case 'link': return `🔗 ${l.label || l.url}`;
      default: return `📍 ${l.name}`;
    }
  }

  /** @param {any} layer */
  function addLayer(layer) {
    // Around the card's text (which sits in the middle), not on it.
    const y = SLOTS[draft.layers.length % SLOTS.length];
    draft.layers.push({ x: 0.5, y, ...layer });
    mount(layerForm);
    drawAll();
  }

  /** A small form for one kind of decoration. @param {string} kind */
  function openLayerForm(kind) {
    /** @param {string} id @param {string} label @param {Record<string, any>} [attrs] */
    const field = (id, label, attrs = {}) => {
      const input = /** @type {HTMLInputElement} */ (h('input', { id, ...attrs }));
      return { input, el: h('div', {}, h('label', { for: id }, label), input) };
    };
    const submit = (/** @type {() => any} */ make) => (/** @type {Event} */ e) => {
      e.preventDefault();
      const layer = make();
      if (layer) addLayer(layer);
    };
    if (kind === 'sticker') {
      mount(layerForm, h('div', { class: 'sticker-pick' }, STICKERS.map((emoji) =>
        h('button', { type: 'button', 'aria-label': emoji, onclick: () => addLayer({ type: 'sticker', emoji, scale: 1.6 }) }, emoji))));
      return;
    }
    if (kind === 'text') {
      const text = field('layer-text', t('layerText'), { maxlength: 200 });
      mount(layerForm, h('form', { onsubmit: submit(() => text.input.value.trim() && { type: 'text', text: text.input.value.trim(), color: '#ffffff' }) },
        text.el, h('button', { type: 'submit' }, t('add'))));
      text.input.focus();
    } else if (kind === 'poll') {
      const q = field('poll-question', t('pollQuestion'), { maxlength: 100 });
      const options = [1, 2, 3, 4].map((n) => field(`poll-option-${n}`, t('pollOption', { n }), { maxlength: 40 }));
      mount(layerForm, h('form', { onsubmit: submit(() => {
        const opts = options.map((o) => o.input.value.trim()).filter(Boolean);
        return q.input.value.trim() && opts.length >= 2 && { type: 'poll', question: q.input.value.trim(), options: opts };
      }) }, q.el, options.map((o) => o.el), h('button', { type: 'submit' }, t('add'))));
      q.input.focus();
    } else if (kind === 'link') {
      const url = field('link-url', t('linkUrl'), { type: 'url', placeholder: 'https://' });
      const label = field('link-label', t('linkLabel'), { maxlength: 60 });
      mount(layerForm, h('form', { onsubmit: submit(() => /^https?:\/\/[^/\s]/i.test(url.input.value.trim())
        && { type: 'link', url: url.input.value.trim(), label: label.input.value.trim() || null }) },
      url.el, label.el, h('button', { type: 'submit' }, t('add'))));
      url.input.focus();
    } else if (kind === 'place') {
      const name = field('place-name', t('placeName'), { maxlength: 100 });
      const lat = field('place-lat', t('latitude'), { type: 'number', step: 'any', min: -90, max: 90 });
      const lng = field('place-lng', t('longitude'), { type: 'number', step: 'any', min: -180, max: 180 });
      const locate = h('button', { type: 'button', class: 'small', onclick: () => navigator.geolocation?.getCurrentPosition((pos) => {
        lat.input.value = pos.coords.latitude.toFixed(5);
        lng.input.value = pos.coords.longitude.toFixed(5);
      }) }, t('useMyLocation'));
      mount(layerForm, h('form', { onsubmit: submit(() => {
        const la = Number(lat.input.value), lo = Number(lng.input.value);
        return name.input.value.trim() && lat.input.value !== '' && lng.input.value !== '' && Number.isFinite(la) && Number.isFinite(lo)
          && { type: 'location', name: name.input.value.trim(), lat: la, lng: lo };
      }) }, name.el, lat.el, lng.el, locate, h('button', { type: 'submit' }, t('add'))));
      name.input.focus();
    }
  }

  function audienceList() {
    if (draft.audience === 'friends') return friends.map((f) => f.id);
    if (draft.audience === 'only_me') return [];
    if (draft.audience === 'chosen') return [...draft.named];
    return friends.map((f) => f.id).filter((id) => !draft.named.has(id));
  }

  function drawAudience() {
    const picking = draft.audience === 'chosen' || draft.audience === 'except';
    mount(audienceBox,
      h('div', { class: 'segmented wrap', role: 'radiogroup', 'aria-label': t('audience') }, AUDIENCES.map(([mode, label]) => h('button', {
        type: 'button', role: 'radio', 'aria-checked': String(draft.audience === mode), class: draft.audience === mode ? 'on' : '',
        dataset: { audience: mode }, onclick: () => { draft.audience = mode; draft.named.clear(); drawAll(); },
      }, t(label)))),
      h('p', { class: 'muted small-print' }, t('mutualNote')),
      picking ? h('fieldset', { class: 'friend-pick' }, friends.map((f) => h('label', { class: 'pick' },
        h('input', { type: 'checkbox', checked: draft.named.has(f.id), dataset: { user: f.id }, onchange: (/** @type {Event} */ e) => {
          if (/** @type {HTMLInputElement} */ (e.target).checked) draft.named.add(f.id); else draft.named.delete(f.id);
          drawTags();
        } }), f.display_name))) : null);
  }

  function drawTags() {
    const allowed = new Set(audienceList());
    for (const id of draft.tags) if (!allowed.has(id)) draft.tags.delete(id);
    const people = friends.filter((f) => allowed.has(f.id));
    tagBox.hidden = people.length === 0;
    mount(tagBox, h('legend', {}, t('tagFriends')), people.map((f) => h('label', { class: 'pick' },
      h('input', { type: 'checkbox', checked: draft.tags.has(f.id), dataset: { tag: f.id },
        disabled: !draft.tags.has(f.id) && draft.tags.size >= 10, onchange: (/** @type {Event} */ e) => {
          if (/** @type {HTMLInputElement} */ (e.target).checked) draft.tags.add(f.id); else draft.tags.delete(f.id);
          drawTags();
        } }), f.display_name)));
  }

  function drawAll() {
    drawKind();
    drawPreview();
    drawLayers();
    drawAudience();
    drawTags();
  }

  textField.addEventListener('input', () => { draft.text = textField.value; drawPreview(); });
  photoInput.addEventListener('change', async () => {
    const f = photoInput.files?.[0];
    if (!f) return;
    error.textContent = '';
    try {
      const up = await api.request('POST', '/pungs/uploads', f);
      draft.photo = up.media_id;
      draft.photoUrl = api.mediaUrl(up.media_id);
      drawPreview();
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
    }
  });

  async function submit(/** @type {Event} */ e) {
    e.preventDefault();
    error.textContent = '';
    const body = {
      client_id: clientId(),
      text: draft.text,
      background: draft.kind === 'text' ? draft.background : undefined,
      photo: draft.kind === 'photo' ? draft.photo : undefined,
      layers: draft.layers,
      audience: { mode: draft.audience, user_ids: [...draft.named] },
      duration_hours: draft.duration,
      tags: [...draft.tags],
    };
    postButton.disabled = true;
    postButton.textContent = t('posting');
    try {
      // A network failure is retried with the same client id: never two Pungs.
      let posted = null;
      for (let attempt = 0; !posted; attempt++) {
        try {
          posted = await api.post('/pungs', body);
        } catch (err) {
          if (err instanceof ApiError || attempt >= 2) throw err;
        }
      }
      await loadPungs();
      location.hash = '#/pung';
    } catch (err) {
      error.textContent = /** @type {Error} */ (err).message;
      postButton.disabled = false;
      postButton.textContent = t('post');
    }
  }

  const durationRow = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': t('duration') });
  const drawDuration = () => mount(durationRow, DURATIONS.map((n) => h('button', {
    type: 'button', role: 'radio', 'aria-checked': String(draft.duration === n), class: draft.duration === n ? 'on' : '',
    onclick: () => { draft.duration = n; drawDuration(); },
  }, t('hours', { n }))));
  drawDuration();

  mount(main,
    h('header', { class: 'pane-header' }, h('a', { href: '#/pung', class: 'icon-button', 'aria-label': t('back') }, '‹'), h('h1', {}, t('newPung'))),
    h('form', { class: 'pung-composer', onsubmit: submit },
      h('div', { class: 'composer-preview' }, preview, h('p', { class: 'muted small-print' }, t('dragHint'))),
      h('div', { class: 'composer-fields' },
        kindRow, textLabel, textField, swatches, photoRow,
        h('h3', {}, t('decorations')),
        h('div', { class: 'layer-buttons' }, [['text', 'addText', 'Aa'], ['sticker', 'addSticker', '😀'], ['poll', 'addPoll', '📊'], ['link', 'addLink', '🔗'], ['place', 'addPlace', '📍']]
          .map(([kind, label, icon]) => h('button', { type: 'button', class: 'small', dataset: { layer: kind }, onclick: () => openLayerForm(kind) },
            `${icon} ${t(/** @type {any} */ (label))}`))),
        layerForm, layerList,
        h('h3', {}, t('audience')), audienceBox,
        h('h3', {}, t('duration')), durationRow,
        tagBox, error, postButton)));
  drawAll();
}
