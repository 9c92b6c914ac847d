// SPDX-License-Identifier: Apache-2.0
// Saved views: the current camera stored under a name in this browser (localStorage), listed, and
// put back with camera.set. Cameras only (not the scene or colormap: "Save view" keeps those).

const KEY = 'libindex.savedViews';
const SETTABLE = ['from', 'dir', 'up', 'aperture', 'focal', 'orthographic']; // camera.set's fields

export function loadViews() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {}; // unreadable or blocked storage: start empty
  }
}

export class SavedViews {
  /**
   * `root` holds an input [data-views="name"], a button [data-views="save"], a list
   * [data-views="list"] and an error line [data-views="error"].
   */
  constructor(root, rpc, geometry, { onCamera } = {}) {
    this.rpc = rpc;
    this.geometry = geometry;
    this.onCamera = onCamera || (() => {});
    const q = (name) => root.querySelector(`[data-views="${name}"]`);
    this.name = q('name');
    this.list = q('list');
    this.error = q('error');
    q('save').addEventListener('click', () => this.save());
    this.name.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.save(); });
    window.addEventListener('storage', (e) => { if (e.key === KEY) this.render(); }); // another tab
    this.render();
  }

  async save() {
    const name = this.name.value.trim() || `view ${Object.keys(loadViews()).length + 1}`;
    try {
      const camera = await this.rpc.call('camera.get'); // the server's, not a possibly stale copy
      const views = loadViews();
      views[name] = Object.fromEntries(SETTABLE.map((k) => [k, camera[k]]));
      localStorage.setItem(KEY, JSON.stringify(views));
      this.name.value = '';
      this.showError('');
    } catch (e) {
      this.showError(`could not save the view: ${e.message}`);
    }
    this.render();
  }

  async restore(name) {
    const view = loadViews()[name];
    if (!view) { this.render(); return; }
    try {
      this.onCamera(await this.rpc.call('camera.set', view));
      this.showError('');
    } catch (e) {
      this.showError(`could not restore '${name}': ${e.message}`);
    }
  }

  remove(name) {
    const views = loadViews();
    delete views[name];
    localStorage.setItem(KEY, JSON.stringify(views));
    this.render();
  }

  render() {
    const items = Object.keys(loadViews()).sort().map((name) => {
      const li = document.createElement('li');
      const open = Object.assign(document.createElement('button'), { type: 'button', textContent: name, title: 'Restore this camera' });
      open.className = 'entry';
      open.dataset.view = name;
      open.addEventListener('click', () => this.restore(name));
      const del = Object.assign(document.createElement('button'), { type: 'button', textContent: '×', title: `Forget '${name}'` });
      del.className = 'remove';
      del.addEventListener('click', () => this.remove(name));
      li.append(open, del);
      return li;
    });
    this.list.replaceChildren(...items);
  }

  showError(text) {
    this.error.textContent = text;
    this.error.title = text;
    this.error.hidden = !text;
  }
}
