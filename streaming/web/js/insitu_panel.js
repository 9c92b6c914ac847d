// SPDX-License-Identifier: Apache-2.0
// In situ: the simulation's step, which of its fields is shown, and its steering parameters (one
// slider each). Hidden unless the server is an in-situ publisher (it answers insitu.status).

import { latestOnly } from './rpc.js';

export class InsituPanel {
  /**
   * `root` holds data-insitu="step|field|params". `onField({ id, name, dtype })` is told the field
   * shown, as scene.info would list a volume (the legend's title and stored values).
   */
  constructor(root, rpc, { onField = () => {} } = {}) {
    this.root = root;
    this.rpc = rpc;
    this.onField = onField;
    this.shownField = null; // "name dtype" of the field onField was last told
    const q = (name) => root.querySelector(`[data-insitu="${name}"]`);
    this.step = q('step');
    this.field = q('field');
    this.params = q('params');
    this.sliders = new Map(); // parameter name -> {input, value}
    this.field.addEventListener('change', () => {
      rpc.call('insitu.show', { field: this.field.value }).catch((e) => console.warn(e));
    });
    // Refreshes the step while the simulation runs (it sends no notification per step).
    setInterval(() => { if (!this.root.hidden && rpc.connected) this.refresh(); }, 1000);
  }

  async refresh() {
    let status;
    try {
      status = await this.rpc.call('insitu.status');
    } catch (e) {
      this.root.hidden = true; // not an in-situ server
      return;
    }
    this.root.hidden = false;
    this.step.textContent = `step ${status.step}, t = ${Number(status.time).toPrecision(4)}`;
    const names = status.fields || [];
    if ([...this.field.options].map((o) => o.value).join() !== names.join()) {
      this.field.replaceChildren(...names.map((n) => new Option(n, n)));
    }
    if (document.activeElement !== this.field) this.field.value = status.shown;
    const shown = `${status.shown} ${status.shown_dtype}`;
    if (shown !== this.shownField) { // told once per field, not at every refresh
      this.shownField = shown;
      this.onField({ id: status.shown, name: status.shown, dtype: status.shown_dtype });
    }
    this.showParameters(await this.rpc.call('insitu.parameters'));
  }

  showParameters(list) {
    for (const p of list) {
      let s = this.sliders.get(p.name);
      if (!s) {
        const label = document.createElement('label');
        label.className = 'row';
        const input = Object.assign(document.createElement('input'), {
          type: 'range', min: p.min, max: p.max, step: (p.max - p.min) / 1000 || 'any',
        });
        input.dataset.param = p.name;
        const value = Object.assign(document.createElement('span'), { className: 'value' });
        const set = latestOnly(this.rpc, 'insitu.set_parameter');
        input.addEventListener('input', () => {
          value.textContent = Number(input.value).toPrecision(4);
          set({ name: p.name, value: Number(input.value) });
        });
        label.append(p.name, ' ', input, value);
        this.params.append(label);
        s = { input, value };
        this.sliders.set(p.name, s);
      }
      if (document.activeElement !== s.input) {
        s.input.value = p.value;
        s.value.textContent = Number(p.value).toPrecision(4);
      }
    }
  }
}
