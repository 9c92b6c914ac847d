// SPDX-License-Identifier: Apache-2.0
// Time series: a step slider and a play/pause button, shown only when the scene has several steps.

import { latestOnly } from './rpc.js';

export class TimePanel {
  /** `root` is hidden without a series; it holds data-time="step|stepv|play|fps". */
  constructor(root, rpc) {
    this.root = root;
    this.rpc = rpc;
    const q = (name) => root.querySelector(`[data-time="${name}"]`);
    this.step = q('step');
    this.stepValue = q('stepv');
    this.play = q('play');
    this.fps = q('fps');
    this.playing = false;
    this.set = latestOnly(rpc, 'time.set', (t) => this.show(t));
    this.step.addEventListener('input', () => {
      this.stepValue.textContent = this.step.value;
      this.set({ step: Number(this.step.value) });
    });
    this.play.addEventListener('click', async () => {
      this.show(await rpc.call('time.play', { playing: !this.playing, fps: Number(this.fps.value) || 2 }));
    });
    this.fps.addEventListener('change', async () => {
      if (this.playing) this.show(await rpc.call('time.play', { playing: true, fps: Number(this.fps.value) || 2 }));
    });
  }

  async refresh() { this.show(await this.rpc.call('time.get')); }

  show(t) {
    this.root.hidden = !(t.last > t.first);
    this.step.min = t.first;
    this.step.max = t.last;
    if (document.activeElement !== this.step) this.step.value = t.step;
    this.stepValue.textContent = t.step;
    this.playing = !!t.playing;
    this.play.textContent = this.playing ? 'Pause' : 'Play';
    if (document.activeElement !== this.fps) this.fps.value = t.fps;
  }
}
