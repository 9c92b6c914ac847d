// SPDX-License-Identifier: Apache-2.0
// Wires the viewer together: sockets, controls, panels, connection state, test hook.

import { RpcClient } from './rpc.js';
import { VideoView } from './video.js';
import { CameraControls } from './controls.js';
import { ColormapEditor } from './colormap_editor.js';
import { RoiPanel } from './roi.js';
import { RenderPanel } from './render_panel.js';
import { StatsOverlay } from './stats.js';
import { TimePanel } from './time_panel.js';
import { InsituPanel } from './insitu_panel.js';

const $ = (sel) => document.querySelector(sel);

function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  return `${scheme}//${location.host}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** Live test hook (read by the browser test). */
const hook = { framesReceived: 0, lastFrameNumber: -1, connected: false };
window.libindexViewer = hook;

const state = { rpc: false, video: false };
function updateConnection() {
  hook.connected = state.rpc && state.video;
  const el = $('[data-testid="connection"]');
  el.textContent = hook.connected ? 'connected' : 'reconnecting…';
  el.classList.toggle('ok', hook.connected);
}

const rpc = new RpcClient(socketUrl('/index_command_client'), {
  onState: (up) => {
    state.rpc = up;
    updateConnection();
    if (up) refreshAll();
  },
});

const stats = new StatsOverlay($('#stats'), rpc);
new VideoView(socketUrl('/index_video_client'), $('[data-testid="viewport"]'), {
  onState: (up) => { state.video = up; updateConnection(); },
  onFrame: (h) => {
    hook.framesReceived += 1;
    hook.lastFrameNumber = h.frame;
    stats.onFrame(h);
  },
});
new CameraControls($('[data-testid="viewport"]'), rpc);

const colormap = new ColormapEditor($('#colormap'), rpc);
const roi = new RoiPanel($('#roi'), rpc);
const render = new RenderPanel($('#render'), rpc);
const time = new TimePanel($('#time'), rpc);
const insitu = new InsituPanel($('#insitu'), rpc);

async function refreshSceneInfo() {
  const info = await rpc.call('scene.info');
  $('#scene-name').textContent = info.name || '(unnamed scene)';
  $('#scene-description').textContent = info.description || '';
  $('#scene-credits').textContent = info.credits ? `Credits: ${info.credits}` : '';
  $('#scene-volumes').textContent = (info.volumes || [])
    .map((v) => `${v.name || v.id} (${v.dtype}, ${v.box.slice(3).map((hi, i) => hi - v.box[i]).join('×')})`)
    .join('\n');
}

let presetsLoaded = false;
async function refreshAll() {
  const jobs = [
    presetsLoaded ? colormap.refresh() : colormap.load().then(() => { presetsLoaded = true; }),
    roi.refresh(),
    render.refresh(),
    time.refresh(),
    insitu.refresh(),
    refreshSceneInfo(),
  ];
  for (const r of await Promise.allSettled(jobs)) if (r.status === 'rejected') console.warn(r.reason);
}

// Another client (or this one) changed the session: show the server's state, at most every 100 ms.
let refreshTimer = null;
rpc.on('session.changed', () => {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; if (rpc.connected) refreshAll(); }, 100);
});

$('[data-testid="snapshot"]').addEventListener('click', async () => {
  const button = $('[data-testid="snapshot"]');
  button.disabled = true;
  try {
    const snap = await rpc.call('snapshot', {});
    const bytes = Uint8Array.from(atob(snap.png_base64), (c) => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `libindex-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    console.warn('snapshot failed', e);
  }
  button.disabled = false;
});

$('#reset-camera').addEventListener('click', () => rpc.call('camera.reset').catch((e) => console.warn(e)));

$('#panel-toggle').addEventListener('click', () => {
  const collapsed = document.body.classList.toggle('panel-collapsed');
  $('#panel-toggle').setAttribute('aria-expanded', String(!collapsed));
});

updateConnection();
