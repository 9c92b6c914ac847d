// SPDX-License-Identifier: Apache-2.0
// ParaView colormap JSON (what ParaView's "Export Color Map" writes and its presets file holds):
// an array of objects, or one object, each with "Name", "ColorSpace", "RGBPoints" [x, r, g, b, ...]
// (x increasing, r g b in [0, 1]) and optionally "Points" [x, opacity, midpoint, sharpness, ...].
// Pure functions, no DOM: the colormap editor reads and writes files with them.

/** Entries of an imported table: IndeX's own tables have 256. */
export const TABLE_SIZE = 256;

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/** `flat` as groups of `stride` numbers ([[x, ...], ...]); throws with a one-line reason. */
function groups(flat, key, stride, least) {
  if (!Array.isArray(flat)) throw new Error(`"${key}" is not an array`);
  if (flat.length % stride !== 0) throw new Error(`"${key}" holds ${flat.length} numbers, not a multiple of ${stride}`);
  if (flat.length < least * stride) throw new Error(`"${key}" needs at least ${least} point${least > 1 ? 's' : ''}`);
  if (!flat.every(isNumber)) throw new Error(`"${key}" holds something other than numbers`);
  const out = [];
  for (let i = 0; i < flat.length; i += stride) out.push(flat.slice(i, i + stride));
  // Equal x values are a step (ParaView's presets use them for sharp colour changes); x may not go back.
  for (let i = 1; i < out.length; ++i) {
    if (out[i][0] < out[i - 1][0]) throw new Error(`"${key}" x values decrease (point ${i + 1}: ${out[i][0]} after ${out[i - 1][0]})`);
  }
  if (!(out[out.length - 1][0] > out[0][0])) throw new Error(`"${key}" x values span nothing (all ${out[0][0]})`);
  return out;
}

/** The piecewise-linear function through `pts` ([[x, y], ...], x increasing) at x; constant beyond the ends. */
function linearAt(pts, x, y = (p) => p[1]) {
  if (x <= pts[0][0]) return y(pts[0]);
  const last = pts[pts.length - 1];
  if (x >= last[0]) return y(last);
  let k = 0;
  while (pts[k + 1][0] < x) ++k;
  const [a, b] = [pts[k], pts[k + 1]];
  if (b[0] === a[0]) return y(b); // a step: the value after it
  return y(a) + (y(b) - y(a)) * (x - a[0]) / (b[0] - a[0]);
}

/**
 * Reads ParaView colormap JSON text (the first colormap of an array). Returns {name, colorSpace,
 * domain, entries, opacity_points, nan_color}: domain [first x, last x] of RGBPoints; TABLE_SIZE
 * straight RGBA entries (alpha 1) over it; opacity_points from "Points" ([[t, alpha], ...], t in
 * [0, 1] over the domain, the curve clipped to it) or null when the file has none; nan_color
 * [r, g, b, a] from "NanColor" and "NanOpacity", or null when the file has none. Throws an Error with a one-line
 * message for anything else (not JSON, no RGBPoints, wrong counts, x decreasing or spanning nothing, values outside [0, 1]).
 *
 * Every colour space (Lab, Diverging, HSV, ...) is interpolated linearly in RGB between the RGBPoints,
 * and Points' midpoint and sharpness are ignored (linear between points): close to ParaView for
 * finely sampled maps, an approximation for maps of few points in other spaces.
 */
export function parseParaView(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${String(e.message).split('\n')[0]})`);
  }
  if (Array.isArray(doc) && doc.length === 0) throw new Error('an empty array: no colormap in the file');
  const cm = Array.isArray(doc) ? doc[0] : doc;
  if (!cm || typeof cm !== 'object' || Array.isArray(cm)) throw new Error('not a ParaView colormap (an object or an array of objects)');
  if (!('RGBPoints' in cm)) throw new Error('no "RGBPoints" in the colormap');

  const rgb = groups(cm.RGBPoints, 'RGBPoints', 4, 2);
  for (const [x, ...c] of rgb) {
    if (!c.every((v) => v >= 0 && v <= 1)) throw new Error(`"RGBPoints" colour at x = ${x} is outside [0, 1]: ${c.join(', ')}`);
  }
  const d0 = rgb[0][0], d1 = rgb[rgb.length - 1][0];
  const entries = [];
  for (let i = 0; i < TABLE_SIZE; ++i) {
    const x = i === TABLE_SIZE - 1 ? d1 : d0 + (d1 - d0) * i / (TABLE_SIZE - 1);
    const c = [1, 2, 3].map((k) => Math.min(1, Math.max(0, linearAt(rgb, x, (p) => p[k]))));
    entries.push([...c, 1]);
  }

  let opacity = null;
  if (cm.Points !== undefined && cm.Points !== null) {
    const pts = groups(cm.Points, 'Points', 4, 1);
    for (const [x, a] of pts) {
      if (!(a >= 0 && a <= 1)) throw new Error(`"Points" opacity at x = ${x} is outside [0, 1]: ${a}`);
    }
    // x over the domain to t in [0, 1]; a curve reaching beyond the domain is cut at its ends.
    const t = pts.map(([x, a]) => [(x - d0) / (d1 - d0), a]);
    opacity = [];
    if (t[0][0] <= 0) opacity.push([0, linearAt(t, 0)]);
    for (const p of t) if (p[0] > 0 && p[0] < 1) opacity.push(p);
    if (t[t.length - 1][0] >= 1) opacity.push([1, linearAt(t, 1)]);
  }

  // NaN values: NanColor [r, g, b] and, since ParaView 5.10, NanOpacity (1 when absent).
  let nanColor = null;
  if (cm.NanColor !== undefined && cm.NanColor !== null) {
    const c = cm.NanColor;
    if (!Array.isArray(c) || c.length < 3 || c.length > 4 || !c.every(isNumber) || !c.every((v) => v >= 0 && v <= 1)) {
      throw new Error(`"NanColor" is not 3 numbers in [0, 1]: ${JSON.stringify(c)}`);
    }
    const a = cm.NanOpacity === undefined ? (c.length === 4 ? c[3] : 1) : cm.NanOpacity;
    if (!isNumber(a) || a < 0 || a > 1) throw new Error(`"NanOpacity" is not a number in [0, 1]: ${JSON.stringify(a)}`);
    nanColor = [c[0], c[1], c[2], a];
  }

  const name = typeof cm.Name === 'string' && cm.Name ? cm.Name : 'ParaView colormap';
  const colorSpace = typeof cm.ColorSpace === 'string' ? cm.ColorSpace : 'RGB';
  return { name, colorSpace, domain: [d0, d1], entries, opacity_points: opacity, nan_color: nanColor };
}

/**
 * ParaView colormap JSON (an array of one object) for a colormap as colormap.get gives it: RGBPoints
 * from every entry over the domain, Points from opacity_points (else from the entries' alphas),
 * "ColorSpace": "RGB" (what the table is), "Name": the preset's or `fallbackName`, and NanColor and
 * NanOpacity when it has a NaN colour.
 */
export function toParaView(cm, fallbackName = 'libindex') {
  const entries = cm.entries || [];
  if (entries.length === 0) throw new Error('the colormap has no entries');
  const [d0, d1] = cm.domain;
  const at = (t) => d0 + (d1 - d0) * t;
  const n = entries.length;
  // One entry: the same colour at both ends.
  const table = n === 1 ? [[0, entries[0]], [1, entries[0]]] : entries.map((e, i) => [i / (n - 1), e]);
  const curve = Array.isArray(cm.opacity_points) && cm.opacity_points.length > 0
    ? cm.opacity_points : table.map(([t, e]) => [t, e[3]]);
  // ParaView wants x increasing: a reversed domain (max < min) is written from its low end.
  const increasing = (rows) => (d1 >= d0 ? rows : rows.slice().reverse());
  const rgbPoints = increasing(table).flatMap(([t, e]) => [at(t), e[0], e[1], e[2]]);
  const points = increasing(curve).flatMap(([t, a]) => [at(t), a, 0.5, 0]);
  const pv = {
    Name: cm.preset || fallbackName,
    ColorSpace: 'RGB',
    RGBPoints: rgbPoints,
    Points: points,
  };
  if (Array.isArray(cm.nan_color)) {
    pv.NanColor = cm.nan_color.slice(0, 3);
    pv.NanOpacity = cm.nan_color[3];
  }
  return [pv];
}

/** A file name for a colormap name: `<name>.json`, without characters file systems refuse. */
export function paraViewFileName(name) {
  const safe = String(name).replace(/[^\w.\- ]+/g, '_').trim() || 'libindex';
  return `${safe}.json`;
}
