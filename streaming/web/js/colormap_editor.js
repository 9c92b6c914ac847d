// SPDX-License-Identifier: Apache-2.0
// Colormap editor: preset, gradient, the volume's histogram under an editable opacity curve, domain
// (sliders over the data range, rescale buttons), boundary mode; ParaView colormap JSON in and out.

import { latestOnly } from './rpc.js';
import { fitCanvas } from './canvas2d.js';
import { HistogramView } from './histogram.js';
import { curveFromTable, editableCurve, visibleRange } from './opacity.js';
import { parseParaView, paraViewFileName, toParaView } from './paraview_colormap.js';
import { downloadBlob } from './download.js';
import { storedScale } from './legend.js';

const PAD = 6;       // canvas padding (CSS pixels) so end points stay grabbable
const HIT = 8;       // pick radius (CSS pixels)

const hasRange = (st) => !!st && Number.isFinite(st.min) && Number.isFinite(st.max);

export class ColormapEditor {
  /**
   * `root` holds elements with data-cm="volume-row|volume|preset|gradient|histogram|canvas|dmin|dmax|
   * dminv|dmaxv|stored|stored-type|smin|smax|boundary|fit-data|fit-visible|pv-import|pv-file|pv-export|
   * pv-error"; the three canvases are stacked, "canvas" (the curve) on top. `onShow(cm)` runs after each colormap from the server is
   * shown (the legend follows it); `onVolume(id)` when the user picks another volume to edit.
   */
  constructor(root, rpc, { onShow, onVolume } = {}) {
    this.rpc = rpc;
    this.onShow = onShow || (() => {});
    this.onVolume = onVolume || (() => {});
    this.q = (name) => root.querySelector(`[data-cm="${name}"]`);
    this.preset = this.q('preset');
    this.gradient = this.q('gradient');
    this.canvas = this.q('canvas');
    this.dmin = this.q('dmin');
    this.dmax = this.q('dmax');
    this.dminv = this.q('dminv');
    this.dmaxv = this.q('dmaxv');
    this.stored = this.q('stored');
    this.storedType = this.q('stored-type');
    this.smin = this.q('smin');
    this.smax = this.q('smax');
    this.boundary = this.q('boundary');
    this.histogram = new HistogramView(this.q('histogram'), PAD);
    this.cm = { entries: [], domain: [0, 1], boundary_mode: 'clamp_to_edge' }; // as colormap.get last said
    this.stats = null;                 // the shown volume's statistics (volume.info), null until known
    this.points = [[0, 0], [1, 1]];    // the curve drawn and edited
    this.dragIndex = -1;
    // The volume edited: null is the scene's first (the only one of most scenes), else its id.
    this.volumeId = null;
    this.volumes = []; // as scene.info last listed them
    this.volumeRow = this.q('volume-row');
    this.volumeSelect = this.q('volume');
    this.volumeSelect.addEventListener('change', () => {
      this.volumeId = this.volumeSelect.selectedIndex > 0 ? this.volumeSelect.value : null;
      this.stats = null;
      this.onVolume(this.volumeId);
      this.refresh().catch((e) => console.warn(e));
    });
    const setLatest = latestOnly(rpc, 'colormap.set', (cm) => this.show(cm));
    this.set = (params) => setLatest(this.withVolume(params));

    this.preset.addEventListener('change', () => {
      if (this.preset.value) this.set({ preset: this.preset.value });
    });
    this.boundary.addEventListener('change', () => this.set({ boundary_mode: this.boundary.value }));
    for (const s of [this.dmin, this.dmax]) s.addEventListener('input', () => this.domainSlid(s));
    for (const v of [this.dminv, this.dmaxv]) {
      v.addEventListener('change', () => this.domainTyped(this.dminv, this.dmaxv, 1, v));
    }
    for (const v of [this.smin, this.smax]) {
      v.addEventListener('change', () => this.domainTyped(this.smin, this.smax, this.storedScale(), v));
    }
    // A typed field keeps its text while the user types in it, and only then: once typed (change),
    // or left, it shows what the server has again, also when another client changes the domain.
    for (const v of [this.dminv, this.dmaxv, this.smin, this.smax]) {
      v.addEventListener('input', () => { v.dataset.typing = '1'; });
      v.addEventListener('blur', () => { delete v.dataset.typing; });
    }
    this.q('fit-data').addEventListener('click', () => {
      if (hasRange(this.stats) && this.stats.max > this.stats.min) this.setDomain([this.stats.min, this.stats.max]);
    });
    this.q('fit-visible').addEventListener('click', () => {
      const r = hasRange(this.stats) ? visibleRange(this.stats, this.cm) : null;
      if (r && r[1] > r[0]) this.setDomain(r);
    });

    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => this.pointerDown(e));
    c.addEventListener('pointermove', (e) => this.pointerMove(e));
    c.addEventListener('pointerup', () => { this.dragIndex = -1; });
    c.addEventListener('pointercancel', () => { this.dragIndex = -1; });
    c.addEventListener('dblclick', (e) => this.addPoint(e));
    c.addEventListener('contextmenu', (e) => this.removePoint(e));
    new ResizeObserver(() => this.draw()).observe(c);

    this.pvError = this.q('pv-error');
    const file = this.q('pv-file');
    this.q('pv-import').addEventListener('click', () => file.click());
    file.addEventListener('change', async () => {
      const f = file.files && file.files[0];
      file.value = ''; // the same file again is a change too
      if (f) await this.importParaView(await f.text());
    });
    this.q('pv-export').addEventListener('click', () => this.exportParaView());
  }

  // --- ParaView colormap JSON --------------------------------------------------------------

  /** One line under the buttons; empty hides it. */
  showPvError(message) {
    this.pvError.textContent = message;
    this.pvError.title = message;
    this.pvError.hidden = !message;
  }

  /**
   * Applies a ParaView colormap (its first one) with one colormap.set: its table, domain, opacity
   * curve and NaN colour (none when the file has none); without "Points" the curve shown now stays
   * (a table alone would bring alphas of 1).
   * A file that does not parse, or that the server refuses, changes nothing and says why on one line.
   */
  async importParaView(text) {
    let pv;
    try {
      pv = parseParaView(text);
    } catch (e) {
      this.showPvError(`ParaView import: ${e.message}`);
      return;
    }
    const opacity = pv.opacity_points || this.points.map(([x, a]) => [x, a]);
    try {
      this.show(await this.rpc.call('colormap.set',
        this.withVolume({ entries: pv.entries, domain: pv.domain, opacity_points: opacity, nan_color: pv.nan_color })));
      this.showPvError('');
    } catch (e) {
      this.showPvError(`ParaView import: ${e.message}`);
    }
  }

  /** The server's colormap as ParaView JSON, downloaded as <name>.json. */
  async exportParaView() {
    try {
      const pv = toParaView(await this.rpc.call('colormap.get', this.withVolume({})));
      downloadBlob(new Blob([JSON.stringify(pv, null, 1)], { type: 'application/json' }), paraViewFileName(pv[0].Name));
      this.showPvError('');
    } catch (e) {
      this.showPvError(`ParaView export: ${e.message}`);
    }
  }

  /** Load presets and the current colormap from the server. */
  async load() {
    const presets = await this.rpc.call('colormap.presets');
    this.preset.replaceChildren(new Option('(custom)', ''), ...presets.map((p) => new Option(p, p)));
    await this.refresh();
  }

  async refresh() { this.show(await this.rpc.call('colormap.get', this.withVolume({}))); }

  /** `params` for the volume edited (colormap.get/set, volume.info take its id). */
  withVolume(params) { return this.volumeId ? { ...params, volume: this.volumeId } : params; }

  /**
   * The scene's volumes (scene.info): with more than one, a menu picks the one edited; the choice
   * stays while that volume is in the scene (editedVolume() says which it is).
   */
  setVolumes(volumes) {
    this.volumes = volumes || [];
    const ids = this.volumes.map((v) => v.id);
    if (this.volumeId && !ids.includes(this.volumeId)) { // gone with the scene: back to the first
      this.volumeId = null;
      this.stats = null;
      this.refresh().catch((e) => console.warn(e));
    }
    const label = (v) => (v.name && v.name !== v.id ? `${v.name} (${v.id})` : v.id);
    this.volumeSelect.replaceChildren(...this.volumes.map((v) => new Option(label(v), v.id)));
    this.volumeSelect.value = this.volumeId || ids[0] || '';
    this.volumeRow.hidden = ids.length < 2;
    this.updateDomainControls();
  }

  /** The volume edited, as scene.info listed it (undefined before it did). */
  editedVolume() { return this.volumes.find((v) => v.id === this.volumeId) || this.volumes[0]; }

  /** The shown volume's statistics (scene.info / volume.info); null while no frame has read them. */
  showStatistics(stats) {
    this.stats = stats || null;
    this.updateDomainControls();
    this.draw();
  }

  show(cm) {
    this.cm = { ...this.cm, ...cm };
    // A <select> changes in one step, so unlike a slider it needs no guard against the user's focus.
    const name = cm.preset || '';
    if (name && ![...this.preset.options].some((o) => o.value === name)) this.preset.add(new Option(name, name));
    this.preset.value = name;
    this.boundary.value = this.cm.boundary_mode || 'clamp_to_edge';
    // The server's curve (another client's too), else the table's alphas; a drag in progress wins.
    if (this.dragIndex < 0) {
      const pts = cm.opacity_points;
      this.points = Array.isArray(pts) && pts.length > 0 ? editableCurve(pts) : curveFromTable(this.cm.entries);
    }
    this.updateDomainControls();
    this.draw();
    this.onShow(this.cm);
  }

  // --- domain --------------------------------------------------------------------------

  /**
   * The sliders span the data range widened to the domain, so both ends are always reachable.
   * Before the statistics arrive: [0, 1], where integer volumes' normalized values lie.
   */
  updateDomainControls() {
    const [d0, d1] = this.cm.domain;
    const [r0, r1] = hasRange(this.stats) ? [this.stats.min, this.stats.max] : [0, 1];
    const lo = Math.min(r0, d0, d1), hi = Math.max(r1, d0, d1);
    for (const s of [this.dmin, this.dmax]) {
      s.min = lo; s.max = hi; s.step = (hi - lo) / 1000 || 'any';
    }
    if (document.activeElement !== this.dmin) this.dmin.value = d0;
    if (document.activeElement !== this.dmax) this.dmax.value = d1;
    const short = (v) => String(Number(Number(v).toPrecision(5))); // 0.05, not 0.0500000007
    const typing = (v) => document.activeElement === v && v.dataset.typing;
    if (!typing(this.dminv)) this.dminv.value = short(d0);
    if (!typing(this.dmaxv)) this.dmaxv.value = short(d1);
    // The domain is in the scene file's normalized units; for integer voxels it can also be read and
    // typed in the values the volume stores (what the legend shows): a CT window in Hounsfield units.
    const scale = this.storedScale();
    this.stored.hidden = scale === 1;
    if (scale === 1) return;
    this.storedType.textContent = `Stored ${this.editedVolume().dtype}`;
    const exact = (v) => String(Number(Number(v).toPrecision(6))); // 300, not 300.00000000000006
    if (!typing(this.smin)) this.smin.value = exact(d0 * scale);
    if (!typing(this.smax)) this.smax.value = exact(d1 * scale);
  }

  setDomain(domain) {
    this.cm.domain = domain;
    this.updateDomainControls();
    this.draw();
    this.set({ domain });
  }

  domainSlid(slider) {
    let d0 = Number(this.dmin.value), d1 = Number(this.dmax.value);
    if (d0 >= d1) {  // keep min < max by pushing the other slider
      const eps = Number(this.dmin.step) || 1e-3;
      if (slider === this.dmin) { d1 = d0 + eps; this.dmax.value = d1; } else { d0 = d1 - eps; this.dmin.value = d0; }
    }
    this.setDomain([d0, d1]);
  }

  /** What one normalized value is in the edited volume's stored values (1: float voxels). */
  storedScale() {
    const volume = this.editedVolume();
    return storedScale(volume && volume.dtype);
  }

  /**
   * A domain typed in two inputs, in units `scale` times the normalized ones the scene file has.
   * An empty field, text, a number no double holds (1e400 reads as "") or min >= max is refused
   * where it was typed, saying why, and the fields go back to what the server has: an empty field
   * is not 0, which would invert the domain.
   */
  domainTyped(lo, hi, scale, edited) {
    delete edited.dataset.typing;
    const read = (v) => (v.value.trim() === '' ? NaN : Number(v.value));
    const d0 = read(lo) / scale, d1 = read(hi) / scale;
    let why = '';
    if (!Number.isFinite(d0) || !Number.isFinite(d1)) why = 'type a number';
    else if (!(d0 < d1)) why = 'min must be below max';
    edited.setCustomValidity(why);
    if (why) {
      edited.reportValidity();
      setTimeout(() => edited.setCustomValidity(''), 3000);
      this.updateDomainControls(); // back to what the server has
      return;
    }
    this.setDomain([d0, d1]);
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
    this.drawCurve();
    this.sendPoints();
  }

  addPoint(e) {
    const [x, a] = this.toCurve(e);
    if (x <= 0 || x >= 1) return;
    let i = this.points.findIndex((p) => p[0] > x);
    if (i < 0) i = this.points.length - 1;
    this.points.splice(i, 0, [x, a]);
    this.drawCurve();
    this.sendPoints();
  }

  removePoint(e) {
    e.preventDefault();
    const i = this.pick(e);
    if (i <= 0 || i >= this.points.length - 1) return; // end points stay
    this.points.splice(i, 1);
    this.drawCurve();
    this.sendPoints();
  }

  /** The whole curve goes to the server, which keeps it (over later presets too) for every client. */
  sendPoints() {
    this.set({ opacity_points: this.points.map(([x, a]) => [x, a]) });
  }

  // --- drawing: gradient (bottom), histogram, curve (top) ---------------------------------

  draw() {
    this.drawGradient();
    this.histogram.draw(this.stats, this.cm.domain);
    this.drawCurve();
  }

  drawGradient() {
    const { ctx, width, height } = fitCanvas(this.gradient);
    const w = width - 2 * PAD, h = height - 2 * PAD;
    // checkerboard under the colours so transparency is visible
    for (let y = 0; y < h; y += 8) for (let x = 0; x < w; x += 8) {
      ctx.fillStyle = ((x + y) / 8) % 2 ? '#444' : '#2a2a2a';
      ctx.fillRect(PAD + x, PAD + y, Math.min(8, w - x), Math.min(8, h - y));
    }
    const entries = this.cm.entries, n = entries.length;
    if (n === 0) return;
    const grad = ctx.createLinearGradient(PAD, 0, PAD + w, 0);
    const solid = ctx.createLinearGradient(PAD, 0, PAD + w, 0);
    const c255 = (v) => Math.round(255 * Math.min(1, Math.max(0, v)));
    entries.forEach(([r, g, b, a], i) => {
      const t = n === 1 ? 0 : i / (n - 1);
      grad.addColorStop(t, `rgba(${c255(r)},${c255(g)},${c255(b)},${Math.min(1, Math.max(0, a))})`);
      solid.addColorStop(t, `rgb(${c255(r)},${c255(g)},${c255(b)})`);
    });
    // top strip: opaque colours; body: colours with their alpha
    ctx.fillStyle = grad;
    ctx.fillRect(PAD, PAD, w, h);
    ctx.fillStyle = solid;
    ctx.fillRect(PAD, PAD, w, 6);
    // the table's actual alpha (what the server applied), as a faint line
    ctx.beginPath();
    entries.forEach(([, , , a], i) => {
      const x = PAD + (n === 1 ? 0 : i / (n - 1)) * w, y = PAD + (1 - Math.min(1, Math.max(0, a))) * h;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.strokeStyle = 'rgba(255,255,255,0.35)';
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  drawCurve() {
    const { ctx, width, height } = fitCanvas(this.canvas);
    const w = width - 2 * PAD, h = height - 2 * PAD;
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
