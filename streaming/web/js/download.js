// SPDX-License-Identifier: Apache-2.0
// Offers bytes or text the server sent as a file download (snapshot PNGs, saved views) through a
// Blob link: the server writes no file for the page (that needs --output-root and a shell).

export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000); // the download has its own copy by then
}
