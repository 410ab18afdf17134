// @ts-check
// The notice of an automatic passkey upgrade (a conditional create() that made a passkey without
// asking, right after the user signed in with a saved password): the user is told afterwards,
// not asked. It stays in the popup until the next one (with the way to the manager, where the
// passkey can be removed), and shows on the action's badge for a while.

import { clearBadge } from './auto-sign-in.js';

const api = globalThis.chrome;

/** How long the badge shows the notice. */
const BADGE_MS = 30_000;

/**
 * @param {import('./host.js').HostEvent} event the host's `passkey.upgraded`
 */
export async function recordPasskeyUpgrade(event) {
  const text = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : '');
  await api.storage.session.set({
    lastPasskeyUpgrade: {
      origin: text(event.origin),
      rpId: text(event.rpId),
      userName: text(event.userName),
      credentialId: text(event.credentialId),
      at: Date.now(),
    },
  });
  try {
    await api.action.setBadgeText({ text: 'key' });
    await api.action.setTitle({ title: `credwell: a passkey was created for ${text(event.rpId)}` });
    setTimeout(() => {
      clearBadge('key').catch(() => {});
      api.action.setTitle({ title: 'credwell' }).catch(() => {});
    }, BADGE_MS);
  } catch {
    // No action UI: the notice is in the popup only.
  }
}
