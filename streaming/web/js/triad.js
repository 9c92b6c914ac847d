// SPDX-License-Identifier: Apache-2.0
// The orientation triad: the scene's x (red), y (green) and z (blue) axes as the camera sees them,
// in a corner of the frame, so a user who orbited can tell which way the data lies. Drawn from the
// camera's frame (camera_math.js): screen right = dir x up, screen up = right x dir.

import { cameraFrame, dot } from './camera_math.js';

const SVG = 'http://www.w3.org/2000/svg';
const SIZE = 84, LENGTH = 28; // CSS pixels: the triad's box and an axis seen side-on
const AXES = [
  { name: 'x', colour: '#ef5350', unit: [1, 0, 0] },
  { name: 'y', colour: '#66bb6a', unit: [0, 1, 0] },
  { name: 'z', colour: '#42a5f5', unit: [0, 0, 1] },
];

export class OrientationTriad {
  constructor(svg, geometry) {
    this.svg = svg;
    this.enabled = true;
    svg.setAttribute('viewBox', `0 0 ${SIZE} ${SIZE}`);
    this.groups = AXES.map((a) => {
      const g = document.createElementNS(SVG, 'g');
      g.dataset.axis = a.name;
      const line = document.createElementNS(SVG, 'line');
      line.setAttribute('stroke', a.colour);
      line.setAttribute('stroke-width', '2.5');
      line.setAttribute('stroke-linecap', 'round');
      const label = document.createElementNS(SVG, 'text');
      label.setAttribute('fill', a.colour);
      label.setAttribute('text-anchor', 'middle');
      label.setAttribute('dominant-baseline', 'central');
      label.textContent = a.name;
      g.append(line, label);
      return { axis: a, g, line, label };
    });
    geometry.onChange((geo) => this.draw(geo.camera));
  }

  setEnabled(on) {
    this.enabled = on;
    this.svg.style.display = on ? '' : 'none';
  }

  draw(camera) {
    if (!camera) return;
    const f = cameraFrame(camera);
    const c = SIZE / 2;
    // Axes pointing into the screen first, so those toward the viewer are drawn over them.
    const order = this.groups.map((item) => ({ item, depth: dot(item.axis.unit, f.dir) }))
      .sort((a, b) => b.depth - a.depth);
    for (const { item } of order) {
      const x = dot(item.axis.unit, f.right), y = -dot(item.axis.unit, f.up); // SVG y grows downward
      item.line.setAttribute('x1', c);
      item.line.setAttribute('y1', c);
      item.line.setAttribute('x2', (c + LENGTH * x).toFixed(2));
      item.line.setAttribute('y2', (c + LENGTH * y).toFixed(2));
      item.label.setAttribute('x', (c + (LENGTH + 8) * x).toFixed(2));
      item.label.setAttribute('y', (c + (LENGTH + 8) * y).toFixed(2));
      this.svg.append(item.g); // re-appending moves it to the end: the drawing order
    }
  }
}
