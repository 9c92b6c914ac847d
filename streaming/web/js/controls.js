// SPDX-License-Identifier: Apache-2.0
// Mouse and touch navigation: orbit = left drag / one finger, pan = right or shift drag,
// zoom = wheel / pinch. Input accumulates while one request is in flight (one at a time).

const DEG_PER_PIXEL = 0.4;
const IDLE_MS = 150;

export class CameraControls {
  /** `rpc` is an RpcClient; `onCamera(camera)` gets each camera the server returns. */
  constructor(element, rpc, { onCamera } = {}) {
    this.el = element;
    this.rpc = rpc;
    this.onCamera = onCamera || (() => {});
    this.acc = { azimuth: 0, elevation: 0, dx: 0, dy: 0, factor: 1 };
    this.inFlight = false;
    this.interacting = false;
    this.idleTimer = null;
    this.pointers = new Map();
    this.mode = null;
    this.pinchDistance = 0;

    element.style.touchAction = 'none';
    element.addEventListener('contextmenu', (e) => e.preventDefault());
    element.addEventListener('pointerdown', (e) => this.down(e));
    element.addEventListener('pointermove', (e) => this.move(e));
    element.addEventListener('pointerup', (e) => this.up(e));
    element.addEventListener('pointercancel', (e) => this.up(e));
    element.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
  }

  down(e) {
    this.el.setPointerCapture(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (this.pointers.size === 2) {
      this.mode = 'pinch';
      this.pinchDistance = this.distance();
    } else if (this.pointers.size === 1) {
      this.mode = (e.button === 2 || e.shiftKey) ? 'pan' : 'orbit';
    }
    this.touch();
  }

  move(e) {
    const p = this.pointers.get(e.pointerId);
    if (!p) return;
    const dx = e.clientX - p.x, dy = e.clientY - p.y;
    p.x = e.clientX;
    p.y = e.clientY;
    if (this.mode === 'pinch' && this.pointers.size === 2) {
      const d = this.distance();
      if (this.pinchDistance > 0 && d > 0) this.acc.factor *= d / this.pinchDistance;
      this.pinchDistance = d;
    } else if (this.mode === 'orbit') {
      this.acc.azimuth -= dx * DEG_PER_PIXEL;
      this.acc.elevation += dy * DEG_PER_PIXEL;
    } else if (this.mode === 'pan') {
      const r = this.el.getBoundingClientRect();
      this.acc.dx += dx / Math.max(1, r.width);
      this.acc.dy += dy / Math.max(1, r.height);
    } else {
      return;
    }
    this.touch();
    this.flush();
  }

  up(e) {
    this.pointers.delete(e.pointerId);
    if (this.pointers.size === 0) this.mode = null;
    else if (this.pointers.size === 1) this.mode = 'orbit';
    this.touch();
  }

  wheel(e) {
    e.preventDefault();
    const delta = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaY;
    this.acc.factor *= Math.exp(-delta * 0.001);
    this.touch();
    this.flush();
  }

  distance() {
    const [a, b] = [...this.pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  /** Tell the server we are interacting; turn it off IDLE_MS after the last input. */
  touch() {
    if (!this.interacting) {
      this.interacting = true;
      this.rpc.call('view.interaction', { active: true }).catch(() => {});
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pointers.size > 0) { this.touch(); return; }
      this.interacting = false;
      this.rpc.call('view.interaction', { active: false }).catch(() => {});
    }, IDLE_MS);
  }

  /** Send the accumulated motion as one request, if none is in flight. */
  async flush() {
    if (this.inFlight) return;
    const a = this.acc;
    let method = null, params = null;
    if (a.azimuth !== 0 || a.elevation !== 0) {
      method = 'camera.orbit'; params = { azimuth: a.azimuth, elevation: a.elevation };
      a.azimuth = 0; a.elevation = 0;
    } else if (a.dx !== 0 || a.dy !== 0) {
      method = 'camera.pan'; params = { dx: a.dx, dy: a.dy };
      a.dx = 0; a.dy = 0;
    } else if (a.factor !== 1) {
      method = 'camera.zoom'; params = { factor: a.factor };
      a.factor = 1;
    }
    if (!method) return;
    this.inFlight = true;
    try {
      this.onCamera(await this.rpc.call(method, params));
    } catch (e) {
      console.warn(method, e);
    }
    this.inFlight = false;
    this.flush();
  }
}
