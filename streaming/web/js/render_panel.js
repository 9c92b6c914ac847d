// SPDX-License-Identifier: Apache-2.0
// Render settings: sampling distance, shading, jitter, MIP; shows the backend.

import { latestOnly } from './rpc.js';

export class RenderPanel {
  /** `root` holds elements with data-render="sampling|samplingv|shading|jitter|mip|skipping|backend". */
  constructor(root, rpc) {
    this.rpc = rpc;
    const q = (name) => root.querySelector(`[data-render="${name}"]`);
    this.sampling = q('sampling');
    this.samplingValue = q('samplingv');
    this.shading = q('shading');
    this.jitter = q('jitter');
    this.mip = q('mip');
    this.skipping = q('skipping');
    this.backend = q('backend');
    this.set = latestOnly(rpc, 'render.set', (r) => this.show(r));
    // The slider is logarithmic: value v in [-3, 2] means 2^v.
    this.sampling.addEventListener('input', () => {
      const d = this.samplingDistance();
      this.samplingValue.textContent = d.toPrecision(3);
      this.set({ sampling_distance: d });
    });
    this.shading.addEventListener('change', () => this.set({ shading: this.shading.checked }));
    this.jitter.addEventListener('change', () => this.set({ jitter: this.jitter.checked }));
    this.skipping.addEventListener('change', () => this.set({ skipping: this.skipping.checked }));
    this.mip.addEventListener('change', () => this.set({ mode: this.mip.checked ? 'mip' : 'dvr' }));
  }

  samplingDistance() { return 2 ** Number(this.sampling.value); }

  async refresh() { this.show(await this.rpc.call('render.get')); }

  show(r) {
    if (typeof r.sampling_distance === 'number') {
      if (document.activeElement !== this.sampling) this.sampling.value = Math.log2(r.sampling_distance);
      this.samplingValue.textContent = r.sampling_distance.toPrecision(3);
    }
    if ('shading' in r) this.shading.checked = !!r.shading;
    if ('jitter' in r) this.jitter.checked = !!r.jitter;
    if ('skipping' in r) this.skipping.checked = !!r.skipping;
    if ('mode' in r) this.mip.checked = r.mode === 'mip';
    if ('backend' in r) this.backend.textContent = r.backend;
  }
}
