// SPDX-License-Identifier: Apache-2.0
// Stats overlay: per-frame timings from the video header, fps/ranks/backend from session.stats.

export class StatsOverlay {
  constructor(element, rpc) {
    this.el = element;
    this.rpc = rpc;
    this.frame = null;
    this.session = null;
    setInterval(() => this.poll(), 1000);
  }

  async poll() {
    if (!this.rpc.connected) return;
    try {
      this.session = await this.rpc.call('session.stats');
      this.render();
    } catch { /* shown as stale until the next poll */ }
  }

  onFrame(h) {
    this.frame = h;
    this.render();
  }

  render() {
    const s = this.session || {}, f = this.frame;
    const ms = (v) => (typeof v === 'number' ? v.toFixed(1) : '–');
    const clients = s.clients && typeof s.clients === 'object'
      ? Object.entries(s.clients).map(([k, n]) => `${n} ${k}`).join(', ') : (s.clients ?? '–');
    const lines = [
      `fps ${typeof s.fps === 'number' ? s.fps.toFixed(1) : '–'}`,
      f ? `render ${ms(f.renderMs)} · composite ${ms(f.compositeMs)} · encode ${ms(f.encodeMs)} ms` : 'no frame yet',
      f ? `frame ${f.frame} · ${f.width}×${f.height}${f.reduced ? ' (interactive)' : ''}` : '',
      `ranks ${s.ranks ?? '–'} · ${s.backend ?? '–'} · clients ${clients}`,
    ];
    this.el.textContent = lines.filter(Boolean).join('\n');
  }
}
