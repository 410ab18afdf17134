// credwell's windows: extension pages in popup windows, whose state lives in storage.session so
// that a service-worker restart finds it (and, since the host and its requests die with the
// port, closes what is left over).

const api = globalThis.chrome;

// UI state left by a previous service worker.
// The host process (and so every request and UI it had) ended with the old worker's port:
// close its windows and forget its state before showing anything new.
export const ready = (async () => {
  try {
    const all = await api.storage.session.get(null);
    const stale = Object.keys(all).filter((k) => k.startsWith('ui:') || k === 'unlock');
    const windows = stale.map((k) => all[k]?.windowId).filter((id) => Number.isInteger(id));
    await api.storage.session.remove(stale);
    await Promise.all(windows.map((id) => api.windows.remove(id).catch(() => {})));
  } catch {
    // storage.session unavailable: nothing to restore.
  }
})();

const POPUP = { type: 'popup', width: 480, height: 640, focused: true };

export async function openWindow(page) {
  const win = await api.windows.create({ ...POPUP, url: api.runtime.getURL(page) });
  return win.id;
}
