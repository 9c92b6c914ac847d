// SPDX-License-Identifier: Apache-2.0
// The colour legend (scalar bar) over the frame: the volume's name and the unit of its values, and
// the colormap's colours with the numbers of its domain's ends and middle, in the values the volume
// stores, so values can be read off the image. The colours are shown opaque: the
// bar says which colour a value gets; the editor's gradient shows the opacity.

import { fitCanvas } from './canvas2d.js';

/**
 * A short label: 4 significant digits (6 from 1000 on), exponents for very large or small
 * magnitudes; a whole number below 1e5 as it is (a uint16 volume's 65535, not 65540: stored values
 * are read off the legend).
 */
export function formatValue(v) {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const whole = Math.abs(v - Math.round(v)) < 1e-6 * Math.max(1, a);
  if (a < 1e5 && whole) return String(Math.round(v));
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(a >= 1000 ? 6 : 4))); // 32767.5, not 32770
}

/**
 * What one normalized value is in the numbers a volume stores. Integer voxels reach the colormap
 * normalized, as in IndeX: uint8 and uint16 to [0, 1], sint16 (int16) to [-1, 1] (the domain a scene file
 * or colormap.set gives is in those units); float voxels as they are.
 */
export function storedScale(dtype) {
  return { uint8: 255, uint16: 65535, sint16: 32767, int16: 32767 }[dtype] || 1;
}

export class ColorLegend {
  /** `root` holds a canvas [data-legend="bar"] and spans [data-legend="min|mid|max"]. */
  constructor(root) {
    this.root = root;
    this.bar = root.querySelector('[data-legend="bar"]');
    this.labels = ['min', 'mid', 'max'].map((k) => root.querySelector(`[data-legend="${k}"]`));
    this.title = root.querySelector('[data-legend="title"]');
    this.cm = null;
    this.scale = 1; // storedScale of the volume shown
    this.enabled = true;
    new ResizeObserver(() => this.draw()).observe(this.bar);
  }

  setEnabled(on) {
    this.enabled = on;
    this.root.hidden = !on;
    if (on) this.draw();
  }

  /**
   * The volume the colours are of, as scene.info lists it: "name [unit]" (no brackets without a
   * unit). The numbers are its stored values (a CT's Hounsfield units, not their normalized form).
   */
  showVolume(volume) {
    const name = volume ? volume.name || volume.id || '' : '';
    this.title.textContent = volume && volume.unit ? `${name} [${volume.unit}]` : name;
    this.scale = storedScale(volume && volume.dtype);
    this.draw();
  }

  /** The colormap as colormap.get gives it (entries, domain). */
  show(cm) {
    this.cm = cm;
    this.draw();
  }

  draw() {
    if (!this.cm || !this.enabled) return;
    const [d0, d1] = this.cm.domain || [0, 1];
    [d0, (d0 + d1) / 2, d1].forEach((v, i) => { this.labels[i].textContent = formatValue(v * this.scale); });
    const { ctx, width, height } = fitCanvas(this.bar);
    const entries = this.cm.entries || [], n = entries.length;
    if (n === 0) return;
    const grad = ctx.createLinearGradient(0, 0, width, 0);
    const c255 = (v) => Math.round(255 * Math.min(1, Math.max(0, v)));
    entries.forEach(([r, g, b], i) => grad.addColorStop(n === 1 ? 0 : i / (n - 1), `rgb(${c255(r)},${c255(g)},${c255(b)})`));
    ctx.fillStyle = grad;
    ctx.fillRect(0, 0, width, height);
  }
}
