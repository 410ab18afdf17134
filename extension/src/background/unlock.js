// @ts-check
// The unlock window.

import { hostConnected, locked, sendToHost } from './host.js';
import { openWindow, ready } from './windows.js';

const api = globalThis.chrome;

/**
 * The unlock window's state in storage.session (`unlock`): its window, and the host's `ui` id.
 * @typedef {{windowId?: number, ui?: number}} UnlockState
 */

/** @type {Promise<void> | null} */
let unlockOpening = null;

// The host asks for the unlock page once per locked period (`ui.show` unlock, with a `ui` id);
// closing the window answers that `ui` with {"cancel": true}, and the host then settles every
// request waiting for the vault as declined (get → null; store, preventSilentAccess → undefined;
// a passkey ceremony → NotAllowedError; docs/protocol.md). Its next request asks again.
//
// A page must not be able to raise the passphrase prompt again and again after the user closed
// it: from then on (`unlockRefused`) a `ui.show` unlock is declined at once, without a window, so
// calls made meanwhile settle at once exactly as if the user had closed the window again. The
// user asks for the window back with the popup's Unlock button, or by acting in a page (a call
// made with transient user activation, as the browser reports it to the ISOLATED world); an
// unlock by any means ends the refusal. It is kept in storage.session, so that a restarted
// service worker keeps it.
let unlockRefused = false;
let unlockRefusedSet = false; // set in this worker already: the stored value is older
const unlockRefusedLoaded = api.storage.session
  .get('unlockRefused')
  .then(({ unlockRefused: stored }) => {
    if (stored === true && !unlockRefusedSet) unlockRefused = true;
  })
  .catch(() => {});

/** @param {boolean} value */
export function setUnlockRefused(value) {
  unlockRefusedSet = true;
  if (unlockRefused === value) return;
  unlockRefused = value;
  api.storage.session.set({ unlockRefused: value }).catch(() => {});
}

// The host's `ui.show` unlock.
/** @param {number} ui */
export async function onUnlockAsked(ui) {
  await ready;
  await unlockRefusedLoaded;
  if (unlockRefused) {
    sendToHost('ui.respond', { ui, answer: { cancel: true } }, () => {});
    return;
  }
  await showUnlock(ui);
}

/**
 * Shows the unlock window (focusing the open one), for the host's unlock `ui` if it asked.
 * @param {number} [ui]
 */
export async function showUnlock(ui) {
  await ready;
  if (unlockOpening) await unlockOpening.catch(() => {});
  unlockOpening = (async () => {
    const { unlock } = /** @type {{unlock?: UnlockState}} */ (await api.storage.session.get('unlock'));
    const hostUi = Number.isSafeInteger(ui) ? ui : unlock?.ui;
    if (unlock?.windowId !== undefined) {
      try {
        await api.windows.update(unlock.windowId, { focused: true });
        await api.storage.session.set({ unlock: { ...unlock, ui: hostUi } });
        return;
      } catch {
        // It was closed; open another.
      }
    }
    const windowId = await openWindow('src/ui/unlock.html');
    await api.storage.session.set({ unlock: { windowId, ui: hostUi } });
    if (!locked) closeUnlock().catch(() => {});
  })().finally(() => {
    unlockOpening = null;
  });
  return unlockOpening;
}

export async function closeUnlock() {
  await unlockOpening?.catch(() => {});
  const { unlock } = /** @type {{unlock?: UnlockState}} */ (await api.storage.session.get('unlock'));
  await api.storage.session.remove('unlock');
  if (unlock?.windowId !== undefined) await api.windows.remove(unlock.windowId).catch(() => {});
}

// The user closed the unlock window while locked: decline the host's unlock (its waiting
// requests settle as declined) and do not open the window for page calls until the user asks.
/** @param {UnlockState} unlock */
export function unlockWindowClosed(unlock) {
  if (!locked) return;
  setUnlockRefused(true);
  if (Number.isSafeInteger(unlock?.ui) && hostConnected()) sendToHost('ui.respond', { ui: unlock.ui, answer: { cancel: true } }, () => {});
}
