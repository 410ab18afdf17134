// @ts-check
// credwell's windows: extension pages in popup windows, whose state lives in storage.session so
// that a service-worker restart finds it (and, since the host and its requests die with the
// port, closes what is left over).

const api = globalThis.chrome;

// UI state left by a previous service worker.
// The host process (and so every request and UI it had) ended with the old worker's port:
// close its windows and forget its state before showing anything new.
export const ready = (async () => {
  try {
    const all = /** @type {Record<string, {windowId?: number}>} */ (await api.storage.session.get(null));
    const stale = Object.keys(all).filter((k) => k.startsWith('ui:') || k === 'unlock');
    const windows = /** @type {number[]} */ (stale.map((k) => all[k]?.windowId).filter((id) => Number.isInteger(id)));
    await api.storage.session.remove(stale);
    await Promise.all(windows.map((id) => api.windows.remove(id).catch(() => {})));
  } catch {
    // storage.session unavailable: nothing to restore.
  }
})();

/** @type {chrome.windows.CreateData} */
const POPUP = { type: 'popup', width: 480, height: 640, focused: true };

/**
 * Opens one of credwell's pages in a popup window.
 * @param {string} page its path in the extension
 * @returns {Promise<number>} the window's id
 */
export async function openWindow(page) {
  const win = /** @type {chrome.windows.Window & {id: number}} */ (await api.windows.create({ ...POPUP, url: api.runtime.getURL(page) }));
  return win.id;
}
