// SPDX-License-Identifier: Apache-2.0
// Wires the viewer together: sockets, controls, panels, overlays, connection state, test hook.

import { RpcClient, callOnOwnSocket } from './rpc.js';
import { VideoView } from './video.js';
import { CameraControls } from './controls.js';
import { ColormapEditor } from './colormap_editor.js';
import { RoiPanel } from './roi.js';
import { SlicePanel } from './slices.js';
import { ProgramPanel } from './program_panel.js';
import { RenderPanel } from './render_panel.js';
import { StatsOverlay } from './stats.js';
import { TimePanel } from './time_panel.js';
import { InsituPanel } from './insitu_panel.js';
import { PendingIndicator } from './pending.js';
import { RenderSize } from './render_size.js';
import { ViewGeometry } from './view_geometry.js';
import { BoundingBoxOverlay } from './bbox_overlay.js';
import { OrientationTriad } from './triad.js';
import { ColorLegend } from './legend.js';
import { CameraForm } from './camera_form.js';
import { SavedViews } from './saved_views.js';
import { FilePicker } from './file_picker.js';
import { VolumeList } from './volume_list.js';
import { downloadBlob } from './download.js';
import { wireOverlayToggles } from './overlay_toggles.js';

const $ = (sel) => document.querySelector(sel);

function socketUrl(path, args = {}) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = new URLSearchParams(args);
  const token = new URLSearchParams(location.search).get('token');
  if (token) query.set('token', token);
  const q = query.toString();
  return `${scheme}//${location.host}${path}${q ? `?${q}` : ''}`;
}

/** Live test hook (read by the browser test). */
const hook = { framesReceived: 0, lastFrameNumber: -1, connected: false };
window.libindexViewer = hook;

const state = { rpc: false, video: false };
// While the server cannot be reached, the badge says for how long (a job that ended, a node that
// died: the page keeps retrying, and the user sees that it is not just slow).
let unreachableSince = null, unreachableTimer = null;
function updateConnection() {
  hook.connected = state.rpc && state.video;
  const el = $('[data-testid="connection"]');
  if (hook.connected) {
    unreachableSince = null;
    clearInterval(unreachableTimer), unreachableTimer = null;
    el.textContent = 'connected';
  } else {
    if (unreachableSince === null) unreachableSince = Date.now();
    const seconds = Math.round((Date.now() - unreachableSince) / 1000);
    el.textContent = seconds < 5 ? 'reconnecting…'
      : `no server for ${seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`}; retrying`;
    if (unreachableTimer === null) unreachableTimer = setInterval(updateConnection, 1000);
  }
  el.classList.toggle('ok', hook.connected);
  // Without the command socket nothing in the panel can work: it is inert (no clicks, no focus) and
  // dimmed until the server answers again, rather than failing one control at a time.
  const panel = $('#panel');
  panel.inert = !state.rpc;
  panel.classList.toggle('offline', !state.rpc);
}

// What the server offers (rpc.discover's method names): an in-situ publisher, for one, loads no
// files, has no time series and no scene graph. Elements with data-needs="METHOD" show only where
// the server has METHOD, and the page asks for nothing else. undefined: still being asked (a
// notification's refresh in that time asks only for what every server has); null: the server cannot
// say, so everything.
let offered;
const offers = (method) => offered === null || (offered !== undefined && offered.has(method));
async function discover() {
  offered = undefined;
  try {
    offered = new Set((await rpc.call('rpc.discover')).methods.map((m) => m.name));
  } catch (e) {
    offered = null; // a server without rpc.discover: try everything, as before it existed
  }
  hook.offered = offered && [...offered];
  for (const el of document.querySelectorAll('[data-needs]')) el.hidden = !offers(el.dataset.needs);
}

// notify=1: the server's notifications (session.changed, frame.progress) come only when asked for.
const rpc = new RpcClient(socketUrl('/index_command_client', { notify: '1' }), {
  onState: async (up) => {
    state.rpc = up;
    updateConnection();
    if (!up) return;
    renderSize.send();
    await discover();
    refreshAll();
    if (offers('data.list')) picker.refresh();
  },
});
const renderSize = new RenderSize(rpc);
const pending = new PendingIndicator($('[data-testid="rendering"]'));

const stats = new StatsOverlay($('#stats'), rpc);
// Camera, volume box and frame size, for the overlays drawn over the frame.
const geometry = new ViewGeometry(rpc);
const showCamera = (camera) => geometry.setCamera(camera);
new VideoView(socketUrl('/index_video_client'), $('[data-testid="viewport"]'), {
  onState: (up) => {
    state.video = up;
    updateConnection();
    if (up) pending.expect(); else pending.done(); // a new viewer gets the current frame at once
  },
  onFrame: (h) => {
    hook.framesReceived += 1;
    hook.lastFrameNumber = h.frame;
    hook.lastFrameSize = { width: h.width, height: h.height };
    stats.onFrame(h);
    geometry.setFrame(h.width, h.height);
    pending.done();
    if (!colormap.stats) refreshStatistics();
  },
  onResize: (w, h) => renderSize.follow(w, h),
});
new CameraControls($('[data-testid="viewport"]'), rpc, { onCamera: showCamera });

const legend = new ColorLegend($('[data-testid="legend"]'));
const colormap = new ColormapEditor($('#colormap'), rpc, {
  onShow: (cm) => legend.show(cm),
  onVolume: () => {
    refreshStatistics();
    program.volumeChanged();
    legend.showVolume(colormap.editedVolume());
  },
});
const roi = new RoiPanel($('#roi'), rpc, { onShow: (r) => geometry.setRoi(r) });
const slices = new SlicePanel($('#slices'), rpc);
const program = new ProgramPanel($('#program'), rpc, { withVolume: (params) => colormap.withVolume(params) });
const bbox = new BoundingBoxOverlay($('[data-testid="bbox"]'), $('[data-testid="viewport"]'), geometry);
const triad = new OrientationTriad($('[data-testid="triad"]'), geometry);
wireOverlayToggles($('#overlays'), { legend, triad, bbox });
new CameraForm($('[data-testid="camera-form"]'), rpc, geometry, { onCamera: showCamera });
new SavedViews($('#saved-views'), rpc, geometry, { onCamera: showCamera });
const picker = new FilePicker($('#data'), rpc);
const volumeList = new VolumeList($('#scene-volumes'), rpc);
const render = new RenderPanel($('#render'), rpc);
const time = new TimePanel($('#time'), rpc);
const insitu = new InsituPanel($('#insitu'), rpc, {
  onField: (field) => { legend.showVolume(field); colormap.setVolumes([field]); },
});
hook.colormap = colormap;
hook.pending = pending;
hook.renderSize = renderSize;
hook.geometry = geometry;

async function refreshSceneInfo() {
  const info = await rpc.call('scene.info');
  $('#scene-name').textContent = info.name || '(unnamed scene)';
  // A scene without a volume renders only its background: say so, or the black view looks broken.
  $('#scene-description').textContent = (info.volumes || []).length === 0
    ? 'This scene has no volume: the view shows only the background. Open a volume or scene from Data.'
    : info.description || '';
  $('#scene-credits').textContent = info.credits ? `Credits: ${info.credits}` : '';
  volumeList.show(info);
  colormap.setVolumes(info.volumes);
  const edited = colormap.editedVolume();
  colormap.showStatistics(edited ? edited.statistics : null);
  legend.showVolume(edited);
}

// The statistics are null until a frame has read the volume (a new scene, step or field): asked for
// again after each frame until they come, one request at a time.
let statisticsAsked = false;
function refreshStatistics() {
  if (statisticsAsked || !rpc.connected || !offers('volume.info')) return;
  statisticsAsked = true;
  rpc.call('volume.info', colormap.withVolume({}))
    .then((v) => { if (v.statistics) colormap.showStatistics(v.statistics); })
    .catch(() => { /* no volume: nothing to show */ })
    .finally(() => { statisticsAsked = false; });
}

let presetsLoaded = false;
async function refreshAll() {
  const jobs = [
    presetsLoaded ? colormap.refresh() : colormap.load().then(() => { presetsLoaded = true; }),
    roi.refresh(),
    slices.refresh(),
    offers('program.get') && program.refresh(),
    render.refresh(),
    offers('time.get') && time.refresh(),
    offers('insitu.status') && insitu.refresh(),
    offers('scene.info') && refreshSceneInfo(),
    geometry.refreshCamera(),
  ];
  for (const r of await Promise.allSettled(jobs)) if (r.status === 'rejected') console.warn(r.reason);
}

// These put back the scene's canvas size or camera aspect ratio: the page sends its own again.
const RESETS_SIZE = ['scene.load', 'session.load', 'camera.reset'];

// Another client (or this one) changed the session: a frame is coming; show the server's state, at
// most every 100 ms.
let refreshTimer = null;
rpc.on('frame.progress', (p) => {
  pending.progress(p.done, p.total);
  // A movie under way (this page's Record orbit): which of its frames renders.
  const status = $('[data-testid="record-status"]');
  if (p.series && $('[data-testid="record"]').disabled && status.textContent.startsWith('recording'))
    status.textContent = `recording… frame ${p.series.done + 1} of ${p.series.total}`;
});
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
    downloadBlob(new Blob([bytes], { type: 'image/png' }), `libindex-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
  } catch (e) {
    // Said where the user looks (the record line under the buttons), not only in the console.
    const status = $('[data-testid="record-status"]');
    status.hidden = false;
    status.textContent = `no snapshot: ${e.message || e}`;
  }
  button.disabled = false;
});

// Record orbit: the server renders a turn around the view (movie.record) and writes the video under its
// --output-root; the page says where, or why not (a viewer started without --output-root writes nothing).
const RECORD_FRAMES = 72;
$('[data-testid="record"]').addEventListener('click', async () => {
  const button = $('[data-testid="record"]');
  const status = $('[data-testid="record-status"]');
  button.disabled = true;
  status.hidden = false;
  status.textContent = `recording ${RECORD_FRAMES} frames…`;
  try {
    const name = `orbit-${new Date().toISOString().replace(/[:.]/g, '-')}.mp4`;
    // On a socket of its own: the page's other commands are answered while the movie renders.
    const r = await callOnOwnSocket(socketUrl('/index_command_client'), 'movie.record',
      { path: name, frames: RECORD_FRAMES });
    status.textContent = `saved ${r.path} (${r.frames} frames, ${r.codec})`;
  } catch (e) {
    status.textContent = `not recorded: ${e.message || e}`;
  }
  button.disabled = false;
});

// Save view: the whole view (scene, camera, colormap, settings) as .prj text, downloaded; the file can
// be put under a data root and picked with Load view, or given to index-render.
$('[data-testid="save-view"]').addEventListener('click', async () => {
  try {
    const saved = await rpc.call('session.save');
    downloadBlob(new Blob([saved.project], { type: 'text/plain' }), 'view.prj');
  } catch (e) {
    picker.showError(`Save view: ${e.message}`);
  }
});
$('[data-testid="load-view"]').addEventListener('click', () => picker.setMode('session'));

$('#reset-camera').addEventListener('click', () => rpc.call('camera.reset').catch((e) => console.warn(e)));

$('#panel-toggle').addEventListener('click', () => {
  const collapsed = document.body.classList.toggle('panel-collapsed');
  $('#panel-toggle').setAttribute('aria-expanded', String(!collapsed));
});

updateConnection();
