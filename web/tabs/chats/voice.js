// @ts-check
/**
 * Voice messages: 🎤 in the composer records from the microphone
 * (MediaRecorder, Opus in WebM where the browser has it) for up to the
 * server's limit, showing the time and the level as it goes; "send"
 * uploads the recording with its length and a waveform of its loudness.
 * A voice message plays in place (the audio streams from the media
 * store; nothing to download first) with its waveform filling as it
 * plays, and, where the server transcribes, its words on request.
 */

import { api, clientId } from '../../lib/api.js';
import { h, mount } from '../../lib/dom.js';
import { showError, t } from '../../lib/i18n.js';
import { state } from '../../lib/state.js';

/** Bars in a waveform. */
const BARS = 48;
/** The recording stops here (the server's `max_voice_secs` default). */
const MAX_MS = 5 * 60 * 1000;

/** m:ss @param {number} ms */
export function clock(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Loudness samples brought to `BARS` steps of 0–255, the loudest 255.
 * @param {number[]} levels */
function waveform(levels) {
  if (!levels.length) return [0];
  const out = [];
  for (let i = 0; i < BARS; i++) {
    const from = Math.floor((i * levels.length) / BARS);
    const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / BARS));
    const part = levels.slice(from, to);
    out.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  const top = Math.max(...out, 1e-6);
  return out.map((v) => Math.round((v / top) * 255));
}

/** @param {HTMLElement} el @param {number[]} steps */
function bars(el, steps) {
  mount(el, steps.map((v) => {
    const bar = h('span', { class: 'voice-bar' });
    bar.style.height = `${Math.max(8, Math.round((v / 255) * 100))}%`;
    return bar;
  }));
}

/** The recorder for a room's composer. @param {number} roomId */
export function voiceRecorder(roomId) {
  const time = h('span', { class: 'voice-time', id: 'voice-time' }, '0:00');
  const level = h('span', { class: 'voice-wave live' });
  const error = h('span', { class: 'form-error', role: 'alert' });
  const sendButton = h('button', { type: 'button', class: 'primary small', id: 'voice-send' }, t('send'));
  const cancelButton = h('button', { type: 'button', class: 'small', id: 'voice-cancel' }, t('cancel'));
  const panel = h('div', { class: 'voice-recorder', hidden: true, role: 'group', 'aria-label': t('recording') },
    h('span', { class: 'voice-dot', 'aria-hidden': 'true' }), time, level, cancelButton, sendButton, error);
  /** @type {null | {stop: (send: boolean) => void}} */
  let active = null;

  async function start() {
    if (active) return;
    error.textContent = '';
    /** @type {MediaStream} */
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      panel.hidden = false;
      error.textContent = t('microphoneRefused');
      sendButton.hidden = true;
      return;
    }
    sendButton.hidden = false;
    const type = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus'
      : MediaRecorder.isTypeSupported('audio/ogg;codecs=opus') ? 'audio/ogg;codecs=opus' : '';
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    /** @type {Blob[]} */
    const chunks = [];
    /** @type {number[]} */
    const levels = [];
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 512;
    audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const began = Date.now();
    let send = false;
    const tick = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      levels.push(Math.sqrt(samples.reduce((a, v) => a + v * v, 0) / samples.length));
      const elapsed = Date.now() - began;
      time.textContent = `${clock(elapsed)} / ${clock(MAX_MS)}`;
      bars(level, waveform(levels.slice(-BARS)));
      if (elapsed >= MAX_MS) stop(true);
    }, 100);
    recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    recorder.onstop = async () => {
      clearInterval(tick);
      for (const track of stream.getTracks()) track.stop();
      audio.close().catch(() => {});
      active = null;
      const duration = Math.min(Date.now() - began, MAX_MS);
      if (!send) { panel.hidden = true; return; }
      try {
        const blob = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' });
        const up = await api.request('POST', `/media?name=${encodeURIComponent(`voice-${new Date(began).toISOString().slice(0, 19)}.webm`)}`, blob);
        await api.post(`/rooms/${roomId}/messages`, {
          client_id: clientId(), attachment: up.media_id, voice: { duration_ms: Math.max(1, duration), waveform: waveform(levels) },
        });
        panel.hidden = true;
      } catch (err) { showError(error, err); }
    };
    /** @param {boolean} andSend */
    function stop(andSend) {
      send = andSend;
      if (recorder.state !== 'inactive') recorder.stop();
    }
    active = { stop };
    recorder.start(250);
    panel.hidden = false;
    time.textContent = `0:00 / ${clock(MAX_MS)}`;
  }

  sendButton.addEventListener('click', () => active?.stop(true));
  cancelButton.addEventListener('click', () => { if (active) active.stop(false); else panel.hidden = true; });
  const button = h('button', { type: 'button', class: 'icon-button', id: 'voice-record', 'aria-label': t('recordVoice'), title: t('recordVoice'), onclick: start }, '🎤');
  return { button, panel, stop: () => active?.stop(false) };
}

/**
 * A voice message in the room: play and pause, its waveform filling as it
 * plays, its length, and its words on request where the server offers.
 * @param {number} roomId @param {any} m
 */
export function voiceMessage(roomId, m) {
  const a = m.attachment;
  const player = /** @type {HTMLAudioElement} */ (h('audio', { preload: 'none', src: api.mediaUrl(a.media_id) }));
  const wave = h('span', { class: 'voice-wave', 'aria-hidden': 'true' });
  bars(wave, a.voice?.waveform ?? []);
  const length = h('span', { class: 'voice-length' }, clock(a.voice?.duration_ms ?? 0));
  const play = h('button', { type: 'button', class: 'voice-play', 'aria-label': t('play'), onclick: () => {
    if (player.paused) player.play().catch(() => {});
    else player.pause();
  } }, '▶');
  const drawProgress = () => {
    const total = player.duration && Number.isFinite(player.duration) ? player.duration * 1000 : a.voice?.duration_ms ?? 0;
    const done = total ? Math.min(1, (player.currentTime * 1000) / total) : 0;
    [...wave.children].forEach((bar, i) => bar.classList.toggle('played', i / wave.children.length < done));
    length.textContent = player.paused && player.currentTime === 0 ? clock(total) : clock(player.currentTime * 1000);
  };
  player.addEventListener('play', () => { play.textContent = '⏸'; play.setAttribute('aria-label', t('pause')); });
  player.addEventListener('pause', () => { play.textContent = '▶'; play.setAttribute('aria-label', t('play')); });
  player.addEventListener('ended', () => { player.currentTime = 0; drawProgress(); });
  player.addEventListener('timeupdate', drawProgress);
  const words = h('p', { class: 'voice-transcript', hidden: true });
  const error = h('span', { class: 'form-error', role: 'alert' });
  const transcribe = state.ai.transcription ? h('button', { type: 'button', class: 'link small voice-words', onclick: async () => {
    error.textContent = '';
    try {
      const got = await api.post(`/rooms/${roomId}/messages/${m.seq}/transcript`, {});
      words.textContent = got.text || t('noWords');
      words.hidden = false;
    } catch (err) { showError(error, err); }
  } }, t('showWords')) : null;
  return h('div', { class: 'voice', dataset: { voice: m.seq } }, h('div', { class: 'voice-row' }, play, wave, length), player, transcribe, words, error);
}
