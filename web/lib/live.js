// @ts-check
/**
 * The live socket. Sends `resume` with the last seq held per room, so the
 * server replays what was missed and then goes live; reconnects with
 * back-off when the network drops (and at once when the browser says it is
 * back online). Events at or below a room's cursor are ignored, so nothing
 * is applied twice.
 *
 * While the page is visible it acknowledges what it was given (`received`,
 * batched per room), so this device is not pushed what is on screen; a
 * hidden tab stays quiet and is pushed like a closed one. Coming back into
 * view acknowledges everything held.
 */

import { api } from './api.js';

export class Live {
  /**
   * @param {(frame: any) => void} onFrame
   * @param {(state: 'online' | 'offline') => void} onState
   */
  constructor(onFrame, onState) {
    this.onFrame = onFrame;
    this.onState = onState;
    /** @type {Map<number, number>} room id → last seq applied */
    this.cursors = new Map();
    /** @type {WebSocket | null} */
    this.ws = null;
    this.backoff = 500;
    this.stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retry = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.heartbeat = undefined;
    this.lastHeard = Date.now();
    /** @type {Map<number, number>} room id → seq given but not yet acknowledged */
    this.unacked = new Map();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.ackTimer = undefined;
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      for (const [room, seq] of this.cursors) if (seq > 0) this.unacked.set(room, seq);
      this.flushAcks();
    });
    window.addEventListener('offline', () => this.ws?.close());
    window.addEventListener('online', () => this.reconnectNow());
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.ws?.close();
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.retry);
    this.backoff = 500;
    this.connect();
  }

  connect() {
    if (!navigator.onLine) {
      this.onState('offline');
      return;
    }
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/api/v1/ws?access_token=${encodeURIComponent(api.token ?? '')}`);
    this.ws = ws;
    ws.onopen = () => {
      /** @type {Record<string, number>} */
      const cursors = {};
      for (const [room, seq] of this.cursors) cursors[room] = seq;
      ws.send(JSON.stringify({ type: 'resume', cursors }));
      this.lastHeard = Date.now();
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => this.beat(), 15000);
    };
    ws.onmessage = (msg) => {
      this.lastHeard = Date.now();
      const frame = JSON.parse(msg.data);
      if (frame.type === 'ready') {
        this.backoff = 500;
        this.onState('online');
      }
      if (frame.type === 'event') {
        const { room_id, seq } = frame.event;
        const last = this.cursors.get(room_id) ?? 0;
        if (seq <= last) return;
        this.cursors.set(room_id, seq);
        this.acknowledge(room_id, seq);
      }
      if (frame.type === 'room_added') {
        // History from joining arrives next, as events.
        this.cursors.set(frame.room.id, frame.room.joined_seq - 1);
      }
      this.onFrame(frame);
    };
    ws.onclose = (e) => {
      clearInterval(this.heartbeat);
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (e.code === 4001) {
        this.onFrame({ type: 'logged_out' });
        return;
      }
      this.onState('offline');
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }

  /** @param {number} room @param {number} seq */
  acknowledge(room, seq) {
    if (document.visibilityState !== 'visible') return;
    this.unacked.set(room, seq);
    if (this.ackTimer === undefined) this.ackTimer = setTimeout(() => this.flushAcks(), 250);
  }

  flushAcks() {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    for (const [room_id, seq] of this.unacked) this.send({ type: 'received', room_id, seq });
    this.unacked.clear();
  }

  beat() {
    if (Date.now() - this.lastHeard > 40000) {
      this.ws?.close();
      return;
    }
    this.send({ type: 'ping' });
  }

  /** @param {any} frame */
  send(frame) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }
}
