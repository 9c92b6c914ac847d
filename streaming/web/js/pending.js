// SPDX-License-Identifier: Apache-2.0
// The "rendering…" indicator: shown once a change has waited DELAY_MS for its frame, so a slow frame
// does not look like an ignored click; quick frames never make it flash.

const DELAY_MS = 300;

export class PendingIndicator {
  constructor(element) {
    this.el = element;
    this.timer = null;
    this.expect(); // the first frame is on its way too
  }

  get pending() { return this.timer !== null; }

  /** A frame is on its way (something changed). An earlier wait keeps its start. */
  expect() {
    if (this.timer === null) this.timer = setTimeout(() => { this.el.hidden = false; }, DELAY_MS);
  }

  /** The server's frame.progress: tiles of the frame done, of all; shown as "rendering… 40%". */
  progress(done, total) {
    if (this.timer === null || !(total > 0)) return; // no frame awaited: a late report
    this.el.textContent = `rendering… ${Math.floor((100 * Math.min(done, total)) / total)}%`;
  }

  /** A frame arrived, the frame failed, or the video socket is down (the connection line says so). */
  done() {
    clearTimeout(this.timer);
    this.timer = null;
    this.el.hidden = true;
    this.el.textContent = 'rendering…';
  }
}
