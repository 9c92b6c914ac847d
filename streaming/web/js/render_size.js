// SPDX-License-Identifier: Apache-2.0
// The renderer's canvas follows the page's frame area (render.set width/height, which also sets the
// camera's aspect ratio), so frames come at the size and shape they are shown at.

const MAX_PIXELS = 4 * 1024 * 1024; // past this, encoding and streaming cost more than the sharpness adds
const SETTLE_MS = 200;              // a window being resized changes size continuously: send once it rests

export class RenderSize {
  constructor(rpc) {
    this.rpc = rpc;
    this.wanted = null;
    this.timer = null;
  }

  /** The frame area is now `width` x `height` device pixels. */
  follow(width, height) {
    const s = Math.min(1, Math.sqrt(MAX_PIXELS / (width * height)));
    this.wanted = { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), SETTLE_MS);
  }

  /** Sends the wanted size: after a resize, on connecting, and after what puts the scene's back. */
  send() {
    if (!this.wanted || !this.rpc.connected) return;
    this.rpc.call('render.set', this.wanted).catch((e) => console.warn('render.set size', e));
  }
}
