// SPDX-License-Identifier: Apache-2.0
// Opacity under a colormap: the table's alpha at a point, the editable curve for a table or for the
// server's opacity_points, and the data range the colormap makes visible.

/** Below this alpha (one step of an 8-bit image) a value counts as invisible. */
const MIN_VISIBLE_ALPHA = 1 / 255;

const clamp01 = (v) => Math.min(1, Math.max(0, v));

/** The table's alpha at t in [0, 1] of the domain, linear between entries. */
export function alphaAt(entries, t) {
  const n = entries.length;
  if (n < 2) return n ? entries[0][3] : 0;
  const f = clamp01(t) * (n - 1), i = Math.min(n - 2, Math.floor(f));
  return entries[i][3] + (entries[i + 1][3] - entries[i][3]) * (f - i);
}

/**
 * The curve for a table without opacity_points: its alphas reduced (Ramer-Douglas-Peucker) to the
 * points that keep within `tolerance` of them, so a preset's ramp gets two handles, not 256.
 */
export function curveFromTable(entries, tolerance = 0.01) {
  const n = entries.length;
  if (n < 2) { const a = n ? clamp01(entries[0][3]) : 1; return [[0, a], [1, a]]; }
  const pts = entries.map((e, i) => [i / (n - 1), clamp01(e[3])]);
  const keep = [0, n - 1];
  const spans = [[0, n - 1]]; // a stack, not recursion: a 65536-entry table may be noise
  while (spans.length) {
    const [a, b] = spans.pop();
    let worst = -1, most = tolerance;
    for (let i = a + 1; i < b; ++i) {
      const line = pts[a][1] + (pts[b][1] - pts[a][1]) * (i - a) / (b - a);
      if (Math.abs(pts[i][1] - line) > most) { worst = i; most = Math.abs(pts[i][1] - line); }
    }
    if (worst >= 0) { keep.push(worst); spans.push([a, worst], [worst, b]); }
  }
  return keep.sort((x, y) => x - y).map((i) => pts[i]);
}

/**
 * The server's curve as the editor edits it, with end points at x = 0 and 1. The same curve: the
 * server holds the outer points' alphas beyond them.
 */
export function editableCurve(points) {
  const p = points.map(([x, a]) => [x, a]);
  if (p[0][0] > 0) p.unshift([0, p[0][1]]);
  if (p[p.length - 1][0] < 1) p.push([1, p[p.length - 1][1]]);
  return p;
}

/**
 * The visible data range, for "rescale to visible": from the lower edge of the first to the upper
 * edge of the last non-empty histogram bin whose centre value the colormap gives an alpha of at least
 * MIN_VISIBLE_ALPHA (outside the domain: the edge alpha, or none with clamp_to_transparent).
 * `stats` as volume.info gives it, `cm` as colormap.get; null when no bin is visible.
 */
export function visibleRange(stats, cm) {
  const h = stats.histogram, bin = (stats.max - stats.min) / h.length;
  const [d0, d1] = cm.domain;
  let range = null;
  h.forEach((count, b) => {
    const t = (stats.min + (b + 0.5) * bin - d0) / (d1 - d0);
    const outside = t < 0 || t > 1;
    if (!count || (outside && cm.boundary_mode === 'clamp_to_transparent')) return;
    if (alphaAt(cm.entries, t) < MIN_VISIBLE_ALPHA) return;
    range = [range ? range[0] : stats.min + b * bin, stats.min + (b + 1) * bin];
  });
  return range;
}
