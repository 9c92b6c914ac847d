// SPDX-License-Identifier: Apache-2.0
// A volume's sample program (IndeX XAC), edited live: the volume the colormap panel edits (the
// scene's first unless its menu picks another), its source and parameter buffer 0,
// Apply (program.set: compiled on the server first; a program that does not compile is refused with
// the compiler's message, shown here, and nothing changes) and Off (program.remove).

export class ProgramPanel {
  /**
   * `root` holds data-program="source|buffer|apply|off|status"; `withVolume(params)` adds the volume
   * edited to a request's params (the colormap panel's choice).
   */
  constructor(root, rpc, { withVolume } = {}) {
    this.rpc = rpc;
    this.withVolume = withVolume || ((params) => params);
    const q = (name) => root.querySelector(`[data-program="${name}"]`);
    this.source = q('source');
    this.buffer = q('buffer');
    this.apply = q('apply');
    this.off = q('off');
    this.status = q('status');
    this.edited = false; // the text area holds the user's edits: a refresh keeps them
    // The status line says how the user's last Apply or Off went until the next one: the refresh
    // that follows every change (session.changed) must not replace it.
    this.answered = false;
    this.source.addEventListener('input', () => { this.edited = true; });
    this.apply.addEventListener('click', () => this.send());
    this.off.addEventListener('click', () => this.remove());
  }

  say(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }

  /** The outcome of the user's own request: it stays until their next one. */
  answer(text, error = false) {
    this.answered = true;
    this.say(text, error);
  }

  async send() {
    const params = { source: this.source.value };
    if (this.buffer.value.trim()) params.buffers = { 0: this.buffer.value.trim() };
    this.apply.disabled = true;
    this.answer('compiling…');
    try {
      const r = await this.rpc.call('program.set', this.withVolume(params));
      this.edited = false;
      this.answer(`compiled and running (${r.program}); GPU (NVRTC): ${r.gpu}`);
    } catch (e) {
      this.answer(e.message || String(e), true);
    }
    this.apply.disabled = false;
  }

  async remove() {
    try {
      await this.rpc.call('program.remove', this.withVolume({}));
      this.answer('off: the colormap colours the volume');
    } catch (e) {
      this.answer(e.message || String(e), true);
    }
  }

  /** Another volume is edited: show its program, dropping edits made for the one before. */
  volumeChanged() {
    this.edited = false;
    this.answered = false;
    this.source.value = '';
    this.buffer.value = '';
    this.say('');
    this.refresh().catch((e) => console.warn(e));
  }

  async refresh() {
    let r;
    try {
      r = await this.rpc.call('program.get', this.withVolume({}));
    } catch (e) {
      this.say('no volume');
      return;
    }
    if (!this.edited && r.program) this.source.value = r.source;
    if (!this.edited && r.buffers && r.buffers['0'] !== undefined) this.buffer.value = r.buffers['0'];
    this.off.disabled = !r.program || r.settable === false;
    // A server without --allow-programs says so before anyone types a program for nothing.
    this.apply.disabled = r.settable === false;
    this.source.readOnly = r.settable === false;
    if (r.settable === false)
      this.say(`${r.program ? `program ${r.program}; ` : ''}editing is off: the viewer runs programs from clients only with --allow-programs`);
    else if (!this.answered)
      this.say(r.program ? `program ${r.program}${r.compiled ? '' : ' (did not compile)'}` : 'none: the colormap colours the volume');
  }
}
