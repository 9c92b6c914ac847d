// SPDX-License-Identifier: Apache-2.0
// JSON-RPC 2.0 over a WebSocket: promises per request, notifications, reconnect with backoff.

export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

/** A WebSocket that reconnects itself with exponential backoff (0.25 s .. 5 s). */
export class ReconnectingSocket {
  constructor(url, { binary = false, onOpen, onClose, onMessage } = {}) {
    this.url = url;
    this.binary = binary;
    this.onOpen = onOpen || (() => {});
    this.onClose = onClose || (() => {});
    this.onMessage = onMessage || (() => {});
    this.delay = 250;
    this.ws = null;
    this.closed = false;
    this.connect();
  }

  connect() {
    if (this.closed) return;
    const ws = new WebSocket(this.url);
    if (this.binary) ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => { this.delay = 250; this.onOpen(); };
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.onClose();
      if (this.closed) return;
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  get isOpen() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  send(data) {
    if (!this.isOpen) throw new Error('socket not connected');
    this.ws.send(data);
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}

/** JSON-RPC client. `call` returns a promise; `on(method, fn)` subscribes to notifications. */
export class RpcClient {
  constructor(url, { onState } = {}) {
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.onState = onState || (() => {});
    this.socket = new ReconnectingSocket(url, {
      onOpen: () => this.onState(true),
      onClose: () => this.failPending(),
      onMessage: (data) => this.receive(data),
    });
  }

  get connected() { return this.socket.isOpen; }

  failPending() {
    for (const { reject } of this.pending.values()) reject(new Error('connection lost'));
    this.pending.clear();
    this.onState(false);
  }

  receive(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    const messages = Array.isArray(msg) ? msg : [msg];
    for (const m of messages) {
      if (m.id !== undefined && m.id !== null && this.pending.has(m.id)) {
        const { resolve, reject } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) reject(new RpcError(m.error.code, m.error.message, m.error.data));
        else resolve(m.result);
      } else if (m.method) {
        for (const fn of this.listeners.get(m.method) || []) fn(m.params || {});
      }
    }
  }

  on(method, fn) {
    if (!this.listeners.has(method)) this.listeners.set(method, []);
    this.listeners.get(method).push(fn);
  }

  call(method, params = {}) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      try {
        this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      } catch (e) {
        reject(e);
        return;
      }
      this.pending.set(id, { resolve, reject });
    });
  }
}

/**
 * One call on a socket of its own, closed when answered: for a long call (movie.record) that the
 * server answers only after many frames. The server answers each connection's commands in order, so
 * on the page's own socket every later command (a camera drag, a colormap edit) would wait behind it.
 */
export function callOnOwnSocket(url, method, params = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let answered = false;
    ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.id !== 1) return; // a notification
      answered = true;
      ws.close();
      if (m.error) reject(new RpcError(m.error.code, m.error.message, m.error.data));
      else resolve(m.result);
    };
    ws.onclose = () => { if (!answered) reject(new Error('connection lost')); };
  });
}

/**
 * Wrap `rpc.call(method, params)` so that at most one request is in flight; calls made
 * meanwhile collapse into one that sends the latest params. `onResult` gets each result.
 */
export function latestOnly(rpc, method, onResult = () => {}) {
  let inFlight = false;
  let queued = null;
  const send = async (params) => {
    if (inFlight) { queued = params; return; }
    inFlight = true;
    try {
      onResult(await rpc.call(method, params));
    } catch (e) {
      console.warn(method, e);
    }
    inFlight = false;
    if (queued) { const next = queued; queued = null; send(next); }
  };
  return send;
}
