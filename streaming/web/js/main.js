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
import { PendingIndicator } from './pending.js';
import { RenderSize } from './render_size.js';

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
    if (up) { renderSize.send(); refreshAll(); }
  },
});
const renderSize = new RenderSize(rpc);
const pending = new PendingIndicator($('[data-testid="rendering"]'));

const stats = new StatsOverlay($('#stats'), rpc);
new VideoView(socketUrl('/index_video_client'), $('[data-testid="viewport"]'), {
  onState: (up) => {
    state.video = up;
    updateConnection();
    if (up) pending.expect(); else pending.done(); // a new viewer gets the current frame at once
  },
  onFrame: (h) => {
    hook.framesReceived += 1;
    hook.lastFrameNumber = h.frame;
    stats.onFrame(h);
    pending.done();
    if (!colormap.stats) refreshStatistics();
  },
  onResize: (w, h) => renderSize.follow(w, h),
});
new CameraControls($('[data-testid="viewport"]'), rpc);

const colormap = new ColormapEditor($('#colormap'), rpc);
const roi = new RoiPanel($('#roi'), rpc);
const render = new RenderPanel($('#render'), rpc);
const time = new TimePanel($('#time'), rpc);
const insitu = new InsituPanel($('#insitu'), rpc);
hook.colormap = colormap;
hook.pending = pending;

async function refreshSceneInfo() {
  const info = await rpc.call('scene.info');
  $('#scene-name').textContent = info.name || '(unnamed scene)';
  $('#scene-description').textContent = info.description || '';
  $('#scene-credits').textContent = info.credits ? `Credits: ${info.credits}` : '';
  $('#scene-volumes').textContent = (info.volumes || [])
    .map((v) => `${v.name || v.id} (${v.dtype}, ${v.box.slice(3).map((hi, i) => hi - v.box[i]).join('×')})`)
    .join('\n');
  colormap.showStatistics(info.volumes && info.volumes[0] ? info.volumes[0].statistics : null);
}

// The statistics are null until a frame has read the volume (a new scene, step or field): asked for
// again after each frame until they come, one request at a time.
let statisticsAsked = false;
function refreshStatistics() {
  if (statisticsAsked || !rpc.connected) return;
  statisticsAsked = true;
  rpc.call('volume.info')
    .then((v) => { if (v.statistics) colormap.showStatistics(v.statistics); })
    .catch(() => { /* no volume: nothing to show */ })
    .finally(() => { statisticsAsked = false; });
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

// These put back the scene's canvas size or camera aspect ratio: the page sends its own again.
const RESETS_SIZE = ['scene.load', 'session.load', 'camera.reset'];

// Another client (or this one) changed the session: a frame is coming; show the server's state, at
// most every 100 ms.
let refreshTimer = null;
rpc.on('session.changed', (params) => {
  pending.expect();
  if ((params.methods || []).some((m) => RESETS_SIZE.includes(m))) renderSize.send();
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; if (rpc.connected) refreshAll(); }, 100);
});
rpc.on('session.frame_failed', () => pending.done()); // no frame is coming; the last good one stays

$('[data-testid="snapshot"]').addEventListener('click', async () => {
  const button = $('[data-testid="snapshot"]');
  button.disabled = true;
  try {
    // Opaque black under the image, as the page shows it (the default, the scene's background, is
    // usually transparent).
    const snap = await rpc.call('snapshot', { background: [0, 0, 0, 1] });
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
