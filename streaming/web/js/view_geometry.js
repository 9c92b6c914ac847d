// SPDX-License-Identifier: Apache-2.0
// What the overlays over the frame draw from, in one place: the server's camera (camera.get, or the
// result of a camera command), the shown volume's scene-space box (roi.get) and the size of the last
// frame (its header). Each change tells the listeners once, so an outline never mixes old and new.

export class ViewGeometry {
  constructor(rpc) {
    this.rpc = rpc;
    this.camera = null;     // {from, dir, up, aperture, aspect, focal, orthographic}
    this.box = null;        // {min: [3], max: [3]} in scene space
    this.frame = null;      // [width, height] of the last frame, in pixels
    this.listeners = [];
    this.asking = false;    // one camera.get at a time; another is asked for after it if needed
    this.askAgain = false;
  }

  onChange(fn) { this.listeners.push(fn); }
  notify() { for (const fn of this.listeners) fn(this); }

  setCamera(camera) {
    if (!camera || !Array.isArray(camera.from)) return;
    this.camera = camera;
    this.notify();
  }

  /** roi.get's answer: volume_min/volume_max are the volume's box in scene space. */
  setRoi(roi) {
    if (!roi || !Array.isArray(roi.volume_min)) return;
    this.box = { min: roi.volume_min, max: roi.volume_max };
    this.notify();
  }

  setFrame(width, height) {
    if (this.frame && this.frame[0] === width && this.frame[1] === height) return;
    this.frame = [width, height];
    this.notify();
  }

  /** Asks the server for the camera (after a change someone made); calls made meanwhile collapse. */
  async refreshCamera() {
    if (this.asking) { this.askAgain = true; return; }
    this.asking = true;
    try {
      this.setCamera(await this.rpc.call('camera.get'));
    } catch (e) {
      console.warn('camera.get', e);
    }
    this.asking = false;
    if (this.askAgain) { this.askAgain = false; this.refreshCamera(); }
  }
}
