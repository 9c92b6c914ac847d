// SPDX-License-Identifier: Apache-2.0
// The video socket: parse the 36-byte "LIDX" header, decode, draw at the frame's own aspect ratio
// (letterboxed, never stretched). Latest frame wins.

import { ReconnectingSocket } from './rpc.js';

export const HEADER_SIZE = 36;
const MIME = ['image/jpeg', 'image/png'];

/** Parse a binary video message; returns null if it is not a valid version-1 frame. */
export function parseFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < HEADER_SIZE) return null;
  const v = new DataView(buffer);
  const magic = String.fromCharCode(v.getUint8(0), v.getUint8(1), v.getUint8(2), v.getUint8(3));
  if (magic !== 'LIDX' || v.getUint16(4, true) !== 1) return null;
  const encoding = v.getUint8(6);
  if (encoding > 1) return null;
  return {
    encoding,
    flags: v.getUint8(7),
    reduced: (v.getUint8(7) & 1) !== 0,
    frame: Number(v.getBigUint64(8, true)),
    width: v.getUint32(16, true),
    height: v.getUint32(20, true),
    renderMs: v.getFloat32(24, true),
    compositeMs: v.getFloat32(28, true),
    encodeMs: v.getFloat32(32, true),
    payload: new Uint8Array(buffer, HEADER_SIZE),
  };
}

export class VideoView {
  /**
   * `onFrame(header)` runs after each frame is drawn; `onState(connected)` on socket changes;
   * `onResize(width, height)` when the canvas's device-pixel size changes (and once at the start).
   */
  constructor(url, canvas, { onFrame, onState, onResize } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onFrame = onFrame || (() => {});
    this.onResize = onResize || (() => {});
    this.decoding = false;
    this.pendingFrame = null;
    this.lastBitmap = null;
    this.socket = new ReconnectingSocket(url, {
      binary: true,
      onOpen: () => (onState || (() => {}))(true),
      onClose: () => (onState || (() => {}))(false),
      onMessage: (data) => this.receive(data),
    });
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    this.onResize(canvas.width, canvas.height);
  }

  get connected() { return this.socket.isOpen; }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      if (this.lastBitmap) this.draw(this.lastBitmap);
      this.onResize(w, h);
    }
  }

  receive(data) {
    const frame = parseFrame(data);
    if (!frame) return;
    if (this.decoding) { this.pendingFrame = frame; return; } // keep only the newest
    this.decode(frame);
  }

  async decode(frame) {
    this.decoding = true;
    try {
      const bitmap = await createImageBitmap(new Blob([frame.payload], { type: MIME[frame.encoding] }));
      if (this.lastBitmap) this.lastBitmap.close();
      this.lastBitmap = bitmap;
      this.draw(bitmap);
      this.onFrame(frame);
    } catch (e) {
      console.warn('frame decode failed', e);
    }
    this.decoding = false;
    const next = this.pendingFrame;
    this.pendingFrame = null;
    if (next) this.decode(next);
  }

  draw(bitmap) {
    const { canvas, ctx } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const s = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
    const w = bitmap.width * s, h = bitmap.height * s;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(bitmap, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  }
}
