// SPDX-License-Identifier: Apache-2.0
// Typed camera values: the server's from/dir/up in number fields the user can edit and apply
// (camera.set), for exact views that dragging cannot reach. Fields being edited are left alone
// while cameras from elsewhere arrive.

const FIELDS = ['from', 'dir', 'up'];
const short = (v) => String(Number(Number(v).toPrecision(6)));

export class CameraForm {
  /**
   * `form` holds inputs [data-cam="from-0" .. "up-2"], a submit button and an error line
   * [data-cam="error"]; `onCamera(camera)` gets the camera camera.set returns.
   */
  constructor(form, rpc, geometry, { onCamera } = {}) {
    this.form = form;
    this.rpc = rpc;
    this.onCamera = onCamera || (() => {});
    this.error = form.querySelector('[data-cam="error"]');
    this.inputs = Object.fromEntries(FIELDS.map((f) => [f, [0, 1, 2].map((i) => form.querySelector(`[data-cam="${f}-${i}"]`))]));
    this.dirty = false; // the user typed since the last apply: keep the typed values
    this.edits = 0;     // counts typing, so an apply's reply does not undo what was typed meanwhile
    form.addEventListener('input', () => { this.dirty = true; this.edits += 1; });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.apply(); });
    form.querySelector('[data-cam="revert"]').addEventListener('click', () => {
      this.dirty = false;
      this.show(geometry.camera);
    });
    geometry.onChange((geo) => { if (!this.dirty) this.show(geo.camera); });
  }

  show(camera) {
    if (!camera) return;
    for (const f of FIELDS) this.inputs[f].forEach((input, i) => { input.value = short(camera[f][i]); });
  }

  values() {
    const out = {};
    // An empty field is no number (Number('') would be 0 and move the camera there).
    for (const f of FIELDS) out[f] = this.inputs[f].map((input) => (input.value.trim() === '' ? NaN : Number(input.value)));
    return out;
  }

  async apply() {
    const params = this.values();
    const bad = FIELDS.find((f) => params[f].some((v) => !Number.isFinite(v)));
    if (bad) { this.showError(`${bad}: three numbers, please`); return; }
    const edits = this.edits;
    try {
      const camera = await this.rpc.call('camera.set', params);
      if (this.edits === edits) this.dirty = false;
      this.showError('');
      this.onCamera(camera);
    } catch (e) {
      this.showError(e.message); // e.g. dir parallel to up: the server says which
    }
  }

  showError(text) {
    this.error.textContent = text;
    this.error.title = text;
    this.error.hidden = !text;
  }
}
