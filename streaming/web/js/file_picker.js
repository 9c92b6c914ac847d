// SPDX-License-Identifier: Apache-2.0
// A file picker over the server's data roots (data.list): an "up" entry, folders, then scenes and
// volume files with their kind and size. Clicking a file opens it with scene.load; in "load view"
// mode (Load view button) it lists scenes only and the chosen one goes to session.load instead.
// Paths travel as the server's own absolute, resolved folder names, so every data root is reachable
// and the server stays the one that decides what lies inside them.

const KIB = 1024;
export function formatBytes(n) {
  if (!(n >= 0)) return '';
  if (n < KIB) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / KIB, u = 0;
  while (v >= KIB && u < units.length - 1) { v /= KIB; u += 1; }
  return `${v.toPrecision(3)} ${units[u]}`;
}

const parent = (p) => p.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
const join = (dir, name) => `${dir.replace(/\/+$/, '')}/${name}`;

export class FilePicker {
  /**
   * `root` holds [data-picker="path|list|mode|cancel|refresh|error"]; `onOpened(method, result)`
   * runs after a scene.load or session.load succeeded.
   */
  constructor(root, rpc, { onOpened } = {}) {
    this.root = root;
    this.rpc = rpc;
    this.onOpened = onOpened || (() => {});
    const q = (name) => root.querySelector(`[data-picker="${name}"]`);
    this.pathLine = q('path');
    this.list = q('list');
    this.modeLine = q('mode');
    this.error = q('error');
    this.home = null;    // the first data root (data.list without a path): no "up" above it
    this.listing = null; // data.list's last answer
    this.mode = 'open';  // 'open': scene.load; 'session': session.load
    this.busy = false;
    q('cancel').addEventListener('click', () => this.setMode('open'));
    q('refresh').addEventListener('click', () => this.refresh());
  }

  /** Lists the folder shown (the first data root at first). */
  refresh() { return this.browse(this.listing ? this.listing.path : undefined); }

  async browse(path) {
    try {
      const res = await this.rpc.call('data.list', path === undefined ? {} : { path });
      if (path === undefined) this.home = res.path;
      this.listing = res;
      this.showError('');
      this.render();
    } catch (e) {
      this.showError(e.message); // outside the data roots, gone, or a server with no data roots
    }
  }

  /** 'session': the next file chosen is loaded as a saved view. */
  setMode(mode) {
    this.mode = mode;
    this.modeLine.hidden = mode !== 'session';
    this.render();
    if (mode === 'session') this.root.scrollIntoView({ block: 'nearest' });
  }

  render() {
    const res = this.listing;
    if (!res) return;
    // Shown from the first data root on (the full path in the tooltip): the tail is what tells folders apart.
    const inHome = this.home !== null && (res.path === this.home || res.path.startsWith(`${this.home}/`));
    this.pathLine.textContent = inHome ? `data${res.path.slice(this.home.length)}/` : res.path;
    this.pathLine.title = res.path;
    const rows = [];
    if (this.home !== null && res.path !== this.home) rows.push(this.row('..', 'up', '', () => this.browse(parent(res.path))));
    for (const name of res.folders) rows.push(this.row(`${name}/`, 'folder', '', () => this.browse(join(res.path, name))));
    for (const f of res.files) {
      if (this.mode === 'session' && f.kind !== 'scene') continue; // only a .prj holds a saved view
      rows.push(this.row(f.name, f.kind, `${f.kind} · ${formatBytes(f.bytes)}`, () => this.open(join(res.path, f.name))));
    }
    this.list.replaceChildren(...rows);
  }

  row(label, kind, detail, action) {
    const li = document.createElement('li');
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: label, title: label });
    b.className = 'entry';
    b.dataset.kind = kind;
    b.dataset.name = label;
    b.addEventListener('click', action);
    const d = Object.assign(document.createElement('span'), { className: 'dim', textContent: detail });
    li.append(b, d);
    return li;
  }

  async open(path) {
    if (this.busy) return; // a load replaces the scene: one at a time
    this.busy = true;
    this.root.classList.add('busy');
    const method = this.mode === 'session' ? 'session.load' : 'scene.load';
    try {
      const result = await this.rpc.call(method, { path });
      this.showError('');
      this.setMode('open');
      this.onOpened(method, result);
    } catch (e) {
      this.showError(e.message); // the reader's own message, on one line
    }
    this.busy = false;
    this.root.classList.remove('busy');
  }

  showError(text) {
    this.error.textContent = text ? text.replace(/\s+/g, ' ') : '';
    this.error.title = this.error.textContent;
    this.error.hidden = !text;
  }
}
