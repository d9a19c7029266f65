// @ts-check
/**
 * One channel's console, `#/local/console/{channel}`, for the business's
 * agents: the shared inbox (conversations, answering as the channel,
 * assigning, closing; live on `inbox_changed`), campaigns (composer with
 * preview, segment and schedule; each campaign's progress and stats as a
 * bar), posts, and the assistant (its switch, the questions and answers
 * it quotes, what it reads from the shops, and its counts).
 */

import { api, clientId } from '../../lib/api.js';
import { h, mount, styled, timeOf } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { webhookText } from '../more/bots.js';
import { state, subscribe } from '../../lib/state.js';
import { savedPoint } from './local.js';
import { dateOf } from './shop.js';

/** @param {string} id */
const valueOf = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value;

/** @param {HTMLElement} main @param {number} channelId @returns {() => void} */
export function renderConsole(main, channelId) {
  const title = h('h1', {}, '…');
  const body = h('div', { class: 'console-body' });
  /** @type {(() => void)[]} */
  const undo = [];
  let section = 'inbox';
  const tabs = h('nav', { class: 'console-tabs', role: 'tablist' });
  function drawTabs() {
    mount(tabs, [['inbox', t('inbox')], ['campaigns', t('campaigns')], ['posts', t('posts')], ['assistant', t('assistantTab')], ['webhook', t('webhookTab')]].map(([id, label]) =>
      h('button', { type: 'button', role: 'tab', id: `console-${id}`, class: 'small', 'aria-selected': String(section === id),
        onclick: () => { section = id; drawTabs(); show(); } }, label)));
  }
  mount(main, h('header', { class: 'pane-header' },
    h('a', { href: '#/local/business', class: 'icon-button', 'aria-label': t('back') }, '‹'), title), tabs, body);

  function show() {
    while (undo.length) undo.pop()?.();
    if (section === 'inbox') undo.push(inbox(body, channelId));
    else if (section === 'campaigns') undo.push(campaigns(body, channelId));
    else if (section === 'assistant') assistant(body, channelId);
    else if (section === 'webhook') webhook(body, channelId);
    else posts(body, channelId);
  }
  api.get(`/channels/${channelId}`).then((c) => { title.textContent = c.name; }).catch(() => {});
  drawTabs();
  show();
  return () => { while (undo.length) undo.pop()?.(); };
}

/** The shared inbox. @param {HTMLElement} body @param {number} channel @returns {() => void} */
function inbox(body, channel) {
  const list = h('ul', { class: 'inbox-list', id: 'inbox' });
  const pane = h('div', { class: 'inbox-pane' }, h('p', { class: 'muted center' }, t('pickConversation')));
  const status = /** @type {HTMLSelectElement} */ (h('select', { id: 'inbox-status', 'aria-label': t('status'), onchange: () => load() },
    h('option', { value: '' }, t('allConversations')), h('option', { value: 'open' }, t('statusOpen')), h('option', { value: 'closed' }, t('statusClosed'))));
  const mine = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'inbox-mine', onchange: () => load() }));
  /** @type {number | null} */
  let openRoom = null;
  mount(body, h('div', { class: 'inbox' },
    h('div', { class: 'inbox-side' }, h('div', { class: 'inbox-filters' }, status, h('label', { class: 'pick', for: 'inbox-mine' }, mine, t('assignedToMe'))), list),
    pane));

  async function load() {
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (mine.checked) q.set('mine', 'true');
    const page = await api.get(`/channels/${channel}/inbox?${q}`);
    mount(list, page.items.length ? page.items.map((/** @type {any} */ it) => h('li', {},
      h('button', { type: 'button', class: `inbox-item${it.room_id === openRoom ? ' active' : ''}`, dataset: { room: it.room_id },
        onclick: () => { openRoom = it.room_id; load().catch(() => {}); } },
      h('span', { class: 'inbox-who' }, it.person.display_name, it.unread ? h('span', { class: 'unread' }, String(it.unread)) : null),
      h('span', { class: 'inbox-last' }, it.last_message?.text ?? ''),
      h('span', { class: `inbox-status ${it.status}` }, t(/** @type {any} */ (`status_${it.status}`)),
        it.assignee ? ` · ${it.assignee === state.me?.id ? t('assignedToMe') : t('assigned')}` : '',
        it.handover && it.status === 'open' ? h('span', { class: 'handed-over' }, ` · ${t('handedOver')}`) : null))))
      : h('li', { class: 'muted' }, t('noConversations')));
    if (openRoom !== null) {
      const it = page.items.find((/** @type {any} */ x) => x.room_id === openRoom);
      if (it) conversation(it);
    }
  }

  /** The answer being typed survives the conversation being redrawn. */
  /** @type {{room: number, input: HTMLInputElement} | null} */
  let draft = null;

  /** @param {any} it */
  async function conversation(it) {
    const base = `/channels/${channel}/inbox/${it.room_id}`;
    const history = await api.get(`${base}/messages?limit=50`);
    const msgs = [...history.messages].reverse();
    const error = h('p', { class: 'form-error' });
    if (draft?.room !== it.room_id) {
      draft = { room: it.room_id, input: /** @type {HTMLInputElement} */ (h('input', { id: 'inbox-reply', 'aria-label': t('typeMessage'), placeholder: t('answerAsChannel') })) };
    }
    const input = draft.input;
    const focused = document.activeElement === input;
    const person = it.person.id;
    const log = h('div', { class: 'messages inbox-log', role: 'log' }, msgs.map((m) => h('article', { class: `msg${m.sender_id === person ? '' : ' mine'}` },
      h('div', { class: 'msg-body' }, h('div', { class: 'bubble-row' }, h('div', { class: 'bubble' }, h('p', { class: 'text' }, m.text),
        m.by_assistant ? h('span', { class: 'by-assistant' }, t('byAssistant')) : null),
        h('span', { class: 'meta' }, h('time', {}, timeOf(m.created_at))))))));
    const ho = it.handover;
    const handover = ho && it.status === 'open' ? h('aside', { class: 'handover', id: 'inbox-handover', role: 'note' },
      h('strong', {}, t(/** @type {any} */ (`handover_${ho.reason}`))),
      h('p', { class: 'handover-question' }, `“${ho.question}”`),
      ho.best_fact ? h('p', { class: 'muted' }, `${t('handoverBest')}: ${ho.best_fact}`) : null,
      ho.withheld ? h('p', {}, `${t('handoverDraft')}: ${ho.withheld}`) : null,
      ho.unsupported?.length ? h('p', { class: 'muted' }, t('handoverNotIn', { figures: ho.unsupported.join(', ') })) : null) : null;
    const act = (/** @type {() => Promise<any>} */ fn) => async () => {
      try { await fn(); await load(); } catch (err) { showError(error, err); }
    };
    mount(pane,
      h('header', { class: 'inbox-head' }, h('strong', {}, it.person.display_name),
        h('span', { class: 'header-actions' },
          h('button', { type: 'button', class: 'small', id: 'inbox-assign', onclick: act(() => api.post(`${base}/assign`, { agent_id: state.me.id })) }, t('assignToMe')),
          h('button', { type: 'button', class: 'small', id: 'inbox-close', disabled: it.status === 'closed', onclick: act(() => api.post(`${base}/close`)) }, t('closeConversation')))),
      handover,
      log,
      h('form', { class: 'composer', onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        try {
          await api.post(`${base}/messages`, { client_id: clientId(), text });
          input.value = '';
          await load();
        } catch (err) { showError(error, err); }
      } }, input, h('button', { type: 'submit', class: 'primary send', id: 'inbox-send' }, t('send'))), error);
    log.scrollTop = log.scrollHeight;
    if (focused) input.focus();
    const last = msgs.at(-1);
    if (last && it.unread) api.post(`${base}/read`, { seq: last.seq }).catch(() => {});
  }

  load().catch((err) => { const e = h('p', { class: 'form-error', role: 'alert' }); showError(e, err); mount(body, e); });
  const off = subscribe((what) => { if (what === 'inbox') load().catch(() => {}); });
  return () => { off(); };
}

/** A campaign's outcome as one bar: delivered, waiting for morning, skipped, opted out. @param {any} s */
function statsBar(s) {
  const parts = [['delivered', s.delivered], ['waiting', s.waiting], ['skipped', s.skipped]];
  const total = Math.max(1, s.targeted + s.skipped);
  return h('div', { class: 'camp-bar', role: 'img', 'aria-label': parts.map(([k, n]) => `${t(/** @type {any} */ (`stat_${k}`))} ${n}`).join(', ') },
    parts.map(([k, n]) => (Number(n) > 0 ? styled(h('span', { class: `camp-part camp-${k}`, title: `${t(/** @type {any} */ (`stat_${k}`))}: ${n}` }), { flex: String(n) }) : null)),
    styled(h('span', { class: 'camp-part camp-rest' }), { flex: String(Math.max(0, total - s.delivered - s.waiting - s.skipped)) }));
}

/** @param {any} c */
function campaignCard(c, /** @type {() => void} */ reload) {
  const s = c.stats;
  const progress = s.audience ? Math.round((100 * s.passed) / s.audience) : 100;
  const numbers = [['targeted', s.targeted], ['delivered', s.delivered], ['read', s.read], ['deferred', s.deferred],
    ['waiting', s.waiting], ['opted_out', s.opted_out], ['skipped', s.skipped],
    ...(c.rewrite ? [['rewritten', s.rewritten], ['fell_back', s.fell_back]] : [])];
  return h('li', { class: 'campaign', dataset: { campaign: c.id, status: c.status } },
    h('div', { class: 'camp-head' }, h('strong', {}, c.name),
      h('span', { class: `chip camp-kind ${c.kind}` }, c.kind === 'advertising' ? t('advertising') : t('informational')),
      h('span', { class: 'chip camp-status' }, t(/** @type {any} */ (`camp_${c.status}`))),
      c.send_at ? h('span', { class: 'muted' }, `${dateOf(c.send_at)} ${timeOf(c.send_at)}`) : null,
      c.status === 'scheduled' || c.status === 'sending' || c.status === 'waiting'
        ? h('button', { type: 'button', class: 'small danger', onclick: async () => { await api.post(`/campaigns/${c.id}/cancel`); reload(); } }, t('cancel')) : null),
    c.status === 'sending' ? h('progress', { max: 100, value: progress, 'aria-label': t('progress') }) : null,
    statsBar(s),
    h('dl', { class: 'camp-stats' }, numbers.map(([k, n]) => h('div', { class: `camp-stat camp-stat-${k}` },
      h('dt', {}, t(/** @type {any} */ (`stat_${k}`))), h('dd', { dataset: { stat: k } }, String(n))))),
    Object.keys(s.skipped_by_reason).length ? h('p', { class: 'muted small' }, Object.entries(s.skipped_by_reason)
      .map(([r, n]) => `${t(/** @type {any} */ (`skip_${r}`))} ${n}`).join(' · ')) : null,
    c.rewrite && Object.keys(s.fell_back_by_reason).length ? h('p', { class: 'muted small camp-fallbacks' }, `${t('asWritten')}: `,
      Object.entries(s.fell_back_by_reason).map(([r, n]) => `${fallbackReason(r)} ${n}`).join(' · ')) : null);
}

/** Why a person got the message as written. @param {string} r */
const fallbackReason = (r) => t(/** @type {any} */ (`fb_${r}`));

/** `key=value` lines as an object. @param {string} text */
function pairs(text) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Campaigns: the composer and the list. @param {HTMLElement} body @param {number} channel @returns {() => void} */
function campaigns(body, channel) {
  const list = h('ul', { class: 'camp-list', id: 'campaigns' });
  const preview = h('div', { class: 'camp-preview', id: 'camp-preview', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', id: 'camp-error' });
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let round = 0;
  const point = savedPoint();
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {Record<string, any>} */ attrs = {}) =>
    [h('label', { for: id }, label), h(attrs.rows ? 'textarea' : 'input', { id, ...attrs })];

  function request() {
    const variables = pairs(valueOf('camp-vars'));
    /** @type {any} */
    const segment = {};
    const regulars = valueOf('camp-regulars');
    if (regulars) segment.regulars_of = Number(regulars);
    if (valueOf('camp-radius')) segment.near = { lat: Number(valueOf('camp-lat')), lon: Number(valueOf('camp-lon')), radius_m: Number(valueOf('camp-radius')) };
    const tags = valueOf('camp-tags').split(/[\s,]+/).filter(Boolean);
    if (tags.length) segment.tags = tags;
    const when = valueOf('camp-when');
    const kind = /** @type {HTMLInputElement} */ (document.querySelector('input[name="camp-kind"]:checked')).value;
    return {
      name: valueOf('camp-name'), kind, template: valueOf('camp-template'), variables,
      attributes: valueOf('camp-attrs').split(/[\s,]+/).filter(Boolean), segment,
      send_at: when ? new Date(when).getTime() : null,
      rewrite: Boolean(/** @type {HTMLInputElement | null} */ (document.getElementById('camp-rewrite'))?.checked),
    };
  }

  /** Each campaign's card by id, so a poll replaces only the ones it read. */
  /** @type {Map<number, HTMLElement>} */
  const cards = new Map();
  /** @param {any} c */
  function show(c) {
    const card = campaignCard(c, load);
    cards.get(c.id)?.replaceWith(card);
    cards.set(c.id, card);
    return card;
  }

  async function load() {
    const items = await api.get(`/channels/${channel}/campaigns`);
    cards.clear();
    mount(list, items.length ? items.map(show) : h('li', { class: 'muted' }, t('noCampaigns')));
    follow(items);
  }

  /** Keeps counting, asking for the campaigns that still change alone (the
   * list is read once): those on their way, and those finished or cancelled
   * within a day, whose read counts still grow. Every 2 s while one sends or is about to;
   * else every 30 s. @param {any[]} items */
  function follow(items) {
    if (timer) clearTimeout(timer);
    // A reload, a newer poll or leaving the page drops a poll in flight.
    const mine = ++round;
    const recent = Date.now() - 86_400_000;
    const moving = items.filter((c) => c.status === 'sending' || c.status === 'scheduled' || c.status === 'waiting'
      || ((c.status === 'done' || c.status === 'cancelled') && (c.finished_at ?? 0) > recent));
    if (!moving.length) return;
    const soon = moving.some((c) => c.status === 'sending' || (c.status === 'scheduled' && c.send_at < Date.now() + 60_000));
    timer = setTimeout(async () => {
      const now = await Promise.all(moving.map((c) => api.get(`/campaigns/${c.id}`).catch(() => c)));
      if (mine !== round) return;
      now.forEach(show);
      follow(now);
    }, soon ? 2000 : 30_000);
  }

  api.get(`/channels/${channel}`).then(async (ch) => {
    const shops = await api.get(`/businesses/${ch.business_id}/shops`);
    const regulars = /** @type {HTMLSelectElement} */ (document.getElementById('camp-regulars'));
    for (const s of shops) regulars.append(h('option', { value: s.id }, s.name));
  }).catch(() => {});

  const composer = /** @type {HTMLDetailsElement} */ (h('details', { class: 'camp-composer', id: 'camp-composer', open: true }, h('summary', {}, t('newCampaign')),
      h('form', { id: 'camp-form', onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        error.textContent = '';
        try {
          await api.post(`/channels/${channel}/campaigns`, request());
          mount(preview);
          /** @type {HTMLFormElement} */ (e.target).reset();
          composer.open = false;
          await load();
          list.scrollIntoView({ block: 'start', behavior: 'smooth' });
        } catch (err) { showError(error, err); }
      } },
      ...field('camp-name', t('campaignName'), { required: true, maxlength: 50 }),
      h('fieldset', { class: 'camp-kinds' }, h('legend', {}, t('campaignKind')),
        h('label', { class: 'pick' }, h('input', { type: 'radio', name: 'camp-kind', value: 'informational', checked: true }), t('informational')),
        h('label', { class: 'pick' }, h('input', { type: 'radio', name: 'camp-kind', value: 'advertising', id: 'camp-ad' }), t('advertising'))),
      ...field('camp-template', t('template'), { rows: 4, required: true, placeholder: t('templateHint') }),
      ...field('camp-vars', t('variables'), { rows: 2, placeholder: 'menu=딸기 라떼' }),
      ...field('camp-attrs', t('perPersonValues'), { placeholder: 'visits' }),
      h('fieldset', { class: 'camp-segment' }, h('legend', {}, t('segment')),
        h('label', { for: 'camp-regulars' }, t('regularsOf')), h('select', { id: 'camp-regulars' }, h('option', { value: '' }, t('everyFriend'))),
        h('div', { class: 'camp-near' },
          h('div', {}, ...field('camp-lat', t('latitude'), { type: 'number', step: 'any', value: point?.lat ?? '' })),
          h('div', {}, ...field('camp-lon', t('longitude'), { type: 'number', step: 'any', value: point?.lon ?? '' })),
          h('div', {}, ...field('camp-radius', t('radiusMetres'), { type: 'number', min: 0, placeholder: t('anywhere') }))),
        ...field('camp-tags', t('tags'), { placeholder: 'vip' })),
      ...field('camp-when', t('sendAt'), { type: 'datetime-local' }),
      // Only where the server runs a model for it.
      state.ai.campaign_copy ? h('div', { class: 'camp-rewrite' },
        h('label', { class: 'pick' }, h('input', { type: 'checkbox', id: 'camp-rewrite' }), t('rewriteCopy')),
        h('p', { class: 'muted small' }, t('rewriteHint'))) : null,
      ...field('camp-sample', t('sampleValues'), { rows: 2, placeholder: 'visits=12' }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'camp-preview-button', onclick: async (/** @type {Event} */ e) => {
          error.textContent = '';
          const button = /** @type {HTMLButtonElement} */ (e.currentTarget);
          button.disabled = true;
          try {
            const p = await api.post(`/channels/${channel}/campaigns/preview`, { ...request(), sample: pairs(valueOf('camp-sample')) });
            const how = request().rewrite
              ? h('span', { class: `chip camp-wording ${p.rewritten ? 'reworded' : 'as-written'}`, id: 'camp-wording' },
                p.rewritten ? t('reworded') : `${t('asWritten')} (${fallbackReason(p.fell_back)})`)
              : null;
            mount(preview, how, h('div', { class: 'bubble' }, h('p', { class: 'text' }, p.text)),
              h('p', { class: `muted${p.chars > p.max_chars ? ' form-error' : ''}` }, t('charsOf', { n: p.chars, max: p.max_chars })));
          } catch (err) { mount(preview); showError(error, err); } finally { button.disabled = false; }
        } }, t('preview')),
        h('button', { type: 'submit', class: 'primary', id: 'camp-send' }, t('sendCampaign'))),
      preview, error)));
  mount(body, composer, h('h3', {}, t('campaigns')), list);
  load().catch((err) => showError(error, err));
  return () => { round++; if (timer) clearTimeout(timer); };
}

/** Posts on the channel's page. @param {HTMLElement} body @param {number} channel */
function posts(body, channel) {
  const list = h('ul', { class: 'post-list' });
  const error = h('p', { class: 'form-error' });
  const text = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'post-text', rows: 3, 'aria-label': t('post'), required: true }));
  async function load() {
    const page = await api.get(`/channels/${channel}/posts`);
    mount(list, page.posts.map((/** @type {any} */ p) => h('li', { class: 'post' }, h('p', { class: 'post-text' }, p.text), h('time', { class: 'muted' }, dateOf(p.created_at)))));
  }
  mount(body, h('form', { class: 'post-form', onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    try {
      await api.post(`/channels/${channel}/posts`, { text: text.value });
      text.value = '';
      await load();
    } catch (err) { showError(error, err); }
  } }, text, h('button', { type: 'submit', class: 'primary small', id: 'post-submit' }, t('post')), error), list);
  load().catch((err) => showError(error, err));
}

/** The channel's assistant: on or off, its counts, the questions and
 * answers it quotes (the owner edits them), and what it reads from the
 * shops, coupons and posts. @param {HTMLElement} body @param {number} channel */
/** The channel's webhook (its owner's): where every message of its
 * rooms is posted, signed; its secret is shown once.
 * @param {HTMLElement} body @param {number} channel */
function webhook(body, channel) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const state = h('div', { class: 'webhook-state', id: 'channel-webhook-state' });
  const secret = h('div', { class: 'bot-token', role: 'status' });
  const url = /** @type {HTMLInputElement} */ (h('input', { id: 'channel-webhook-url', type: 'url', required: true, placeholder: 'https://', 'aria-label': t('webhookUrl') }));
  async function load() {
    const hook = await api.get(`/channels/${channel}/webhook`).catch(() => null);
    mount(state, hook
      ? h('p', { class: hook.disabled_at ? 'form-error' : 'muted' },
        webhookText(hook),
        ' ', h('button', { type: 'button', class: 'small', id: 'channel-webhook-remove', onclick: async () => {
          error.textContent = '';
          try { await api.del(`/channels/${channel}/webhook`); mount(secret); await load(); } catch (err) { showError(error, err); }
        } }, t('delete')))
      : h('p', { class: 'muted' }, t('noWebhook')));
  }
  mount(body, h('section', { class: 'webhook-console' },
    h('p', { class: 'muted' }, t('channelWebhookHelp')), state,
    h('form', { onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        const hook = await api.put(`/channels/${channel}/webhook`, { url: url.value.trim() });
        const field = /** @type {HTMLInputElement} */ (h('input', { id: 'channel-webhook-secret', readonly: true, value: hook.secret, 'aria-label': t('webhookSecret') }));
        mount(secret, h('p', {}, t('webhookSecretOnce')), field);
        url.value = '';
        await load();
      } catch (err) { showError(error, err); }
    } }, url, h('button', { type: 'submit', class: 'primary small' }, t('setWebhook'))),
    secret, error));
  load().catch((err) => showError(error, err));
}

function assistant(body, channel) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const on = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'assistant-on' }));
  const stats = h('p', { class: 'muted', id: 'assistant-stats' });
  const facts = h('ul', { class: 'fact-list', id: 'assistant-facts' });
  const known = h('ul', { class: 'fact-list known', id: 'assistant-known' });
  const question = /** @type {HTMLInputElement} */ (h('input', { id: 'fact-question', 'aria-label': t('factQuestion'), placeholder: t('factQuestion'), required: true, maxlength: 300 }));
  const answer = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'fact-answer', rows: 2, 'aria-label': t('factAnswer'), placeholder: t('factAnswer'), required: true, maxlength: 1000 }));
  const guard = (/** @type {() => Promise<any>} */ fn) => async () => {
    error.textContent = '';
    try { await fn(); await load(); } catch (err) { showError(error, err); }
  };
  on.onchange = guard(() => api.put(`/channels/${channel}/assistant`, { enabled: on.checked }));

  /** One question and answer, editable in place. @param {any} f */
  function fact(f) {
    const q = /** @type {HTMLInputElement} */ (h('input', { value: f.question, 'aria-label': t('factQuestion'), maxlength: 300 }));
    const a = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 2, 'aria-label': t('factAnswer'), maxlength: 1000 }, f.answer));
    return h('li', { class: 'fact', dataset: { fact: f.id } },
      h('form', { class: 'fact-form', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); guard(() => api.put(`/channels/${channel}/assistant/facts/${f.id}`, { question: q.value, answer: a.value }))(); } },
        q, a, h('span', { class: 'header-actions' },
          h('button', { type: 'submit', class: 'small' }, t('save')),
          h('button', { type: 'button', class: 'small', 'aria-label': t('delete'), onclick: guard(() => api.del(`/channels/${channel}/assistant/facts/${f.id}`)) }, '🗑'))));
  }

  async function load() {
    const a = await api.get(`/channels/${channel}/assistant`);
    on.checked = a.enabled;
    stats.textContent = t('assistantStats', a.stats);
    mount(facts, a.facts.length ? a.facts.map(fact) : h('li', { class: 'muted' }, t('noFacts')));
    mount(known, a.known.map((/** @type {any} */ k) => h('li', { class: `known-${k.kind}` }, k.text)));
  }

  mount(body, h('section', { class: 'assistant-console' },
    h('label', { class: 'pick', for: 'assistant-on' }, on, t('assistantOn')), stats,
    h('p', { class: 'muted' }, t('factsHelp')),
    h('form', { class: 'fact-form', id: 'fact-new', onsubmit: (/** @type {Event} */ e) => {
      e.preventDefault();
      guard(async () => {
        await api.post(`/channels/${channel}/assistant/facts`, { question: question.value, answer: answer.value });
        question.value = '';
        answer.value = '';
      })();
    } }, question, answer, h('button', { type: 'submit', class: 'primary small', id: 'fact-add' }, t('addFact'))),
    error, facts, h('h3', {}, t('knownFacts')), known));
  load().catch((err) => showError(error, err));
}
