// SPDX-License-Identifier: Apache-2.0
// Slice planes across the volume, one per axis: a checkbox shows it, a slider moves it. Each change
// sends the whole set (plane.set for each shown slice, plane.remove for the rest); the newest
// change wins while one is on its way.

const AXES = ['x', 'y', 'z'];

/**
 * The plane through `pos` across axis `a` of the box [lo, hi]: its corner, normal, up and extent,
 * as plane.set takes them (right = up x normal spans the extent's width).
 */
export function axisPlane(a, pos, lo, hi) {
  const size = [0, 1, 2].map((i) => hi[i] - lo[i]);
  if (a === 0) return { point: [pos, lo[1], lo[2]], normal: [1, 0, 0], up: [0, 0, 1], extent: [size[1], size[2]] };
  if (a === 1) return { point: [lo[0], pos, lo[2]], normal: [0, 1, 0], up: [1, 0, 0], extent: [size[2], size[0]] };
  return { point: [lo[0], lo[1], pos], normal: [0, 0, 1], up: [0, 1, 0], extent: [size[0], size[1]] };
}

export class SlicePanel {
  /**
   * `root` gets a row per axis: a checkbox (data-slice="on-x") and a slider (data-slice="at-x")
   * over the volume's extent on that axis, and a line for errors (data-slice="error").
   */
  constructor(root, rpc) {
    this.rpc = rpc;
    this.box = null; // { lo, hi } of the volume, from roi.get
    this.rows = AXES.map((axis) => {
      const row = document.createElement('label');
      row.className = 'roi-row';
      const on = document.createElement('input');
      on.type = 'checkbox';
      on.dataset.slice = `on-${axis}`;
      on.title = `show a slice across ${axis}`;
      const name = document.createElement('span');
      name.className = 'axis';
      name.textContent = axis;
      const at = document.createElement('input');
      at.type = 'range';
      at.dataset.slice = `at-${axis}`;
      at.title = `slice position along ${axis}`;
      const value = document.createElement('span');
      value.className = 'value';
      on.addEventListener('change', () => this.changed());
      at.addEventListener('input', () => this.changed());
      row.append(on, name, at, value);
      root.append(row);
      return { on, at, value };
    });
    this.note = document.createElement('p');
    this.note.className = 'dim';
    this.error = document.createElement('p');
    this.error.className = 'error';
    this.error.dataset.slice = 'error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    root.append(this.note, this.error);
    this.sending = false;
    this.again = false;
  }

  async refresh() {
    const [roi, list] = await Promise.all([this.rpc.call('roi.get'), this.rpc.call('plane.list')]);
    this.box = { lo: roi.volume_min, hi: roi.volume_max };
    this.rows.forEach((r, a) => {
      r.at.min = this.box.lo[a];
      r.at.max = this.box.hi[a];
      r.at.step = (this.box.hi[a] - this.box.lo[a]) / 1000 || 1;
      if (!r.on.checked) r.at.value = (this.box.lo[a] + this.box.hi[a]) / 2;
    });
    this.show(list.planes);
  }

  /**
   * Ticks the axes whose slice the server shows; other planes (from the scene file) are counted.
   * While this page's own change is on its way the controls keep what the user set.
   */
  show(planes) {
    if (this.sending || this.again) return;
    let other = 0;
    const seen = [false, false, false];
    for (const p of planes) {
      const a = p.normal.findIndex((n) => Math.abs(n) > 0.999999);
      if (a < 0 || seen[a]) { other += 1; continue; }
      seen[a] = true;
      if (document.activeElement !== this.rows[a].at) this.rows[a].at.value = p.point[a];
    }
    this.rows.forEach((r, a) => {
      r.on.checked = seen[a];
      r.value.textContent = seen[a] ? Number(r.at.value).toFixed(1) : '';
    });
    this.note.textContent = other ? `${other} other plane${other > 1 ? 's' : ''} from the scene` : '';
  }

  changed() {
    if (this.sending) { this.again = true; return; }
    this.send();
  }

  async send() {
    if (!this.box) return;
    this.sending = true;
    this.again = false;
    try {
      const shown = this.rows.flatMap((r, a) => (r.on.checked ? [axisPlane(a, Number(r.at.value), this.box.lo, this.box.hi)] : []));
      let list = null;
      for (const [index, p] of shown.entries()) list = await this.rpc.call('plane.set', { index, ...p });
      const count = (list || (await this.rpc.call('plane.list'))).planes.length;
      for (let i = count - 1; i >= shown.length; --i) list = await this.rpc.call('plane.remove', { index: i });
      this.error.hidden = true;
      this.sending = false;
      if (this.again) this.send();
      else this.show((list || (await this.rpc.call('plane.list'))).planes);
    } catch (e) {
      this.error.textContent = e.message || String(e);
      this.error.hidden = false;
      this.sending = false;
      if (this.again) this.send();
    }
  }
}
