// SPDX-License-Identifier: Apache-2.0
// Region of interest: a min and a max slider per axis, bounded by the volume's box.

import { latestOnly } from './rpc.js';

const AXES = ['x', 'y', 'z'];

export class RoiPanel {
  /**
   * `root` gets one row per axis with two sliders (data-roi="min-x", "max-x", ...); `onShow(roi)`
   * gets each roi.get/roi.set answer (the volume's box is in it, for the outline).
   */
  constructor(root, rpc, { onShow } = {}) {
    this.rpc = rpc;
    this.onShow = onShow || (() => {});
    this.sliders = { min: [], max: [] };
    this.labels = [];
    this.set = latestOnly(rpc, 'roi.set', (roi) => this.show(roi));
    for (const [i, axis] of AXES.entries()) {
      const row = document.createElement('div');
      row.className = 'roi-row';
      const name = document.createElement('span');
      name.className = 'axis';
      name.textContent = axis;
      const label = document.createElement('span');
      label.className = 'value';
      row.append(name);
      for (const kind of ['min', 'max']) {
        const s = document.createElement('input');
        s.type = 'range';
        s.dataset.roi = `${kind}-${axis}`;
        s.title = `${kind} ${axis}`;
        s.addEventListener('input', () => this.input(kind, i));
        this.sliders[kind].push(s);
        row.append(s);
      }
      row.append(label);
      this.labels.push(label);
      root.append(row);
    }
  }

  async refresh() { this.show(await this.rpc.call('roi.get')); }

  show(roi) {
    for (let i = 0; i < 3; ++i) {
      const lo = roi.volume_min ? roi.volume_min[i] : roi.min[i];
      const hi = roi.volume_max ? roi.volume_max[i] : roi.max[i];
      for (const kind of ['min', 'max']) {
        const s = this.sliders[kind][i];
        s.min = lo; s.max = hi; s.step = (hi - lo) / 1000 || 1;
        if (document.activeElement !== s) s.value = roi[kind][i];
      }
      this.label(i);
    }
    this.onShow(roi);
  }

  label(i) {
    const f = (v) => Number(v).toFixed(Number(v) % 1 === 0 ? 0 : 1);
    this.labels[i].textContent = `${f(this.sliders.min[i].value)}–${f(this.sliders.max[i].value)}`;
  }

  input(kind, i) {
    const mn = this.sliders.min[i], mx = this.sliders.max[i];
    if (Number(mn.value) > Number(mx.value)) {
      if (kind === 'min') mx.value = mn.value; else mn.value = mx.value;
    }
    this.label(i);
    this.set({
      min: this.sliders.min.map((s) => Number(s.value)),
      max: this.sliders.max.map((s) => Number(s.value)),
    });
  }
}
