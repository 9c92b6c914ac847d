// SPDX-License-Identifier: Apache-2.0
// The shown volume's bounding box as a 12-edge outline over the frame, projected with the server's
// camera exactly as the renderer casts its rays (camera_math.js), so it frames the rendered volume
// and shows where the data ends when the colormap hides most of it.

import { boxEdges, frameRect, projectEdges } from './camera_math.js';

const SVG = 'http://www.w3.org/2000/svg';
const FAR = 1e6; // CSS pixels: an edge passing near the eye projects far off; keep SVG numbers sane

export class BoundingBoxOverlay {
  /** `svg` lies over `canvas` (same box); `geometry` is the page's ViewGeometry. */
  constructor(svg, canvas, geometry) {
    this.svg = svg;
    this.canvas = canvas;
    this.geometry = geometry;
    this.enabled = true;
    this.path = document.createElementNS(SVG, 'path');
    this.path.setAttribute('data-testid', 'bbox-outline');
    svg.append(this.path);
    geometry.onChange(() => this.draw());
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  setEnabled(on) {
    this.enabled = on;
    this.svg.style.display = on ? '' : 'none';
    this.draw();
  }

  draw() {
    const { camera, box, frame } = this.geometry;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    this.svg.setAttribute('viewBox', `0 0 ${Math.max(1, w)} ${Math.max(1, h)}`);
    if (!this.enabled || !camera || !box || !(camera.aperture > 0)) { this.path.setAttribute('d', ''); return; }
    const r = frameRect(w, h, frame ? frame[0] : w, frame ? frame[1] : h);
    const css = ([u, v]) => [r.x + u * r.width, r.y + v * r.height]
      .map((c) => Math.max(-FAR, Math.min(FAR, c)).toFixed(2)).join(' ');
    const d = projectEdges(camera, boxEdges(box.min, box.max)).map(([a, b]) => `M${css(a)}L${css(b)}`).join('');
    this.path.setAttribute('d', d);
  }
}
