// What every prompt window of the host (chooser, save / update prompt, passkey pages) shares: its
// state, which the background keeps in storage.session under the `key` of the window's URL, and
// its one answer, sent back through the background (`ui.respond`).

/** The key of this window's state in storage.session. */
export const key = new URLSearchParams(location.search).get('key');

/**
 * The prompt's state; null, with the window closed, when there is none (answered or closed
 * elsewhere, or the host went away).
 */
export async function loadState() {
  const state = key ? (await chrome.storage.session.get(key))[key] : undefined;
  if (!state) {
    window.close();
    return null;
  }
  return state;
}

/** Sends `answer` once (every button is disabled first) and closes the window. */
export async function respond(answer) {
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'ui.respond', key, answer });
  window.close();
}
