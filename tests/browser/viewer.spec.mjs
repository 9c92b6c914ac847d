// SPDX-License-Identifier: Apache-2.0
// End-to-end test of the browser viewer against a real `viewer` (2 MPI ranks) in headless Chromium.
//
//   cd tests/browser && npm install
//   node viewer.spec.mjs [--viewer PATH]      (or LIBINDEX_VIEWER=PATH; default build-full/apps/viewer)
//
// Prints "N passed, N failed" last; exits non-zero on failure; always kills the viewers it started.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const WAIT_MS = 60000; // bound on every wait; a check fails only if nothing ever arrives

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const VIEWER = path.resolve(argValue('--viewer') || process.env.LIBINDEX_VIEWER || path.join(REPO, 'build-full/apps/viewer'));
// An in-situ simulation (examples/insitu_minimal) for the Simulation panel; its checks fail without it.
const INSITU = argValue('--insitu') ? path.resolve(argValue('--insitu')) : undefined;
const ARTIFACTS = process.env.LIBINDEX_ARTIFACTS || path.join(HERE, 'artifacts');
const CHROMIUM = process.env.LIBINDEX_CHROMIUM || '/usr/bin/chromium';

// A small, asymmetric scene (the synthetic supernova at 64^3) so that an orbit changes the image.
const SCENE = `#! index_app_project 0
app::scene::info::name = Browser test supernova
app::scene::info::description = The synthetic supernova at 64^3.
app::scene::info::credits = libindex test
index::canvas_resolution = 320 320
index::camera::from = 97 77 117
index::camera::dir = -65 -45 -85
index::camera::up = 0 1 0
index::camera::aperture = 0.033
index::camera::focal = 0.03
index::camera::aspect = 1
index::camera::orthographic = false
app::scene::root::children = group
app::scene::group::type = static_scene_group
app::scene::group::children = props colormap light supernova
app::scene::props::type = sparse_volume_rendering_properties
app::scene::props::sampling_distance = 0.5
app::scene::props::sampling_distance_reference = 1
app::scene::colormap::type = colormap
app::scene::colormap::preset = supernova
app::scene::colormap::domain = 0.05 1.0
app::scene::colormap::domain_boundary_mode = clamp_to_transparent
app::scene::light::type = directional_headlight
app::scene::light::direction = 0 0 -1
app::scene::supernova::type = sparse_volume
app::scene::supernova::importer = synthetic
app::scene::supernova::generator = supernova
app::scene::supernova::size = 64
app::scene::supernova::bbox = 0 0 0 64 64 64
`;

// A ball (values fall off from the centre) in a square canvas, so that the page must send its own,
// non-square size after loading it: drawn round only if the renderer and the page both keep the aspect.
const SPHERE_SCENE = `#! index_app_project 0
app::scene::info::name = Browser test sphere
index::canvas_resolution = 320 320
app::scene::root::children = props cmap ball
app::scene::props::type = sparse_volume_rendering_properties
app::scene::props::sampling_distance = 0.5
app::scene::cmap::type = colormap
app::scene::cmap::preset = viridis
app::scene::cmap::domain = 0.02 1
app::scene::cmap::domain_boundary_mode = clamp_to_transparent
app::scene::ball::type = sparse_volume
app::scene::ball::importer = synthetic
app::scene::ball::generator = sphere
app::scene::ball::size = 32
app::scene::ball::bbox = 0 0 0 32 32 32
`;

// ---- tiny harness ------------------------------------------------------------------------------
let passed = 0, failed = 0;
async function check(name, fn) {
  const start = Date.now();
  const took = () => `(${((Date.now() - start) / 1000).toFixed(1)} s)`;
  try {
    await fn();
    passed += 1;
    console.log(`PASS ${name} ${took()}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name} ${took()}: ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, message) { if (!cond) throw new Error(message); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, what, timeout = WAIT_MS) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

// ---- the viewer process ------------------------------------------------------------------------
// Started by tests/viewer/launch_viewer.py, the launcher the Python tests use too: it runs mpirun in a
// process group of its own on a port the kernel chooses, prints one READY line with it, and stops the whole
// group on SIGTERM or when its stdin ends (so also when this process dies).
const LAUNCHER = path.join(REPO, 'tests/viewer/launch_viewer.py');
const PYTHON = process.env.LIBINDEX_PYTHON || 'python3';
const READY_PREFIX = 'LIBINDEX_VIEWER_READY ';

const viewers = [];
async function startViewer(extra = [], { port = 0 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libindex-browser-'));
  const scene = path.join(dir, 'scene.prj');
  fs.writeFileSync(scene, SCENE);
  const args = [LAUNCHER, '--ranks', '2', '--timeout', String(WAIT_MS / 1000), '--port', String(port), VIEWER,
    '--add', scene, '--data-root', dir, '--web-root', path.join(REPO, 'streaming/web'), ...extra];
  const proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const v = { proc, dir, log: '', port: 0, url: '', pgid: 0 };
  viewers.push(v);
  await new Promise((resolve, reject) => {
    let pending = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => {
      pending += d;
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        if (line.startsWith(READY_PREFIX)) {
          const ready = JSON.parse(line.slice(READY_PREFIX.length));
          Object.assign(v, { port: ready.port, url: ready.url, pgid: ready.pgid });
          resolve();
        } else {
          v.log += `${line}\n`;
        }
      }
    });
    proc.on('exit', (code) => reject(new Error(`viewer exited (${code}):\n${v.log.slice(-3000)}`)));
  });
  return v;
}

function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

/** Stops every viewer and waits (synchronously: this also runs on 'exit') until its job is gone. */
function stopViewers() {
  for (const v of viewers) {
    try { v.proc.kill('SIGTERM'); } catch { /* gone */ }
  }
  const deadline = Date.now() + 30000; // the launcher's SIGTERM, then SIGKILL 20 s later
  for (const v of viewers) {
    while (v.pgid && groupAlive(v.pgid) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    if (v.pgid && groupAlive(v.pgid)) {
      try { process.kill(-v.pgid, 'SIGKILL'); } catch { /* gone */ }
    }
    fs.rmSync(v.dir, { recursive: true, force: true });
  }
  viewers.length = 0;
}
process.on('exit', stopViewers);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopViewers(); process.exit(130); });

/** GET `url`; a dropped connection is retried twice (logged, so a flaky server stays visible). */
// The in-situ program in a process group of its own (mpirun -np 2), until stopInsitu().
let insitu = null;
async function startInsitu() {
  const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
    OMPI_MCA_rmaps_base_oversubscribe: '1', LIBINDEX_WEB_ROOT: path.join(REPO, 'streaming/web') };
  insitu = spawn('mpirun', ['-np', '2', '--oversubscribe', INSITU, '100000'], { env, detached: true });
  let out = '';
  insitu.stdout.on('data', (d) => { out += d; });
  insitu.stderr.on('data', (d) => { out += d; });
  const m = await waitFor(() => /in-situ viewer running at (http:\/\/\S+)/.exec(out), 'the in-situ URL');
  return m[1];
}
function stopInsitu() {
  if (!insitu) return;
  try { process.kill(-insitu.pid, 'SIGKILL'); } catch (e) { /* gone already */ }
  insitu = null;
}

async function httpGet(url, headers = {}) {
  for (let attempt = 1; ; ++attempt) {
    try {
      return await httpGetOnce(url, headers);
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`note: GET ${url} failed (${e.message}); retrying`);
      await sleep(500);
    }
  }
}
function httpGetOnce(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

// ---- page helpers ------------------------------------------------------------------------------
/**
 * A second client, as a notebook would be: a command socket of its own per call, opened from a page
 * of its own on the viewer's origin. The tested page learns of its changes only from the server.
 */
async function openNotebook(context, url) {
  const nb = await context.newPage();
  await nb.goto(`${url}viewer.css`);
  const call = (method, params = {}) => nb.evaluate(async ([m, p]) => {
    const ws = new WebSocket(`ws://${location.host}/index_command_client`);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('no socket')); });
    const reply = await new Promise((resolve) => {
      ws.onmessage = (e) => { const msg = JSON.parse(e.data); if (msg.id === 1) resolve(msg); };
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params: p }));
    });
    ws.close();
    if (reply.error) throw new Error(`${m}: ${reply.error.message}`);
    return reply.result;
  }, [method, params]);
  return { call, close: () => nb.close() };
}
/**
 * Closes a page opened beside the viewer's and brings the viewer's page back to the front: headless
 * Chromium gives a page hidden behind another about one frame and one input event a second (a drag
 * of 10 mouse moves took 10 s).
 */
async function closeBeside(other, page) {
  await other.close();
  await page.bringToFront();
}
const near = (a, b, eps = 1e-3) => Math.abs(a - b) <= eps;
const sameCurve = (a, b) => !!a && !!b && a.length === b.length && a.every((p, i) => near(p[0], b[i][0]) && near(p[1], b[i][1]));

/** Pixels of a canvas of the page with alpha > 0 (the histogram's background is transparent). */
function paintedPixels(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
    return n;
  }, selector);
}

/** The RGBA at curve point (x, alpha) of the opacity-curve canvas (PAD 6 CSS pixels, as the editor). */
function curvePixel(page, x, alpha) {
  return page.evaluate(([px, pa]) => {
    const c = document.querySelector('[data-testid="opacity-curve"]'), s = c.width / c.clientWidth, pad = 6;
    const cx = Math.round((pad + px * (c.clientWidth - 2 * pad)) * s);
    const cy = Math.round((pad + (1 - pa) * (c.clientHeight - 2 * pad)) * s);
    return [...c.getContext('2d').getImageData(cx, cy, 1, 1).data];
  }, [x, alpha]);
}

/** Width and height (device pixels) of what is lit on the viewport canvas: its bounding box. */
function litBox(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    for (let y = 0; y < c.height; ++y) for (let x = 0; x < c.width; ++x) {
      const i = 4 * (y * c.width + x);
      if (d[i] + d[i + 1] + d[i + 2] > 60) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
    return { width: x1 - x0 + 1, height: y1 - y0 + 1, canvas: [c.width, c.height] };
  });
}

/** A coarse signature of the canvas: 32x32 grid of RGB samples, plus whether anything is lit. */
function canvasPixels(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const grid = [];
    let lit = 0;
    for (let gy = 0; gy < 32; ++gy) for (let gx = 0; gx < 32; ++gx) {
      const x = Math.floor((gx + 0.5) * c.width / 32), y = Math.floor((gy + 0.5) * c.height / 32);
      const i = 4 * (y * c.width + x);
      grid.push(d[i], d[i + 1], d[i + 2]);
    }
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) lit += 1;
    return { grid, lit, frame: window.libindexViewer.lastFrameNumber };
  });
}
function difference(a, b) {
  let n = 0;
  for (let i = 0; i < a.grid.length; i += 3) {
    if (Math.abs(a.grid[i] - b.grid[i]) + Math.abs(a.grid[i + 1] - b.grid[i + 1]) + Math.abs(a.grid[i + 2] - b.grid[i + 2]) > 24) n += 1;
  }
  return n;
}
/** Wait until the canvas shows a frame newer than `before` that differs from it in > 10 samples. */
async function waitForChange(page, before, what) {
  return waitFor(async () => {
    const now = await canvasPixels(page);
    return now.frame > before.frame && difference(now, before) > 10 ? now : null;
  }, what);
}
/**
 * Wait until the image has settled after an edit: no frame awaited, the last one at the size the page
 * asked for, and no new frame for a while. (Quiet time alone is not enough on a slow machine: a frame
 * at the page's size can take longer than the quiet time, and the one shown is then the old size's.)
 */
async function settled(page) {
  const state = () => page.evaluate(() => {
    const v = window.libindexViewer;
    const wanted = v.renderSize.wanted;
    const sized = !wanted || (v.lastFrameSize && v.lastFrameSize.width === wanted.width &&
      v.lastFrameSize.height === wanted.height);
    return { frame: v.lastFrameNumber, idle: !v.pending.pending && sized };
  });
  let last = await state();
  await waitFor(async () => {
    await sleep(600);
    const now = await state();
    const still = now.idle && now.frame === last.frame;
    last = now;
    return still;
  }, 'the image to settle');
  return canvasPixels(page);
}

// ---- the test ----------------------------------------------------------------------------------
async function main() {
  if (!fs.existsSync(VIEWER)) throw new Error(`viewer binary not found: ${VIEWER} (give --viewer PATH)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  await check('auth: 401 without credentials, 200 with them', async () => {
    const v = await startViewer(['--auth', 'user:pw']);
    const anonymous = await httpGet(v.url);
    assert(anonymous.status === 401, `GET / without credentials: ${anonymous.status}, expected 401`);
    const wrong = await httpGet(v.url, { Authorization: `Basic ${Buffer.from('user:nope').toString('base64')}` });
    assert(wrong.status === 401, `GET / with a wrong password: ${wrong.status}, expected 401`);
    const auth = { Authorization: `Basic ${Buffer.from('user:pw').toString('base64')}` };
    const page = await httpGet(v.url, auth);
    assert(page.status === 200, `GET / with credentials: ${page.status}, expected 200`);
    assert(page.body.includes('data-testid="viewport"'), 'GET / did not serve the viewer page');
    const js = await httpGet(`${v.url}js/main.js`, auth);
    assert(js.status === 200 && /javascript/.test(js.headers['content-type'] || ''),
      `js/main.js: ${js.status} ${js.headers['content-type']}`);
    stopViewers();
  });

  const v = await startViewer(['--allow-programs']); // the program panel sets programs
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'libindex-chromium-'));
  const outputRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'libindex-movies-')); // a later viewer's
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 640 }, // not square: the ball must still come out round
    acceptDownloads: true,
  });
  const pageErrors = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const sentCommands = []; // JSON-RPC requests the page sent
    const replies = []; // the replies it got, in order of arrival: {socket, id}
    let sockets = 0;
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/index_command_client')) return;
      const socket = ++sockets;
      ws.on('framesent', (f) => {
        try { sentCommands.push({ ...JSON.parse(f.payload), socket }); } catch { /* not JSON */ }
      });
      ws.on('framereceived', (f) => {
        try {
          const m = JSON.parse(f.payload);
          if (m.id !== undefined) replies.push({ socket, id: m.id });
        } catch { /* not JSON */ }
      });
    });
    await page.goto(v.url);
    const notebook = await openNotebook(context, v.url);
    await page.bringToFront(); // the notebook's page, opened last, hid it (see closeBeside)

    await check('page connects both sockets', async () => {
      await waitFor(() => page.evaluate(() => window.libindexViewer && window.libindexViewer.connected), 'connected');
      await waitFor(async () => (await page.textContent('[data-testid="connection"]')) === 'connected', 'the indicator');
    });

    let shown = null;
    await check('canvas shows a non-blank frame', async () => {
      await waitFor(() => page.evaluate(() => window.libindexViewer.framesReceived > 0), 'a frame');
      shown = await waitFor(async () => { const p = await canvasPixels(page); return p.lit > 100 ? p : null; },
        'lit pixels on the canvas');
    });

    await check('scene info and stats are shown', async () => {
      await waitFor(async () => (await page.textContent('#scene-name')) === 'Browser test supernova', 'the scene name');
      await waitFor(async () => /ranks 2/.test(await page.textContent('#stats')), '"ranks 2" in the stats overlay');
    });

    await check('unticking a volume hides it for everyone, ticking shows it again', async () => {
      const box = '[data-testid="volume-enabled"][data-volume="supernova"]';
      await waitFor(() => page.isChecked(box), 'the supernova listed, ticked');
      const before = await settled(page);
      await page.uncheck(box);
      await waitFor(async () => (await canvasPixels(page)).lit === 0 ? true : null, 'an empty frame');
      await waitFor(async () => (await page.textContent('#scene-volumes')).includes('(hidden)'), 'the volume listed as hidden');
      const info = await notebook.call('scene.info');
      assert(info.volumes.length === 0 && info.hidden_volumes[0].id === 'supernova',
        `scene.info after hiding: ${JSON.stringify(info.hidden_volumes)}`);
      await page.check(box);
      await waitFor(async () => difference(await canvasPixels(page), before) === 0 ? true : null, 'the same picture back');
    });

    await check('dragging on the canvas orbits the view', async () => {
      const before = await settled(page);
      const box = await page.locator('[data-testid="viewport"]').boundingBox();
      const x = box.x + box.width / 2, y = box.y + box.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      for (let i = 1; i <= 10; ++i) { await page.mouse.move(x + 15 * i, y + 4 * i); await sleep(20); }
      await page.mouse.up();
      shown = await waitForChange(page, before, 'the image to change after a drag');
    });

    await check('choosing another preset changes the image', async () => {
      await waitFor(() => page.evaluate(() => document.querySelector('[data-testid="preset"]').options.length > 2),
        'the preset list');
      const before = await settled(page);
      await page.selectOption('[data-testid="preset"]', 'grayscale');
      shown = await waitForChange(page, before, 'the image to change after a preset change');
    });

    await check('a change from another client shows in the controls', async () => {
      const other = await context.newPage();
      await other.goto(v.url);
      await waitFor(() => other.evaluate(() => window.libindexViewer && window.libindexViewer.connected), 'page 2');
      await waitFor(() => other.evaluate(() => document.querySelector('[data-testid="preset"]').options.length > 2),
        'page 2 presets');
      await other.selectOption('[data-testid="preset"]', 'magma');
      await waitFor(async () => (await page.inputValue('[data-testid="preset"]')) === 'magma',
        'the first page to show preset magma');
      await closeBeside(other, page);
    });

    await check('the frame area is beside the panel, and the renderer renders at its size', async () => {
      const area = async () => page.evaluate(() => {
        const c = document.querySelector('[data-testid="viewport"]').getBoundingClientRect();
        const p = document.querySelector('#panel').getBoundingClientRect();
        const canvas = document.querySelector('[data-testid="viewport"]');
        return { right: c.right, width: c.width, panelLeft: p.left, size: [canvas.width, canvas.height] };
      });
      const renderSize = async () => { const r = await notebook.call('render.get'); return [r.width, r.height]; };
      const beside = await area();
      assert(beside.right <= beside.panelLeft + 1, `canvas right ${beside.right} under the panel at ${beside.panelLeft}`);
      await waitFor(async () => JSON.stringify(await renderSize()) === JSON.stringify(beside.size),
        `render.get width/height to become the canvas's ${beside.size}`);
      await page.click('#panel-toggle'); // hidden panel: the area widens, and the renderer follows
      const wide = await waitFor(async () => { const a = await area(); return a.width > beside.width ? a : null; }, 'a wider canvas');
      await waitFor(async () => JSON.stringify(await renderSize()) === JSON.stringify(wide.size),
        `render.get width/height to follow to ${wide.size}`);
      await page.click('#panel-toggle');
      await waitFor(async () => JSON.stringify(await renderSize()) === JSON.stringify(beside.size), 'the size back');
    });

    await check('on a narrow screen the frame area is above the panel, full width, and the renderer follows', async () => {
      await page.setViewportSize({ width: 420, height: 800 });
      try {
        const narrow = await waitFor(() => page.evaluate(() => {
          const c = document.querySelector('[data-testid="viewport"]').getBoundingClientRect();
          const p = document.querySelector('#panel').getBoundingClientRect();
          return c.width === 420 ? { bottom: c.bottom, height: c.height, panelTop: p.top, panelWidth: p.width } : null;
        }), 'a full-width canvas');
        assert(narrow.bottom <= narrow.panelTop + 1, `canvas bottom ${narrow.bottom} under the panel at ${narrow.panelTop}`);
        assert(narrow.height > 300, `a frame area of ${narrow.height} px is too short`);
        assert(narrow.panelWidth >= 419, `the panel is ${narrow.panelWidth} px wide, not the screen's width`);
        await waitFor(async () => {
          const r = await notebook.call('render.get');
          return r.width === 420 && Math.abs(r.height - narrow.height) <= 1;
        }, 'render.get width/height to follow the narrow canvas');
      } finally {
        await page.setViewportSize({ width: 1200, height: 640 });
      }
    });

    await check('the histogram of the volume is drawn in the colormap editor', async () => {
      await waitFor(() => page.evaluate(() => !!window.libindexViewer.colormap.stats), 'statistics in the page');
      await waitFor(async () => (await paintedPixels(page, '[data-testid="histogram"]')) > 200, 'histogram pixels');
    });

    await check('domain sliders span the data range; rescale to data and to visible', async () => {
      const st = (await notebook.call('volume.info')).statistics;
      assert(st && st.max > st.min, `statistics ${JSON.stringify(st)}`);
      await notebook.call('colormap.set', { domain: [st.min + 0.3 * (st.max - st.min), st.max] });
      await waitFor(() => page.evaluate(() => {
        const s = document.querySelector('[data-cm="dmin"]'), c = window.libindexViewer.colormap;
        return c.cm.domain[0] > c.stats.min && Number(s.min) === c.stats.min && Number(s.max) === c.stats.max;
      }), 'sliders over [statistics min, max]');
      await page.click('[data-testid="rescale-data"]');
      await waitFor(async () => {
        const d = (await notebook.call('colormap.get')).domain;
        return near(d[0], st.min, 1e-5) && near(d[1], st.max, 1e-5);
      }, `domain [${st.min}, ${st.max}] after "rescale to data"`);
      // Only values in (0.4, 0.6) of the domain are visible: their range becomes the domain.
      await notebook.call('colormap.set', { opacity_points: [[0, 0], [0.4, 0], [0.5, 1], [0.6, 0], [1, 0]] });
      await waitFor(() => page.evaluate(() => window.libindexViewer.colormap.points.length === 5), 'the bump curve');
      await page.click('[data-testid="rescale-visible"]');
      const span = st.max - st.min, lo = st.min + 0.4 * span, hi = st.min + 0.6 * span;
      await waitFor(async () => {
        const d = (await notebook.call('colormap.get')).domain;
        return near(d[0], lo, 0.01 * span) && near(d[1], hi, 0.01 * span);
      }, `domain about [${lo}, ${hi}] after "rescale to visible"`);
      // A typed domain: an empty field is no number (not 0), and min must stay below max; either is
      // refused where it was typed and the server's domain stays.
      const before = (await notebook.call('colormap.get')).domain;
      const typed = async (field, text) => {
        await page.fill(`[data-cm="${field}"]`, text);
        await page.press(`[data-cm="${field}"]`, 'Enter');
        await new Promise((r) => setTimeout(r, 300));
        return (await notebook.call('colormap.get')).domain;
      };
      for (const [field, text] of [['dminv', ''], ['dmaxv', ''], ['dminv', String(before[1] + 1)], ['dmaxv', '1e400']]) {
        const after = await typed(field, text);
        assert(near(after[0], before[0], 1e-9) && near(after[1], before[1], 1e-9),
          `typing '${text}' in ${field} changed the domain ${JSON.stringify(before)} to ${JSON.stringify(after)}`);
      }
      await page.locator('[data-cm="dmaxv"]').blur();
      await waitFor(() => page.evaluate((d) => Number(document.querySelector('[data-cm="dminv"]').value) === Number(
        String(Number(Number(d[0]).toPrecision(5)))), before), 'the refused field to show the server\'s value again');
    });

    await check('a curve set by another client shows in the page, with the preset name', async () => {
      const curve = [[0, 0.1], [0.3, 0.9], [0.7, 0.2], [1, 0.6]];
      await notebook.call('colormap.set', { preset: 'viridis', domain: [0.05, 1], opacity_points: curve });
      await waitFor(() => page.evaluate((c) => {
        const p = window.libindexViewer.colormap.points;
        return p.length === c.length && p.every((q, i) => Math.abs(q[0] - c[i][0]) < 1e-3 && Math.abs(q[1] - c[i][1]) < 1e-3);
      }, curve), 'the page to take the curve');
      const [r, g, b] = await curvePixel(page, 0.3, 0.9);
      assert(b > 200 && g > 150 && r < 150, `no handle drawn at (0.3, 0.9): rgb ${r},${g},${b}`);
      await waitFor(async () => (await page.inputValue('[data-testid="preset"]')) === 'viridis', 'preset viridis shown');
    });

    await check('dragging a handle sends the whole curve', async () => {
      const canvas = page.locator('[data-testid="opacity-curve"]');
      await canvas.scrollIntoViewIfNeeded();
      const box = await canvas.boundingBox();
      const at = (x, a) => [box.x + 6 + x * (box.width - 12), box.y + 6 + (1 - a) * (box.height - 12)];
      await page.mouse.move(...at(0.3, 0.9));
      await page.mouse.down();
      for (let i = 1; i <= 5; ++i) { await page.mouse.move(...at(0.3, 0.9 - 0.1 * i)); await sleep(30); }
      await page.mouse.up();
      await waitFor(async () => {
        const p = (await notebook.call('colormap.get')).opacity_points;
        return p && p.length === 4 && near(p[1][1], 0.4, 0.05) && sameCurve([p[0], p[2], p[3]], [[0, 0.1], [0.7, 0.2], [1, 0.6]]);
      }, 'opacity_points with the moved handle and the others kept');
    });

    await check('"rendering…" shows while a slow frame is pending, with its progress, and goes', async () => {
      await settled(page);
      await notebook.call('render.set', { sampling_distance: 0.01 }); // 50 times the samples: a slow frame
      await waitFor(() => page.isVisible('[data-testid="rendering"]'), 'the indicator');
      // The server reports how far the frame is (frame.progress), and the indicator says so.
      const shown = await waitFor(async () => {
        const text = await page.textContent('[data-testid="rendering"]');
        return /^rendering… \d+%$/.test(text) ? text : null;
      }, 'the indicator to show the frame\'s progress');
      assert(Number(shown.match(/\d+/)[0]) <= 100, `progress ${shown}`);
      await waitFor(async () => !(await page.isVisible('[data-testid="rendering"]')), 'the indicator to go');
      assert((await page.textContent('[data-testid="rendering"]')) === 'rendering…', 'the next wait starts without a number');
      await notebook.call('render.set', { sampling_distance: 0.5 });
      await notebook.call('colormap.set', { preset: 'supernova', opacity_points: [[0, 0], [1, 1]] });
    });

    // ---- ParaView colormap JSON: import (a file input) and export (a download) -------------------
    // Three RGBPoints over [-2, 6]: red at -2, green at 2, blue at 6; opacity 0 -> 1 over the domain.
    const PARAVIEW = [{ Name: 'rgb test', ColorSpace: 'Diverging', NanColor: [1, 1, 0],
      RGBPoints: [-2, 1, 0, 0, 2, 0, 1, 0, 6, 0, 0, 1], Points: [-2, 0, 0.5, 0, 6, 1, 0.5, 0] }];
    const importFile = (name, content) => page.setInputFiles('[data-testid="paraview-file"]',
      { name, mimeType: 'application/json', buffer: Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)) });
    const colormapSets = () => sentCommands.filter((m) => m.method === 'colormap.set').length;
    const rgbNear = (e, rgb, eps) => rgb.every((c, k) => near(e[k], c, eps));
    const pvErrorShown = async () => (await page.isVisible('[data-testid="colormap-error"]'))
      && (await page.textContent('[data-testid="colormap-error"]'));

    await check('Import ParaView: a file sets the table, domain and opacity curve with one colormap.set', async () => {
      const curve = [[0, 0.2], [0.5, 0.7], [1, 0.3]]; // before: not the file's curve
      await notebook.call('colormap.set', { preset: 'supernova', domain: [0.05, 1], opacity_points: curve });
      await waitFor(async () => sameCurve(await page.evaluate(() => window.libindexViewer.colormap.points), curve),
        'the page to take the curve');
      const sets = colormapSets();
      await importFile('rgb.json', PARAVIEW);
      const cm = await waitFor(async () => {
        const c = await notebook.call('colormap.get');
        return near(c.domain[0], -2, 1e-6) && near(c.domain[1], 6, 1e-6) ? c : null;
      }, 'colormap.get domain [-2, 6]');
      const e = cm.entries;
      assert(e.length === 256, `${e.length} entries, expected 256`);
      assert(rgbNear(e[0], [1, 0, 0], 1e-4), `entry 0 ${e[0]}, expected red`);
      assert(rgbNear(e[255], [0, 0, 1], 1e-4), `entry 255 ${e[255]}, expected blue`);
      // entry 128 lies at x = -2 + 8 * 128/255 = 2.0157, just past green (x = 2) toward blue
      assert(rgbNear(e[128], [0, 1 - 1 / 255, 1 / 255], 1e-4), `entry 128 ${e[128]}, expected (0, 0.996, 0.004)`);
      assert(rgbNear(e[64], [1 - 128 / 255, 128 / 255, 0], 1e-4), `entry 64 ${e[64]}, expected red-green (0.498, 0.502, 0)`);
      assert(sameCurve(cm.opacity_points, [[0, 0], [1, 1]]), `opacity_points ${JSON.stringify(cm.opacity_points)}`);
      assert(near(e[0][3], 0, 1e-4) && near(e[255][3], 1, 1e-4) && near(e[128][3], 128 / 255, 1e-4),
        `alphas ${e[0][3]}, ${e[128][3]}, ${e[255][3]} do not follow the file's opacity ramp`);
      assert(cm.preset === null, `preset ${cm.preset} after an import`);
      const sent = sentCommands.filter((m) => m.method === 'colormap.set').slice(sets);
      assert(JSON.stringify(cm.nan_color) === '[1,1,0,1]', `nan_color ${JSON.stringify(cm.nan_color)}: the file's NanColor, opaque`);
      assert(sent.length === 1 && Object.keys(sent[0].params).sort().join() === 'domain,entries,nan_color,opacity_points'
        && sent[0].params.entries.every((x) => x[3] === 1),
      `the import sent ${sent.length} colormap.set: ${JSON.stringify(sent.map((m) => Object.keys(m.params)))}`);
      await waitFor(async () => (await page.inputValue('[data-testid="preset"]')) === ''
        && (await page.inputValue('[data-cm="dminv"]')) === '-2' && (await page.inputValue('[data-cm="dmaxv"]')) === '6',
      'the page to show (custom) over [-2, 6]');
      assert(!(await page.isVisible('[data-testid="colormap-error"]')), 'an error line after a good import');
    });

    await check('Import ParaView: a broken file shows one error message, in full, and changes nothing', async () => {
      const before = await notebook.call('colormap.get');
      const sets = colormapSets();
      // Each error differs from the one before, so each file's own line is awaited.
      const broken = [
        ['not JSON', '{"RGBPoints": [0, 1, 0', /^ParaView import: not JSON/],
        ['no RGBPoints', [{ Name: 'x', Points: [0, 1, 0.5, 0, 1, 1, 0.5, 0] }], /^ParaView import: no "RGBPoints"/],
        ['a wrong count', [{ RGBPoints: [0, 1, 0, 0, 1, 0, 1] }], /^ParaView import: "RGBPoints" holds 7 numbers, not a multiple of 4/],
        ['x decreasing', [{ RGBPoints: [0, 1, 0, 0, 2, 0, 1, 0, 1, 0, 0, 1] }], /^ParaView import: "RGBPoints" x values decrease/],
        ['x spanning nothing', [{ RGBPoints: [1, 1, 0, 0, 1, 0, 1, 0] }], /^ParaView import: "RGBPoints" x values span nothing/],
        ['a colour above 1', [{ RGBPoints: [0, 1, 0, 0, 1, 0, 255, 0] }], /^ParaView import: "RGBPoints" colour at x = 1 is outside \[0, 1\]/],
        ['a wrong Points count', [{ RGBPoints: [0, 1, 0, 0, 1, 0, 1, 0], Points: [0, 0, 0.5, 0, 1] }], /^ParaView import: "Points" holds 5 numbers/],
        ['an opacity above 1', [{ RGBPoints: [0, 1, 0, 0, 1, 0, 1, 0], Points: [0, 0, 0.5, 0, 1, 2, 0.5, 0] }], /^ParaView import: "Points" opacity at x = 1 is outside \[0, 1\]/],
      ];
      for (const [what, content, expected] of broken) {
        await importFile('broken.json', content);
        let error = '';
        await waitFor(async () => { error = await pvErrorShown(); return error && expected.test(error); },
          `an error line for ${what} matching ${expected}`).catch((e) => { throw new Error(`${e.message}; shown: '${error}'`); });
        assert(!/\n/.test(error), `${what}: the error is not one line: ${error}`);
        const cut = await page.evaluate(() => {
          const e = document.querySelector('[data-testid="colormap-error"]');
          return e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
        });
        assert(!cut, `${what}: the error is cut off: its reason must be readable without hovering`);
      }
      await sleep(300);
      assert(colormapSets() === sets, `a broken file sent ${colormapSets() - sets} colormap.set`);
      const after = await notebook.call('colormap.get');
      assert(JSON.stringify(after) === JSON.stringify(before), 'colormap.get changed after a broken import');
    });

    await check('Import ParaView without Points keeps the opacity curve, and the error line goes', async () => {
      const curve = [[0, 0.1], [0.4, 0.8], [1, 0.5]];
      await notebook.call('colormap.set', { opacity_points: curve });
      await waitFor(async () => sameCurve(await page.evaluate(() => window.libindexViewer.colormap.points), curve),
        'the page to take the curve');
      assert(await pvErrorShown(), 'no error line left from the broken files');
      await importFile('no_points.json', { Name: 'grey', ColorSpace: 'RGB', RGBPoints: [10, 0, 0, 0, 20, 1, 1, 1] });
      const cm = await waitFor(async () => {
        const c = await notebook.call('colormap.get');
        return near(c.domain[0], 10) && near(c.domain[1], 20) ? c : null;
      }, 'colormap.get domain [10, 20]');
      assert(sameCurve(cm.opacity_points, curve), `opacity_points ${JSON.stringify(cm.opacity_points)}, expected ${JSON.stringify(curve)}`);
      assert(rgbNear(cm.entries[0], [0, 0, 0], 1e-4) && rgbNear(cm.entries[255], [1, 1, 1], 1e-4), 'not a grey ramp');
      assert(cm.nan_color === null, `nan_color ${JSON.stringify(cm.nan_color)}: a file without NanColor has none`);
      await waitFor(async () => !(await page.isVisible('[data-testid="colormap-error"]')), 'the error line to go');
    });

    await check('Import ParaView: NanColor and NanOpacity make the NaN colour; a bad NanColor is refused', async () => {
      const got = await page.evaluate(async () => {
        const m = await import(new URL('js/paraview_colormap.js', location.href).href);
        const base = { RGBPoints: [0, 0, 0, 0, 1, 1, 1, 1] };
        const refused = (extra) => { try { m.parseParaView(JSON.stringify({ ...base, ...extra })); return ''; } catch (e) { return e.message; } };
        return { half: m.parseParaView(JSON.stringify({ ...base, NanColor: [0, 0.5, 1], NanOpacity: 0.25 })).nan_color,
          none: m.parseParaView(JSON.stringify(base)).nan_color, bad: refused({ NanColor: [2, 0, 0] }),
          badOpacity: refused({ NanColor: [1, 0, 0], NanOpacity: 'x' }) };
      });
      assert(JSON.stringify(got.half) === '[0,0.5,1,0.25]' && got.none === null, `nan_color ${JSON.stringify(got)}`);
      assert(got.bad.includes('NanColor') && got.badOpacity.includes('NanOpacity'), `errors: ${got.bad} / ${got.badOpacity}`);
    });

    await check('Import ParaView: Points beyond the domain are cut at its ends (parser in the page)', async () => {
      // Points 0 at x = -10, 1 at 5, 0 at 20 over the domain [0, 10]: 2/3 at both ends.
      const pv = await page.evaluate(async () => {
        const m = await import(new URL('js/paraview_colormap.js', location.href).href);
        return m.parseParaView(JSON.stringify({ RGBPoints: [0, 0, 0, 0, 10, 1, 1, 1], Points: [-10, 0, 0.5, 0, 5, 1, 0.5, 0, 20, 0, 0.5, 0] }));
      });
      assert(sameCurve(pv.opacity_points, [[0, 2 / 3], [0.5, 1], [1, 2 / 3]]), `opacity_points ${JSON.stringify(pv.opacity_points)}`);
    });

    const exportDownload = async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: WAIT_MS }),
        page.click('[data-testid="paraview-export"]'),
      ]);
      const file = path.join(ARTIFACTS, download.suggestedFilename());
      await download.saveAs(file);
      return { name: download.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
    };

    await check('Export ParaView downloads the colormap as ParaView JSON', async () => {
      await importFile('rgb.json', PARAVIEW);
      await waitFor(async () => near((await notebook.call('colormap.get')).domain[0], -2), 'the rgb import');
      const cm = await notebook.call('colormap.get');
      const { name, text } = await exportDownload();
      assert(name === 'libindex.json', `download named ${name}`);
      const doc = JSON.parse(text);
      assert(Array.isArray(doc) && doc.length === 1, 'not an array of one colormap');
      const [pv] = doc;
      assert(pv.Name === 'libindex' && pv.ColorSpace === 'RGB', `Name ${pv.Name}, ColorSpace ${pv.ColorSpace}`);
      const x = pv.RGBPoints.filter((_, i) => i % 4 === 0);
      assert(pv.RGBPoints.length === 4 * cm.entries.length, `${pv.RGBPoints.length / 4} RGBPoints for ${cm.entries.length} entries`);
      assert(near(x[0], -2, 1e-6) && near(x[x.length - 1], 6, 1e-6) && x.every((v, i) => i === 0 || v > x[i - 1]),
        `RGBPoints x from ${x[0]} to ${x[x.length - 1]}, expected -2 .. 6 increasing`);
      assert(JSON.stringify(pv.RGBPoints.slice(1, 4)) === JSON.stringify(cm.entries[0].slice(0, 3)),
        `first colour ${pv.RGBPoints.slice(1, 4)}, entry 0 ${cm.entries[0]}`);
      assert(JSON.stringify(pv.Points) === JSON.stringify([-2, 0, 0.5, 0, 6, 1, 0.5, 0]), `Points ${JSON.stringify(pv.Points)}`);
      assert(JSON.stringify(pv.NanColor) === '[1,1,0]' && pv.NanOpacity === 1, `NanColor ${pv.NanColor}, NanOpacity ${pv.NanOpacity}`);
    });

    await check('Export ParaView names the file after the preset, and imports back to the same table', async () => {
      await notebook.call('colormap.set', { preset: 'viridis', domain: [0.25, 0.75], opacity_points: [[0, 0], [0.5, 0.6], [1, 0.9]] });
      await waitFor(async () => (await page.inputValue('[data-testid="preset"]')) === 'viridis', 'preset viridis shown');
      const cm = await notebook.call('colormap.get');
      const { name, text } = await exportDownload();
      assert(name === 'viridis.json' && JSON.parse(text)[0].Name === 'viridis', `download ${name}`);
      await importFile(name, text);
      const back = await waitFor(async () => { const c = await notebook.call('colormap.get'); return c.preset === null ? c : null; },
        'the exported file imported back');
      assert(near(back.domain[0], 0.25, 1e-6) && near(back.domain[1], 0.75, 1e-6), `domain ${back.domain}`);
      assert(back.entries.length === cm.entries.length && back.entries.every((e, i) => e.every((v, k) => near(v, cm.entries[i][k], 1e-5))),
        'the table imported back differs from the exported one');
      assert(sameCurve(back.opacity_points, cm.opacity_points), `opacity_points ${JSON.stringify(back.opacity_points)}`);
      await notebook.call('colormap.set', { preset: 'supernova', domain: [0.05, 1], opacity_points: [[0, 0], [1, 1]] });
    });

    await check('snapshot button downloads a PNG', async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: WAIT_MS }),
        page.click('[data-testid="snapshot"]'),
      ]);
      assert(/\.png$/.test(download.suggestedFilename()), `download named ${download.suggestedFilename()}`);
      const file = path.join(ARTIFACTS, 'snapshot.png');
      await download.saveAs(file);
      const head = fs.readFileSync(file).subarray(0, 8);
      assert(head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'the download is not a PNG');
      const asked = sentCommands.filter((m) => m.method === 'snapshot');
      assert(asked.length > 0 && asked.every((m) => JSON.stringify(m.params.background) === '[0,0,0,1]'),
        `snapshot requests ${JSON.stringify(asked)}, expected background [0,0,0,1]`);
    });

    await check('record orbit asks the server for a movie and says why not without an output root', async () => {
      await page.click('[data-testid="record"]');
      await page.waitForFunction(() => /not recorded|saved/.test(
        document.querySelector('[data-testid="record-status"]').textContent), null, { timeout: WAIT_MS });
      const text = await page.textContent('[data-testid="record-status"]');
      assert(/not recorded: .*--output-root/.test(text), `record status: ${text}`);
      const asked = sentCommands.filter((m) => m.method === 'movie.record');
      assert(asked.length === 1 && /^orbit-.*\.mp4$/.test(asked[0].params.path) && asked[0].params.frames === 72,
        `movie.record requests ${JSON.stringify(asked)}`);
    });

    await check('screenshot saved', async () => {
      const file = path.join(ARTIFACTS, 'viewer.png');
      await page.screenshot({ path: file });
      assert(fs.statSync(file).size > 1000, 'screenshot is empty');
      console.log(`screenshot: ${file}`);
    });

    // ---- overlays, camera values, saved views, the file picker, Save/Load view -----------------
    await check('the colour legend shows the domain\'s numbers and the colormap\'s colours; it can be switched off', async () => {
      // The domain is in normalized units, as in scene files; the uint8 volume stores 255 times them,
      // and the legend shows the stored values: 0.125 * 255 = 31.875, 127.5, 223.125.
      await notebook.call('colormap.set', { preset: 'grayscale', domain: [0.125, 0.875] });
      const labels = () => page.evaluate(() => ['min', 'mid', 'max']
        .map((k) => document.querySelector(`[data-testid="legend"] [data-legend="${k}"]`).textContent));
      await waitFor(async () => {
        const t = (await labels()).map(Number);
        return near(t[0], 31.875, 0.06) && near(t[1], 127.5, 0.06) && near(t[2], 223.125, 0.06); // 4 digits
      }, 'legend labels 31.88, 127.5, 223.1 (stored uint8 values)');
      // The domain inputs keep the scene file's units; under them the domain in stored values.
      const storedDomain = () => Promise.all([page.inputValue('[data-cm="smin"]'), page.inputValue('[data-cm="smax"]')]);
      await waitFor(async () => (await page.inputValue('[data-cm="dminv"]')) === '0.125'
        && (await page.textContent('[data-cm="stored-type"]')) === 'Stored uint8'
        && (await storedDomain()).join() === '31.875,223.125',
      'the domain 0.125 with "Stored uint8 31.875 223.125" under it');
      // Typed in stored values (a CT window in its own units), the domain is set normalized.
      await page.fill('[data-cm="smin"]', '51');
      await page.press('[data-cm="smin"]', 'Enter');
      await page.fill('[data-cm="smax"]', '204');
      await page.press('[data-cm="smax"]', 'Enter');
      await page.$eval('[data-cm="smax"]', (el) => el.blur()); // a focused input is the user's: not refreshed
      await waitFor(async () => {
        const d = (await notebook.call('colormap.get')).domain;
        return near(d[0], 0.2, 1e-6) && near(d[1], 0.8, 1e-6) && (await page.inputValue('[data-cm="dminv"]')) === '0.2';
      }, 'colormap.get domain [0.2, 0.8] after typing 51 and 204');
      await notebook.call('colormap.set', { domain: [0.125, 0.875] });
      await waitFor(async () => (await storedDomain()).join() === '31.875,223.125', 'the stored domain back to 31.875..223.125');
      assert(await page.isVisible('[data-testid="legend"]'), 'the legend is not visible');
      // grayscale: dark grey at the left end of the bar, light at the right
      const ends = () => page.evaluate(() => {
        const c = document.querySelector('[data-legend="bar"]'), y = Math.floor(c.height / 2);
        const px = (x) => [...c.getContext('2d').getImageData(x, y, 1, 1).data];
        return [px(1), px(c.width - 2)];
      });
      await waitFor(async () => {
        const [l, r] = await ends();
        return l[3] === 255 && r[3] === 255 && l[0] < 60 && r[0] > 200 && Math.abs(r[0] - r[2]) < 8;
      }, 'a grey ramp in the legend bar');
      await page.click('[data-testid="show-legend"]');
      assert(!(await page.isVisible('[data-testid="legend"]')), 'the legend stays after switching it off');
      await page.click('[data-testid="show-legend"]');
      assert(await page.isVisible('[data-testid="legend"]'), 'the legend does not come back');
      await notebook.call('colormap.set', { preset: 'supernova', domain: [0.05, 1] });
    });

    // The page's camera, as the overlays use it, once it equals the server's.
    const sameCamera = (a, b, eps = 1e-4) => ['from', 'dir', 'up'].every((k) => a[k].every((x, i) => near(x, b[k][i], eps * Math.max(1, Math.abs(x)))))
      && near(a.aperture, b.aperture, eps) && near(a.focal, b.focal, eps) && !!a.orthographic === !!b.orthographic;
    const FRONT = { from: [32, 32, 200], dir: [0, 0, -1], up: [0, 1, 0] };

    await check('the axes triad: x right, y up, z toward the viewer for a camera looking down -z', async () => {
      await notebook.call('camera.set', FRONT);
      const axes = () => page.evaluate(() => {
        const out = {};
        for (const a of ['x', 'y', 'z']) {
          const line = document.querySelector(`[data-testid="triad"] [data-axis="${a}"] line`);
          const r = line.getBoundingClientRect();
          out[a] = { dx: line.x2.baseVal.value - line.x1.baseVal.value, dy: line.y2.baseVal.value - line.y1.baseVal.value,
            width: r.width, height: r.height, stroke: getComputedStyle(line).stroke };
        }
        return out;
      });
      const t = await waitFor(async () => {
        const a = await axes();
        return a.x.dx > 20 && Math.abs(a.x.dy) < 0.5 && a.y.dy < -20 && Math.abs(a.y.dx) < 0.5
          && Math.abs(a.z.dx) < 0.5 && Math.abs(a.z.dy) < 0.5 ? a : null;
      }, 'x to the right, y up, z end-on');
      assert(t.x.width > 20 && t.x.height < 5, `the x axis on screen: ${JSON.stringify(t.x)}`);
      assert(/rgb\(2\d\d, \d{1,2}, \d{1,2}\)/.test(t.x.stroke) && /rgb\(\d{1,3}, 1\d\d, \d{1,3}\)/.test(t.y.stroke),
        `axis colours x ${t.x.stroke}, y ${t.y.stroke}`);
      assert(await page.isVisible('[data-testid="triad"]'), 'the triad is not visible');
      // Looking down +x with up +y: screen right = dir x up = z, and x is end-on.
      await notebook.call('camera.set', { from: [-100, 32, 32], dir: [1, 0, 0], up: [0, 1, 0] });
      await waitFor(async () => { const a = await axes(); return a.z.dx > 20 && Math.abs(a.x.dx) < 0.5; },
        'z to the right for a camera looking down +x');
    });

    await check('a stored view restores the camera', async () => {
      await notebook.call('camera.set', FRONT);
      await waitFor(async () => (await page.inputValue('[data-cam="from-2"]')) === '200', 'the form to show the camera');
      await page.fill('[data-testid="view-name"]', 'front');
      await page.click('[data-testid="save-camera"]');
      await waitFor(() => page.$('[data-testid="saved-views"] [data-view="front"]'), 'the view in the list');
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('libindex.savedViews')).front);
      const before = await notebook.call('camera.get');
      assert(sameCamera(stored, before), `stored ${JSON.stringify(stored)}, server ${JSON.stringify(before)}`);
      const moved = await notebook.call('camera.orbit', { azimuth: 50, elevation: 20 });
      assert(!sameCamera(moved, stored), 'the orbit did not move the camera');
      await page.click('[data-testid="saved-views"] [data-view="front"]');
      await waitFor(async () => sameCamera(await notebook.call('camera.get'), stored), 'camera.get to equal the stored view');
    });

    await check('typed camera values show the server\'s camera and apply with camera.set', async () => {
      await notebook.call('camera.set', { from: [10, 20, 150], dir: [0.1, 0, -1], up: [0, 1, 0] });
      await waitFor(async () => (await page.inputValue('[data-cam="from-1"]')) === '20'
        && (await page.inputValue('[data-cam="dir-0"]')) === '0.1', 'the form to follow another client');
      const typed = { from: [40, 30, 180], dir: [-0.05, -0.02, -1], up: [0, 1, 0] };
      for (const k of ['from', 'dir', 'up']) for (let i = 0; i < 3; ++i) await page.fill(`[data-cam="${k}-${i}"]`, String(typed[k][i]));
      await page.click('[data-testid="camera-apply"]');
      await waitFor(async () => {
        const c = await notebook.call('camera.get');
        return ['from', 'dir', 'up'].every((k) => c[k].every((x, i) => near(x, typed[k][i], 1e-4 * Math.max(1, Math.abs(x)))));
      }, 'camera.get to equal the typed values');
      await page.fill('[data-cam="dir-0"]', '0');
      await page.fill('[data-cam="dir-1"]', '0');
      await page.fill('[data-cam="dir-2"]', '0'); // no direction: the server refuses, the page says why
      await page.click('[data-testid="camera-apply"]');
      await waitFor(() => page.isVisible('[data-cam="error"]'), 'an error line for dir 0 0 0');
      await page.click('[data-cam="revert"]');
      await waitFor(async () => (await page.inputValue('[data-cam="dir-2"]')) === '-1', 'the server\'s dir back in the form');
    });

    let savedProject = '';
    await check('Save view downloads the view as a .prj with the camera', async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: WAIT_MS }),
        page.click('[data-testid="save-view"]'),
      ]);
      assert(download.suggestedFilename() === 'view.prj', `download named ${download.suggestedFilename()}`);
      const file = path.join(ARTIFACTS, 'view.prj');
      await download.saveAs(file);
      savedProject = fs.readFileSync(file, 'utf8');
      const from = /index::camera::from\s*=\s*(\S+)\s+(\S+)\s+(\S+)/.exec(savedProject);
      assert(from, `no index::camera::from in the saved view:\n${savedProject.slice(0, 500)}`);
      assert([40, 30, 180].every((x, i) => near(Number(from[i + 1]), x, 1e-3)), `saved camera from ${from[0]}`);
    });

    const CUBE = 'cube_24x16x20_uint8.raw';
    await check('the file picker lists a new file from data.list, shows a load error in full, and opens it', async () => {
      fs.mkdirSync(path.join(v.dir, 'vols'), { recursive: true });
      fs.writeFileSync(path.join(v.dir, 'vols', CUBE), Buffer.alloc(24 * 16 * 20, 200)); // fills its box
      fs.writeFileSync(path.join(v.dir, 'vols', 'broken_8x8x8_uint8.raw'), Buffer.alloc(10)); // too short
      await page.click('[data-testid="data-refresh"]');
      await page.click('[data-testid="file-list"] [data-kind="folder"][data-name="vols/"]', { timeout: WAIT_MS });
      const row = `[data-testid="file-list"] [data-kind="volume"][data-name="${CUBE}"]`;
      await page.waitForSelector(row, { timeout: WAIT_MS });
      const detail = await page.evaluate((sel) => document.querySelector(sel).nextElementSibling.textContent, row);
      assert(detail === 'volume · 7.50 KiB', `the cube's details '${detail}'`);
      assert(sentCommands.some((m) => m.method === 'data.list' && /\/vols$/.test(m.params.path || '')),
        'no data.list of the vols folder was sent');
      await page.click('[data-testid="file-list"] [data-name="broken_8x8x8_uint8.raw"]');
      const error = await waitFor(async () => (await page.isVisible('[data-testid="data-error"]'))
        && (await page.textContent('[data-testid="data-error"]')), 'an error line for the broken file');
      assert(!/\n/.test(error) && /is truncated: expected 512 bytes/.test(error), `the error: ${error}`);
      const cut = await page.evaluate(() => {
        const e = document.querySelector('[data-testid="data-error"]');
        return e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
      });
      assert(!cut, 'the error is cut off: its reason must be readable without hovering');
      await page.click(row);
      await waitFor(async () => {
        const info = await notebook.call('scene.info');
        return info.volumes.length === 1 && JSON.stringify(info.volumes[0].size) === '[24,16,20]';
      }, 'scene.info to show the 24x16x20 cube');
      await waitFor(async () => !(await page.isVisible('[data-testid="data-error"]')), 'the error line to go');
      await waitFor(async () => (await page.textContent('#scene-name')) === CUBE, 'the cube\'s name in the page');
      // The file sets no domain: the first frame fits it to the data, and the page's editor (its
      // legend and fields) shows that domain, not the [0, 1] it had before the frame.
      await waitFor(async () => {
        const d = (await notebook.call('colormap.get')).domain;
        const shown = await page.evaluate(() => window.libindexViewer.colormap.cm.domain);
        return !(d[0] === 0 && d[1] === 1) && near(shown[0], d[0], 1e-6) && near(shown[1], d[1], 1e-6);
      }, 'the page to show the domain the data gave');
      await page.click('[data-testid="file-list"] [data-kind="up"]');
      await page.waitForSelector('[data-testid="file-list"] [data-kind="scene"][data-name="scene.prj"]', { timeout: WAIT_MS });
    });

    await check('a slice checkbox and slider place an axis plane with plane.set; unticking removes it', async () => {
      assert((await notebook.call('plane.list')).planes.length === 0, 'no planes to start with');
      await page.check('[data-slice="on-z"]');
      const placed = await waitFor(async () => {
        const l = (await notebook.call('plane.list')).planes;
        return l.length === 1 && l[0].normal[2] === 1 ? l[0] : null;
      }, 'plane.list to show a z slice');
      const roi = await notebook.call('roi.get');
      const mid = (roi.volume_min[2] + roi.volume_max[2]) / 2;
      assert(near(placed.point[2], mid, 1e-3 * Math.max(1, Math.abs(mid))), `the slice starts mid-volume, at ${placed.point[2]}`);
      assert(near(placed.extent[0], roi.volume_max[0] - roi.volume_min[0], 1e-3), 'it spans the volume in x');
      // Moving the slider moves the plane.
      const to = roi.volume_min[2] + 0.25 * (roi.volume_max[2] - roi.volume_min[2]);
      await page.$eval('[data-slice="at-z"]', (el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }, to);
      await waitFor(async () => {
        const l = (await notebook.call('plane.list')).planes;
        return l.length === 1 && near(l[0].point[2], to, 1e-2 * Math.max(1, Math.abs(to)));
      }, 'the plane to follow the slider');
      // A plane another client places ticks its axis in the page.
      await notebook.call('plane.set', { index: 1, point: [roi.volume_min[0] + 1, roi.volume_min[1], roi.volume_min[2]],
        normal: [1, 0, 0], up: [0, 0, 1], extent: [roi.volume_max[1] - roi.volume_min[1], roi.volume_max[2] - roi.volume_min[2]] });
      await waitFor(() => page.isChecked('[data-slice="on-x"]'), 'the x slice to show as ticked');
      await page.uncheck('[data-slice="on-z"]');
      await page.uncheck('[data-slice="on-x"]');
      await waitFor(async () => (await notebook.call('plane.list')).planes.length === 0, 'both planes removed');
    });

    await check('the program panel runs a sample program; one that does not compile shows the compiler\'s line', async () => {
      const red = [
        'class Volume_sample_program {',
        '  NV_IDX_VOLUME_SAMPLE_PROGRAM',
        'public:',
        '  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}',
        '  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out) {',
        '    const float4 c = state.self.get_colormap().lookup(state.self.generate_sampler<float>().fetch_sample(info.sample_position_object_space));',
        '    out.set_color(make_float4(1.0f, 0.0f, 0.0f, c.w));',
        '    return NV_IDX_PROG_OK;',
        '  }',
        '};',
        ''].join('\n');
      const status = () => page.textContent('[data-testid="program-status"]');
      await page.fill('[data-testid="program-source"]', red);
      await page.click('[data-testid="program-apply"]');
      await waitFor(async () => (await status()).startsWith('compiled'), 'the program to compile');
      assert((await notebook.call('program.get')).source === red, 'the server runs the page\'s program');
      await page.fill('[data-testid="program-source"]', red.replace('make_float4(1.0f', 'make_float4(oops'));
      await page.click('[data-testid="program-apply"]');
      await waitFor(async () => (await status()).includes('program.set:7:'), 'the compiler\'s message naming line 7');
      assert((await status()).includes('oops'), `the message names what is wrong: ${await status()}`);
      assert((await notebook.call('program.get')).source === red, 'a refused program changes nothing');
      await page.click('[data-testid="program-off"]');
      await waitFor(async () => (await notebook.call('program.get')).program === null, 'the program to be off');
    });

    await check('with two volumes, a menu picks the volume whose colormap the panel edits', async () => {
      const center = 'nv::index::app::scene_management_center::scene_management_center_command_receiver.';
      const row = '[data-cm="volume-row"]';
      assert(await page.$eval(row, (el) => el.hidden), 'no volume menu for one volume');
      const first = (await notebook.call('colormap.get')).preset;
      // A float ramp from -200 to 800 along x beside the supernova: its own data range, not 0..1.
      const ramp = new Float32Array(16 * 16 * 16);
      for (let i = 0; i < ramp.length; ++i) ramp[i] = -200 + (1000 * (i % 16)) / 15;
      const rampFile = path.join(v.dir, 'ramp_16x16x16_float32.raw');
      fs.writeFileSync(rampFile, Buffer.from(ramp.buffer));
      await notebook.call(center + 'create_scene_element', { parent_group_id: 'scene_root', new_scene_element_id: 'second',
        class_name: 'ISparse_volume_scene_element',
        args: { importer: 'nv::index::plugin::base_importer.Sparse_volume_importer_raw', input_file: rampFile,
          voxel_format: 'float32', bbox: '80 0 0 96 16 16', name: 'Temperature', unit: 'K' } });
      await waitFor(() => page.$eval(row, (el) => !el.hidden), 'the volume menu to show');
      const legendTitle = () => page.textContent('[data-legend="title"]');
      const firstTitle = await legendTitle();
      await page.selectOption('[data-testid="colormap-volume"]', 'second');
      // The legend names the volume it shows, with the unit of its values.
      await waitFor(async () => (await legendTitle()) === 'Temperature [K]', 'the legend title "Temperature [K]"');
      // A float volume's values are its own: no stored-value line under the domain.
      await waitFor(() => page.$eval('[data-testid="domain-stored"]', (el) => el.hidden), 'the stored-value line to hide');
      // The domain sliders and histogram follow the volume picked: its values, -200..800.
      await waitFor(() => page.evaluate(() => {
        const lo = document.querySelector('[data-cm="dmin"]'), hi = document.querySelector('[data-cm="dmax"]');
        return Math.abs(Number(lo.min) + 200) < 1e-3 && Math.abs(Number(hi.max) - 800) < 1e-3;
      }), 'the domain sliders to span the ramp\'s -200..800');
      await page.selectOption('[data-testid="preset"]', 'cool-warm');
      await waitFor(async () => (await notebook.call('colormap.get', { volume: 'second' })).preset === 'cool-warm',
        'the second volume to get cool-warm');
      assert((await notebook.call('colormap.get')).preset === first, 'the first volume keeps its colormap');
      // The notebook's change to the second volume shows in the panel, which edits that volume.
      await notebook.call('colormap.set', { volume: 'second', preset: 'inferno' });
      await waitFor(async () => (await page.inputValue('[data-testid="preset"]')) === 'inferno',
        'the panel to show the second volume\'s new preset');
      // The program panel acts on the volume the menu picks.
      const green = ['class Volume_sample_program {', '  NV_IDX_VOLUME_SAMPLE_PROGRAM', 'public:',
        '  NV_IDX_DEVICE_INLINE_MEMBER void initialize() {}',
        '  NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& i, Sample_output& o) {',
        '    o.set_color(make_float4(0.0f, 1.0f, 0.0f, 0.1f));', '    return NV_IDX_PROG_OK;', '  }', '};', ''].join('\n');
      await page.fill('[data-testid="program-source"]', green);
      await page.click('[data-testid="program-apply"]');
      await waitFor(async () => (await notebook.call('program.get', { volume: 'second' })).source === green,
        'the second volume to get the page\'s program');
      assert((await notebook.call('program.get')).program === null, 'the first volume has none');
      await notebook.call(center + 'set_scene_element', { id: 'scene_root', args: { 'remove.id': 'second' } });
      await waitFor(() => page.$eval(row, (el) => el.hidden), 'the menu to go with the second volume');
      await waitFor(async () => (await page.inputValue('[data-testid="preset"]')) === first,
        'the panel to edit the first volume again');
      await waitFor(async () => (await legendTitle()) === firstTitle && firstTitle !== '',
        `the legend to name the first volume again (${firstTitle})`);
    });

    await check('the bounding-box outline frames the rendered volume (perspective and orthographic)', async () => {
      // An opaque, unshaded cube: what is lit is exactly the projected box.
      await notebook.call('render.set', { shading: false });
      await notebook.call('colormap.set', { preset: 'viridis', domain: [0, 1], opacity_points: [[0, 1], [1, 1]] });
      const measure = () => page.evaluate(() => {
        const c = document.querySelector('[data-testid="viewport"]'), s = c.clientWidth / c.width;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
        for (let y = 0; y < c.height; ++y) for (let x = 0; x < c.width; ++x) {
          const i = 4 * (y * c.width + x);
          // The cube is bright green (R+G+B about 400); JPEG ringing at its edges stays far below 150.
          if (d[i] + d[i + 1] + d[i + 2] > 150) { x0 = Math.min(x0, x); x1 = Math.max(x1, x + 1); y0 = Math.min(y0, y); y1 = Math.max(y1, y + 1); }
        }
        const cr = c.getBoundingClientRect();
        const o = document.querySelector('[data-testid="bbox-outline"]').getBoundingClientRect();
        return { lit: [x0 * s, y0 * s, x1 * s, y1 * s], outline: [o.left - cr.left, o.top - cr.top, o.right - cr.left, o.bottom - cr.top] };
      });
      const fits = (m) => {
        const [l, o] = [m.lit, m.outline];
        const slack = 2; // CSS pixels: edge pixels, JPEG fringes
        const contains = o[0] <= l[0] + slack && o[1] <= l[1] + slack && o[2] >= l[2] - slack && o[3] >= l[3] - slack;
        const tight = (o[2] - o[0]) <= 1.06 * (l[2] - l[0]) + 4 && (o[3] - o[1]) <= 1.06 * (l[3] - l[1]) + 4;
        return l[2] - l[0] > 40 && contains && tight;
      };
      let last = null;
      const framed = (what) => waitFor(async () => { await settled(page); last = await measure(); return fits(last); },
        `the outline around the lit pixels ${what}`).catch((e) => { throw new Error(`${e.message}; last ${JSON.stringify(last)}`); });
      await framed('(perspective)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'bbox.png') });
      const cam = await notebook.call('camera.get');
      await notebook.call('camera.set', { orthographic: true, aperture: 45 });
      await framed('(orthographic)');
      await notebook.call('camera.set', { orthographic: false, aperture: cam.aperture });
      await page.click('[data-testid="show-bbox"]');
      assert(!(await page.isVisible('[data-testid="bbox"]')), 'the outline stays after switching it off');
      await page.click('[data-testid="show-bbox"]');
    });

    await check('Load view loads a saved .prj picked in the file picker (session.load)', async () => {
      assert(savedProject, 'no saved view to load (Save view failed)');
      fs.writeFileSync(path.join(v.dir, 'saved_view.prj'), savedProject);
      fs.writeFileSync(path.join(v.dir, 'tiny_8x8x8_uint8.raw'), Buffer.alloc(512, 100)); // not a view
      await page.click('[data-testid="load-view"]');
      await page.click('[data-testid="data-refresh"]');
      const row = '[data-testid="file-list"] [data-name="saved_view.prj"]';
      await page.waitForSelector(row, { timeout: WAIT_MS });
      assert(await page.isVisible('[data-picker="mode"]'), 'no "choose a saved view" line');
      assert(!(await page.$('[data-testid="file-list"] [data-kind="volume"]')), 'the load-view list shows volume files');
      await page.click(row);
      await waitFor(async () => {
        const c = await notebook.call('camera.get');
        return [40, 30, 180].every((x, i) => near(c.from[i], x, 1e-3));
      }, 'the saved camera back');
      await waitFor(async () => (await page.textContent('#scene-name')) === 'Browser test supernova', 'the saved scene');
      await page.waitForSelector('[data-testid="file-list"] [data-name="tiny_8x8x8_uint8.raw"]', { timeout: WAIT_MS }); // open mode again
      assert(sentCommands.some((m) => m.method === 'session.load' && /saved_view\.prj$/.test(m.params.path)), 'no session.load sent');
    });

    await check('a scene without a volume says so in the page', async () => {
      fs.writeFileSync(path.join(v.dir, 'nothing.prj'), '#! index_app_project 0\napp::scene::root::children =\n');
      await notebook.call('scene.load', { path: 'nothing.prj' });
      await waitFor(async () => /has no volume/.test(await page.textContent('#scene-description')),
        'the description to say the scene has no volume');
    });

    await check('a ball is drawn round in a non-square frame area', async () => {
      fs.writeFileSync(path.join(v.dir, 'sphere.prj'), SPHERE_SCENE);
      await notebook.call('scene.load', { path: 'sphere.prj' }); // 320x320: the page must send its size
      const size = await page.evaluate(() => {
        const c = document.querySelector('[data-testid="viewport"]');
        return [c.width, c.height];
      });
      assert(Math.abs(size[0] / size[1] - 1) > 0.2, `the frame area ${size} is about square`);
      await waitFor(async () => { const r = await notebook.call('render.get'); return r.width === size[0] && r.height === size[1]; },
        `the renderer back at the page's ${size}`);
      await waitFor(async () => (await page.textContent('#scene-name')) === 'Browser test sphere', 'the sphere scene');
      let ball = null;
      const round = (what) => waitFor(async () => {
        await settled(page);
        ball = await litBox(page);
        return ball.width > 50 && Math.abs(ball.width / ball.height - 1) <= 0.05;
      }, `a round ball ${what} (lit box width/height within 5% of 1)`).catch((e) => {
        throw new Error(`${e.message}; last lit box ${JSON.stringify(ball)}`);
      });
      await round('after the load');
      await page.screenshot({ path: path.join(ARTIFACTS, 'sphere.png') });
      // camera.reset brings back the scene's camera, aspect ratio 1 included: the page sends its size again.
      await page.click('#reset-camera');
      await waitFor(async () => near((await notebook.call('camera.get')).aspect, size[0] / size[1]),
        'the camera aspect to match the frame area after a reset');
      await round('after a camera reset');
    });

    await check('the Simulation panel stays hidden on the viewer', async () => {
      assert(await page.evaluate(() => document.querySelector('#insitu').hidden), '#insitu is shown');
      assert(await page.evaluate(() => !document.querySelector('#data').hidden), 'the viewer hides its Data panel');
      // hidden hides also what a class lays out (.row is a grid): the panel's own hidden section.
      const display = await page.evaluate(() => getComputedStyle(document.querySelector('#insitu')).display);
      assert(display === 'none', `#insitu is hidden but displayed as ${display}`);
    });

    await check('an in-situ simulation: its panel lists the field and steers a parameter', async () => {
      assert(INSITU && fs.existsSync(INSITU), `no in-situ program (give --insitu PATH): ${INSITU}`);
      const url = await startInsitu();
      const sim = await context.newPage();
      sim.on('pageerror', (e) => pageErrors.push(String(e)));
      const refused = []; // calls of methods the simulation's server does not have
      sim.on('console', (m) => { if (/Method not found/.test(m.text())) refused.push(m.text()); });
      await sim.goto(url);
      await waitFor(() => sim.evaluate(() => window.libindexViewer && window.libindexViewer.framesReceived > 0),
        'a frame from the simulation');
      await waitFor(() => sim.evaluate(() => !document.querySelector('#insitu').hidden), 'the Simulation panel');
      const fields = await sim.evaluate(() => [...document.querySelector('[data-testid="insitu-field"]').options]
        .map((o) => o.value));
      assert(JSON.stringify(fields) === '["u"]', `fields ${JSON.stringify(fields)}`);
      const step = await sim.textContent('[data-insitu="step"]');
      assert(/^step \d+, t = /.test(step), `step line '${step}'`);
      // The legend names the field shown; a float field's values are its own (no stored-value line).
      await waitFor(async () => (await sim.textContent('[data-legend="title"]')) === 'u', 'the legend title "u"');
      assert(await sim.$eval('[data-testid="domain-stored"]', (el) => el.hidden), 'a stored-value line for a float field');
      // What a simulation does not offer (files, a time series, sample programs, movies) is not shown.
      for (const sel of ['#data', '#program', '[data-testid="record"]', '#time']) {
        const shown = await sim.evaluate((s) => getComputedStyle(document.querySelector(s)).display !== 'none', sel);
        assert(!shown, `the simulation's page shows ${sel}`);
      }
      await waitFor(() => sim.evaluate(() => /ranks 2 · (cpu|cuda)/.test(document.querySelector('#stats').textContent)),
        'the stats line with the simulation\'s 2 ranks and backend (session.stats)');
      await waitFor(() => sim.$('input[data-param="speed"]'), 'the speed slider');
      await sim.evaluate(() => {
        const input = document.querySelector('input[data-param="speed"]');
        input.value = '0.75';
        input.dispatchEvent(new Event('input'));
      });
      // The server keeps it: a fresh page reads it back from insitu.parameters.
      await sleep(500);
      await sim.reload();
      const value = await waitFor(() => sim.evaluate(() => {
        const input = document.querySelector('input[data-param="speed"]');
        return input && input.value;
      }), 'the slider after a reload');
      assert(Number(value) === 0.75, `speed after a reload: ${value}, expected 0.75`);
      assert(refused.length === 0, `the page called methods the server lacks: ${refused.join('; ')}`);
      await closeBeside(sim, page);
      stopInsitu();
    });

    await check('without --allow-programs the program panel says editing is off, and Apply is disabled', async () => {
      const plain = await startViewer();
      const other = await context.newPage();
      await other.goto(plain.url);
      await waitFor(async () => /editing is off/.test(await other.textContent('[data-testid="program-status"]')),
        'the program panel to say why it cannot apply');
      assert(await other.isDisabled('[data-testid="program-apply"]'), 'Apply is enabled on a viewer without --allow-programs');
      await closeBeside(other, page);
    });

    await check('with the server gone, the page says for how long and its panel is inert; it comes back with the server', async () => {
      const port = v.port;
      stopViewers();
      await waitFor(async () => /^no server for \d+ s; retrying$/.test(await page.textContent('[data-testid="connection"]')),
        'the connection badge to say how long the server has been gone', 20000);
      assert(await page.evaluate(() => document.querySelector('#panel').inert), 'the panel still takes input with no server');
      const before = await page.textContent('[data-testid="record-status"]');
      await page.click('[data-testid="snapshot"]', { force: true }); // a click at its place reaches nothing
      await sleep(500);
      assert(await page.textContent('[data-testid="record-status"]') === before, 'the snapshot button acted with no server');
      // A viewer on the same port: the page reconnects by itself, and the panel works again. This
      // one writes files (the next check records a movie).
      await startViewer(['--output-root', outputRoot], { port });
      await waitFor(async () => (await page.textContent('[data-testid="connection"]')) === 'connected',
        'the page to reconnect to a viewer on the same port');
      assert(!await page.evaluate(() => document.querySelector('#panel').inert), 'the panel stays inert after reconnecting');
      const download = page.waitForEvent('download', { timeout: WAIT_MS });
      await page.click('[data-testid="snapshot"]');
      assert((await download).suggestedFilename().endsWith('.png'), 'no PNG from the snapshot button after reconnecting');
    });

    await check('record orbit says which frame of the movie renders, then where it saved it', async () => {
      await page.evaluate(() => {
        const status = document.querySelector('[data-testid="record-status"]');
        window.recordTexts = [];
        new MutationObserver(() => window.recordTexts.push(status.textContent))
          .observe(status, { childList: true, characterData: true, subtree: true });
      });
      await page.click('[data-testid="record"]');
      // While the movie renders, the page's own commands are answered: the recording has a socket of
      // its own (on the page's, camera.reset would wait for all 72 frames).
      await page.waitForFunction(() => /^recording… frame/.test(
        document.querySelector('[data-testid="record-status"]').textContent), null, { timeout: 5 * WAIT_MS });
      const resetsBefore = sentCommands.filter((m) => m.method === 'camera.reset').length;
      await page.click('#reset-camera');
      await waitFor(async () => sentCommands.filter((m) => m.method === 'camera.reset').length > resetsBefore,
        'the page to send camera.reset');
      const reset = sentCommands.filter((m) => m.method === 'camera.reset').at(-1);
      await page.waitForFunction(() => /not recorded|saved/.test(
        document.querySelector('[data-testid="record-status"]').textContent), null, { timeout: 5 * WAIT_MS });
      const record = sentCommands.filter((m) => m.method === 'movie.record').at(-1);
      const order = (c) => replies.findIndex((r) => r.socket === c.socket && r.id === c.id);
      assert(order(reset) >= 0 && order(reset) < order(record),
        `camera.reset (socket ${reset.socket}) answered at ${order(reset)}, movie.record (socket ${record.socket}) at ` +
        `${order(record)}: the page's command waited for the movie`);
      const text = await page.textContent('[data-testid="record-status"]');
      const match = /^saved (.*\.mp4) \(72 frames, /.exec(text);
      assert(match && fs.statSync(match[1]).size > 0, `record status: ${text}`);
      const texts = await page.evaluate(() => window.recordTexts);
      const frames = texts.map((t) => /^recording… frame (\d+) of 72$/.exec(t)).filter(Boolean).map((m) => Number(m[1]));
      assert(frames.length > 0 && frames.every((f, i) => f >= 1 && f <= 72 && (i === 0 || f >= frames[i - 1])),
        `the record line while recording: ${JSON.stringify(texts)}`);
    });

    await check('no uncaught page errors', async () => {
      assert(pageErrors.length === 0, pageErrors.join('\n'));
    });
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.rmSync(outputRoot, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  failed += 1;
  console.log(`FAIL setup: ${e && e.stack ? e.stack : e}`);
} finally {
  stopViewers();
  stopInsitu();
}
if (passed === 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
