// SPDX-License-Identifier: Apache-2.0
// Colormap editor: preset, gradient with an editable opacity curve, domain, boundary mode.

import { latestOnly } from './rpc.js';

const PAD = 6;       // canvas padding (CSS pixels) so end points stay grabbable
const HIT = 8;       // pick radius (CSS pixels)

export class ColormapEditor {
  /** `root` holds elements with data-cm="preset|canvas|dmin|dmax|dminv|dmaxv|boundary". */
  constructor(root, rpc) {
    this.rpc = rpc;
    this.q = (name) => root.querySelector(`[data-cm="${name}"]`);
    this.preset = this.q('preset');
    this.canvas = this.q('canvas');
    this.dmin = this.q('dmin');
    this.dmax = this.q('dmax');
    this.boundary = this.q('boundary');
    this.entries = [];
    this.domain = [0, 1];
    this.points = [[0, 0], [1, 1]];
    this.dragIndex = -1;
    this.set = latestOnly(rpc, 'colormap.set', (cm) => this.show(cm, { keepPoints: true }));

    this.preset.addEventListener('change', () => {
      if (this.preset.value) this.set({ preset: this.preset.value });
    });
    this.boundary.addEventListener('change', () => this.set({ boundary_mode: this.boundary.value }));
    for (const s of [this.dmin, this.dmax]) s.addEventListener('input', () => this.domainInput(s));

    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => this.pointerDown(e));
    c.addEventListener('pointermove', (e) => this.pointerMove(e));
    c.addEventListener('pointerup', () => { this.dragIndex = -1; });
    c.addEventListener('pointercancel', () => { this.dragIndex = -1; });
    c.addEventListener('dblclick', (e) => this.addPoint(e));
    c.addEventListener('contextmenu', (e) => this.removePoint(e));
    new ResizeObserver(() => this.draw()).observe(c);
  }

  /** Load presets and the current colormap from the server. */
  async load() {
    const presets = await this.rpc.call('colormap.presets');
    this.preset.replaceChildren(new Option('(custom)', ''), ...presets.map((p) => new Option(p, p)));
    await this.refresh();
  }

  async refresh() {
    this.show(await this.rpc.call('colormap.get'), { keepPoints: this.dragIndex >= 0 });
  }

  show(cm, { keepPoints = false } = {}) {
    this.entries = cm.entries || [];
    if (document.activeElement !== this.preset) this.preset.value = cm.preset || '';
    if (document.activeElement !== this.boundary) this.boundary.value = cm.boundary_mode || 'clamp_to_edge';
    if (cm.domain) {
      this.domain = cm.domain;
      this.updateDomainSliders();
    }
    if (!keepPoints && Array.isArray(cm.opacity_points) && cm.opacity_points.length >= 2) {
      this.points = cm.opacity_points.map((p) => [p[0], p[1]]);
    }
    this.draw();
  }

  updateDomainSliders() {
    const [d0, d1] = this.domain;
    const lo = Math.min(0, d0, Number(this.dmin.min)), hi = Math.max(1, d1, Number(this.dmax.max));
    for (const s of [this.dmin, this.dmax]) {
      s.min = lo; s.max = hi; s.step = (hi - lo) / 1000;
    }
    if (document.activeElement !== this.dmin) this.dmin.value = d0;
    if (document.activeElement !== this.dmax) this.dmax.value = d1;
    this.q('dminv').textContent = Number(d0).toPrecision(3);
    this.q('dmaxv').textContent = Number(d1).toPrecision(3);
  }

  domainInput(slider) {
    let d0 = Number(this.dmin.value), d1 = Number(this.dmax.value);
    if (d0 >= d1) {  // keep min < max by pushing the other slider
      const eps = Number(this.dmin.step) || 1e-3;
      if (slider === this.dmin) { d1 = d0 + eps; this.dmax.value = d1; } else { d0 = d1 - eps; this.dmin.value = d0; }
    }
    this.domain = [d0, d1];
    this.q('dminv').textContent = d0.toPrecision(3);
    this.q('dmaxv').textContent = d1.toPrecision(3);
    this.set({ domain: [d0, d1] });
  }

  // --- opacity curve -------------------------------------------------------------------

  toCurve(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = (e.clientX - r.left - PAD) / Math.max(1, r.width - 2 * PAD);
    const y = 1 - (e.clientY - r.top - PAD) / Math.max(1, r.height - 2 * PAD);
    return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
  }

  pick(e) {
    const r = this.canvas.getBoundingClientRect();
    const w = r.width - 2 * PAD, h = r.height - 2 * PAD;
    const mx = e.clientX - r.left, my = e.clientY - r.top;
    let best = -1, bestD = HIT;
    this.points.forEach(([x, a], i) => {
      const d = Math.hypot(PAD + x * w - mx, PAD + (1 - a) * h - my);
      if (d <= bestD) { best = i; bestD = d; }
    });
    return best;
  }

  pointerDown(e) {
    if (e.button !== 0) return;
    this.dragIndex = this.pick(e);
    if (this.dragIndex >= 0) this.canvas.setPointerCapture(e.pointerId);
  }

  pointerMove(e) {
    if (this.dragIndex < 0) return;
    const i = this.dragIndex, pts = this.points;
    let [x, a] = this.toCurve(e);
    // End points stay at x = 0 and 1; inner points stay between their neighbours.
    if (i === 0) x = 0;
    else if (i === pts.length - 1) x = 1;
    else x = Math.min(pts[i + 1][0], Math.max(pts[i - 1][0], x));
    pts[i] = [x, a];
    this.draw();
    this.sendPoints();
  }

  addPoint(e) {
    const [x, a] = this.toCurve(e);
    if (x <= 0 || x >= 1) return;
    let i = this.points.findIndex((p) => p[0] > x);
    if (i < 0) i = this.points.length - 1;
    this.points.splice(i, 0, [x, a]);
    this.draw();
    this.sendPoints();
  }

  removePoint(e) {
    e.preventDefault();
    const i = this.pick(e);
    if (i <= 0 || i >= this.points.length - 1) return; // end points stay
    this.points.splice(i, 1);
    this.draw();
    this.sendPoints();
  }

  sendPoints() {
    this.set({ opacity_points: this.points.map(([x, a]) => [x, a]) });
  }

  // --- drawing -------------------------------------------------------------------------

  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(c.clientWidth * dpr)), H = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; }
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const w = c.clientWidth - 2 * PAD, h = c.clientHeight - 2 * PAD;
    ctx.clearRect(0, 0, c.clientWidth, c.clientHeight);

    // checkerboard under the colours so transparency is visible
    for (let y = 0; y < h; y += 8) for (let x = 0; x < w; x += 8) {
      ctx.fillStyle = ((x + y) / 8) % 2 ? '#444' : '#2a2a2a';
      ctx.fillRect(PAD + x, PAD + y, Math.min(8, w - x), Math.min(8, h - y));
    }
    const n = this.entries.length;
    if (n > 0) {
      const grad = ctx.createLinearGradient(PAD, 0, PAD + w, 0);
      const solid = ctx.createLinearGradient(PAD, 0, PAD + w, 0);
      this.entries.forEach(([r, g, b, a], i) => {
        const t = n === 1 ? 0 : i / (n - 1);
        const c255 = (v) => Math.round(255 * Math.min(1, Math.max(0, v)));
        grad.addColorStop(t, `rgba(${c255(r)},${c255(g)},${c255(b)},${Math.min(1, Math.max(0, a))})`);
        solid.addColorStop(t, `rgb(${c255(r)},${c255(g)},${c255(b)})`);
      });
      // top strip: opaque colours; body: colours with their alpha
      ctx.fillStyle = grad;
      ctx.fillRect(PAD, PAD, w, h);
      ctx.fillStyle = solid;
      ctx.fillRect(PAD, PAD, w, 6);
      // the colormap's actual alpha, as a line
      ctx.beginPath();
      this.entries.forEach(([, , , a], i) => {
        const x = PAD + (n === 1 ? 0 : i / (n - 1)) * w, y = PAD + (1 - Math.min(1, Math.max(0, a))) * h;
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.strokeStyle = 'rgba(255,255,255,0.35)';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    // the editable opacity curve
    ctx.beginPath();
    this.points.forEach(([x, a], i) => {
      const px = PAD + x * w, py = PAD + (1 - a) * h;
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    });
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 1.5;
    ctx.stroke();
    for (const [x, a] of this.points) {
      ctx.beginPath();
      ctx.arc(PAD + x * w, PAD + (1 - a) * h, 4, 0, 2 * Math.PI);
      ctx.fillStyle = '#4fc3f7';
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
  }
}
