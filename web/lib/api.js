// @ts-check
/** The REST client: JSON in and out, errors as `ApiError` with the
 * server's stable code. */

export class ApiError extends Error {
  /**
   * @param {number} status @param {string} code @param {string} message
   * @param {{reason?: string, word?: string, retry_after_ms?: number, line?: number}} [detail]
   *   what the refusal names: the limit hit (`reason`), the host's banned
   *   `word`, when a retry can succeed, an export's `line` that could not
   *   be read
   */
  constructor(status, code, message, detail = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.reason = detail.reason;
    this.word = detail.word;
    this.retryAfterMs = detail.retry_after_ms;
    this.line = detail.line;
  }
}

/** The `ApiError` of a failed response, from its body's `error` when it has one.
 * @param {Response} res @param {any} data */
function refusal(res, data) {
  const err = data?.error ?? {};
  return new ApiError(res.status, err.code ?? 'http_error', err.message ?? res.statusText, err);
}

const TOKEN = 'madang.token';

/**
 * A fresh client id (a random UUID) that makes a send idempotent.
 * `crypto.randomUUID` exists only in secure contexts (HTTPS or localhost);
 * a server opened over plain HTTP on the LAN gets one from
 * `crypto.getRandomValues`, which every context has.
 * @returns {string}
 */
export function clientId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const api = {
  /** @type {string | null} */
  token: localStorage.getItem(TOKEN),

  /** @param {string | null} token */
  setToken(token) {
    this.token = token;
    if (token) localStorage.setItem(TOKEN, token);
    else localStorage.removeItem(TOKEN);
  },

  /**
   * @param {string} method
   * @param {string} path under /api/v1
   * @param {any} [body] JSON, a Blob sent as is, or a FormData as multipart
   * @returns {Promise<any>}
   */
  async request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload;
    if (body instanceof FormData) {
      // The browser writes the multipart boundary into the content type.
      payload = body;
    } else if (body instanceof Blob) {
      payload = body;
      headers['content-type'] = body.type || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`/api/v1${path}`, { method, headers, body: payload });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw refusal(res, data);
    return data;
  },

  /** @param {string} path */ get(path) { return this.request('GET', path); },
  /** @param {string} path @param {any} [body] */ post(path, body) { return this.request('POST', path, body ?? {}); },
  /** @param {string} path @param {any} body */ patch(path, body) { return this.request('PATCH', path, body); },
  /** @param {string} path */ del(path) { return this.request('DELETE', path); },
  /** @param {string} path @param {any} [body] */ put(path, body) { return this.request('PUT', path, body ?? {}); },

  /**
   * A request answered with server-sent events: `onEvent(name, data)` per
   * event as it arrives. A refusal before the stream is an `ApiError`.
   * @param {string} path under /api/v1
   * @param {any} body JSON
   * @param {(name: string, data: any) => void} onEvent
   * @param {AbortSignal} [signal]
   */
  async stream(path, body, onEvent, signal) {
    /** @type {Record<string, string>} */
    const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(`/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal });
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw refusal(res, text ? JSON.parse(text) : null);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        let name = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (data) onEvent(name, JSON.parse(data));
      }
    }
  },

  /** URL of a stored object, usable in `<img src>`. @param {string} id */
  mediaUrl(id) {
    return `/api/v1/media/${encodeURIComponent(id)}?access_token=${encodeURIComponent(this.token ?? '')}`;
  },
};
