// @ts-check
// The notice of an automatic sign-in: for the popup, and a moment on the action's badge.

const api = globalThis.chrome;

/** @param {import('./host.js').HostEvent} event the host's `autoSignIn` */
export async function recordAutoSignIn(event) {
  await api.storage.session.set({
    lastAutoSignIn: { origin: event.origin, id: event.id, name: event.name, at: Date.now() },
  });
  try {
    await api.action.setBadgeText({ text: '✓' });
    // Cleared only if still its own (a passkey upgrade's notice may have replaced it).
    setTimeout(() => clearBadge('✓').catch(() => {}), 5000);
  } catch {
    // No action UI (e.g. Firefox without the action key): the notice is in storage only.
  }
}

/**
 * Clears the action's badge if it still shows `text`.
 * @param {string} text
 */
export async function clearBadge(text) {
  if ((await api.action.getBadgeText({})) === text) await api.action.setBadgeText({ text: '' });
}
