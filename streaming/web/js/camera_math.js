// SPDX-License-Identifier: Apache-2.0
// IndeX's camera model in the page, kept to libindex/include/libindex/camera.h so that what the page
// draws over the frame (outline, axes) lands where the renderer's rays put it:
//   right = normalize(dir x up), up' = right x dir;
//   perspective ray of image point (sx, sy): dir * focal + right * sx + up' * sy, from the eye;
//   orthographic ray: starts at from + right * sx + up' * sy, along dir;
//   sx spans [-aperture/2, aperture/2] left to right, sy [aperture/(2 aspect), -...] top to bottom.

export const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export function normalize(v) {
  const n = Math.hypot(v[0], v[1], v[2]);
  return n > 0 ? [v[0] / n, v[1] / n, v[2] / n] : [0, 0, 0];
}

/** The orthonormal frame the camera looks with (camera_frame in camera.h). */
export function cameraFrame(camera) {
  const dir = normalize(camera.dir);
  const right = normalize(cross(dir, camera.up));
  return { dir, right, up: cross(right, dir) };
}

/** A scene-space point in camera coordinates [x right, y up, z along dir], eye at the origin. */
export function toCamera(camera, frame, p) {
  const rel = sub(p, camera.from);
  return [dot(rel, frame.right), dot(rel, frame.up), dot(rel, frame.dir)];
}

/**
 * Camera coordinates (z > 0 for perspective) to image coordinates as fractions of the frame:
 * [0, 0] is the top-left corner, [1, 1] the bottom-right, as pixel centres (px + 0.5) / width.
 */
export function toImage(camera, q) {
  const s = camera.orthographic ? 1 : camera.focal / q[2];
  const sx = q[0] * s, sy = q[1] * s;
  const aspect = camera.aspect > 0 ? camera.aspect : 1;
  return [sx / camera.aperture + 0.5, 0.5 - (sy * aspect) / camera.aperture];
}

/** The 12 edges of the box [lo, hi] as pairs of corners. */
export function boxEdges(lo, hi) {
  const corner = (i) => [i & 1 ? hi[0] : lo[0], i & 2 ? hi[1] : lo[1], i & 4 ? hi[2] : lo[2]];
  const edges = [];
  for (let i = 0; i < 8; ++i) {
    for (const bit of [1, 2, 4]) if (!(i & bit)) edges.push([corner(i), corner(i | bit)]);
  }
  return edges;
}

/**
 * The edges projected to image fractions; a perspective edge is cut where it passes behind the eye
 * (at z = near), and dropped when wholly behind: a point there has no image.
 */
export function projectEdges(camera, edges) {
  const frame = cameraFrame(camera);
  const near = camera.orthographic ? -Infinity : Math.max(1e-9, camera.focal * 1e-3);
  const out = [];
  for (const [a, b] of edges) {
    let p = toCamera(camera, frame, a), q = toCamera(camera, frame, b);
    if (p[2] < near && q[2] < near) continue;
    const cut = (u, v) => { const t = (near - u[2]) / (v[2] - u[2]); return u.map((x, k) => x + t * (v[k] - x)); };
    if (p[2] < near) p = cut(p, q);
    else if (q[2] < near) q = cut(q, p);
    out.push([toImage(camera, p), toImage(camera, q)]);
  }
  return out;
}

/**
 * Where the frame is drawn on a `cssWidth` x `cssHeight` canvas: video.js letterboxes it, centred,
 * at its own aspect ratio (frameWidth x frameHeight pixels).
 */
export function frameRect(cssWidth, cssHeight, frameWidth, frameHeight) {
  if (!(frameWidth > 0 && frameHeight > 0)) return { x: 0, y: 0, width: cssWidth, height: cssHeight };
  const s = Math.min(cssWidth / frameWidth, cssHeight / frameHeight);
  const width = frameWidth * s, height = frameHeight * s;
  return { x: (cssWidth - width) / 2, y: (cssHeight - height) / 2, width, height };
}
