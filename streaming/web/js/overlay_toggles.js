// SPDX-License-Identifier: Apache-2.0
// Checkboxes that switch the frame's overlays (legend, axes, outline) on and off; the choice is
// kept in this browser, since it is a matter of taste, not of the shared session.

const KEY = 'libindex.overlays';

function stored() {
  try { return JSON.parse(localStorage.getItem(KEY) || '{}') || {}; } catch { return {}; }
}

/** `root` holds checkboxes [data-overlay=NAME]; `overlays` maps NAME to an object with setEnabled. */
export function wireOverlayToggles(root, overlays) {
  const state = stored();
  for (const box of root.querySelectorAll('[data-overlay]')) {
    const name = box.dataset.overlay, overlay = overlays[name];
    if (!overlay) continue;
    if (typeof state[name] === 'boolean') box.checked = state[name];
    overlay.setEnabled(box.checked);
    box.addEventListener('change', () => {
      overlay.setEnabled(box.checked);
      const now = stored();
      now[name] = box.checked;
      try { localStorage.setItem(KEY, JSON.stringify(now)); } catch { /* storage blocked: not kept */ }
    });
  }
}
