// SPDX-License-Identifier: Apache-2.0
// The scene's volumes, each with a checkbox that shows or hides it for everyone: IndeX's `enabled`
// attribute, set with set_scene_element (a scene edit every rank applies). Hidden volumes stay in
// the list (scene.info's hidden_volumes) so that they can be shown again.

const SET_ELEMENT = 'nv::index::app::scene_management_center::scene_management_center_command_receiver.set_scene_element';

function describe(v) {
  const size = v.box.slice(3).map((hi, i) => hi - v.box[i]).join('×');
  const drawn = v.drawn_by ? `, drawn by ${v.drawn_by}'s program` : '';
  return `${v.name || v.id} (${v.dtype}, ${size}${drawn})`;
}

export class VolumeList {
  /** `list`: the <ul> to fill; `rpc`: the page's RpcClient. */
  constructor(list, rpc) {
    this.list = list;
    this.rpc = rpc;
  }

  /** Shows scene.info's volumes and hidden_volumes. */
  show(info) {
    // A disabled volume that a program reads is still in `volumes` (enabled false): listed as hidden too.
    const rows = (info.volumes || [])
      .map((v) => (v.enabled === false ? { id: v.id, text: `${describe(v)} (hidden)`, on: false }
        : { id: v.id, text: describe(v), on: true }))
      .concat((info.hidden_volumes || []).map((v) => ({ id: v.id, text: `${v.name || v.id} (hidden)`, on: false })));
    this.list.replaceChildren(...rows.map((row) => this.row(row)));
  }

  row({ id, text, on }) {
    const item = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = on;
    box.dataset.testid = 'volume-enabled';
    box.dataset.volume = id;
    box.title = on ? 'Hide this volume' : 'Show this volume';
    box.addEventListener('change', async () => {
      box.disabled = true;
      try {
        await this.rpc.call(SET_ELEMENT, { id, args: { enabled: box.checked ? 'true' : 'false' } });
      } catch (e) {
        console.warn(`volume ${id}: not changed`, e);
        box.checked = !box.checked; // the scene did not change: show what it is
      }
      box.disabled = false; // the list itself is redrawn when the session says it changed
    });
    label.append(box, ` ${text}`);
    item.append(label);
    return item;
  }
}
