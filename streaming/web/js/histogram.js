// SPDX-License-Identifier: Apache-2.0
// The shown volume's value histogram on the colormap editor's axis (the domain spans the width, so
// it moves with the domain), on a log scale: a huge background peak must not flatten the rest.

import { fitCanvas } from './canvas2d.js';

export class HistogramView {
  /** `pad`: the editor's inset (CSS pixels), so bins line up with the curve above. */
  constructor(canvas, pad) {
    this.canvas = canvas;
    this.pad = pad;
  }

  /** `stats` as volume.info gives it (null: not known yet); `domain` [min, max] of the colormap. */
  draw(stats, domain) {
    const { ctx, width, height } = fitCanvas(this.canvas);
    const h = stats && stats.histogram;
    if (!h || !h.length || !Number.isFinite(stats.min) || !Number.isFinite(stats.max)) return;
    const peak = Math.log1p(Math.max(...h));
    const pad = this.pad, w = width - 2 * pad, ht = height - 2 * pad;
    const bin = (stats.max - stats.min) / h.length, [d0, d1] = domain;
    const x = (v) => pad + ((v - d0) / (d1 - d0)) * w;
    ctx.save();
    ctx.beginPath();
    ctx.rect(pad, pad, w, ht); // bins outside the domain lie outside the editor
    ctx.clip();
    ctx.fillStyle = 'rgba(235, 240, 250, 0.45)';
    h.forEach((count, b) => {
      if (!count) return;
      const xa = x(stats.min + b * bin), xb = x(stats.min + (b + 1) * bin);
      const barHeight = (Math.log1p(count) / peak) * ht;
      ctx.fillRect(Math.min(xa, xb), pad + ht - barHeight, Math.max(1, Math.abs(xb - xa)), barHeight);
    });
    ctx.restore();
  }
}
