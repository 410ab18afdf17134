// @ts-check
// The passkey autofill list of a conditional get() (or a sign-in form's password accounts, the
// same list with another title), as an extension page that src/autofill.js frames under the
// page's field. Its own origin keeps the list out of the page's reach: the page
// cannot read the account names, restyle the entries or count them (the frame's size is fixed).
//
// The page can still restyle or cover the frame itself (opacity, filters, clips, transforms,
// overlays, pointer-events) to make a real click land on a list the user cannot see. So a click
// picks an account only when the browser says the frame was really visible:
// - Chromium: IntersectionObserver v2 (`trackVisibility`): the pick counts only when the frame
//   is entirely in view and `isVisible` (not transparent, filtered, transformed beyond a 2D
//   translation or scale, or covered by anything) in every sample of the last VISIBLE_FOR_MS,
//   and drawn at its own size all that time (v2 lets a scale shrink it to a dot; the content
//   script measures that); otherwise the click is ignored;
// - where IntersectionObserver v2 does not exist (Firefox): the pick opens credwell's passkey
//   chooser window, outside the page, and the account is chosen there.
// The background answers and accepts picks only with the offer's token, which the content script
// that made this frame posts to it (and to no frame the page made).
const api = globalThis.chrome;
const VISIBLE_FOR_MS = 500;
const SAMPLE_EVERY_MS = 100;
const ui = Number(new URLSearchParams(location.search).get('ui'));
const v2 = typeof IntersectionObserverEntry !== 'undefined' && 'isVisible' in IntersectionObserverEntry.prototype;
/** @type {string | null} */
let token = null;

// The last time the frame was seen hidden, covered or not entirely in view. A long-lived
// observer is not enough: Chromium does not recompute a frame's occlusion when only the parent
// page changes (a decoy drawn over the list), so a fresh observer samples it every
// SAMPLE_EVERY_MS (its first notification is computed now).
let lastHidden = performance.now();
function sample() {
  const observer = new IntersectionObserver(
    (entries) => {
      observer.disconnect();
      const entry = entries[entries.length - 1];
      if (!(entry.isVisible && entry.intersectionRatio >= 0.99)) lastHidden = performance.now();
    },
    { trackVisibility: true, delay: 100, threshold: [0, 1] },
  );
  observer.observe(document.documentElement);
}
if (v2) {
  sample();
  setInterval(sample, SAMPLE_EVERY_MS);
}

// The content script that made this frame says, with the token, every SAMPLE_EVERY_MS whether
// the frame is drawn at its own size (a scale or zoom that shrinks it to a dot is not something
// IntersectionObserver v2 reports). The last time it was not, or the last word is too old.
let lastShrunk = performance.now();
let lastFullSize = -Infinity;
const FULL_SIZE_FRESH_MS = 3 * SAMPLE_EVERY_MS;

// Seen, unobscured and at full size, for the last VISIBLE_FOR_MS.
function visibleNow() {
  const now = performance.now();
  if (now - lastFullSize > FULL_SIZE_FRESH_MS) lastShrunk = now;
  return v2 && now - lastHidden >= VISIBLE_FOR_MS && now - lastShrunk >= VISIBLE_FOR_MS;
}

let refused = 0;

/**
 * @param {number} index
 * @param {MouseEvent} event
 */
function pick(index, event) {
  if (!event.isTrusted) return;
  const visible = visibleNow();
  if (v2 && !visible) {
    // Say so in the list (the page cannot read it): the click was not taken.
    refused++;
    document.body.dataset.refused = String(refused);
    title().textContent = 'Not picked: the list was hidden or covered';
    return;
  }
  const message = { credwell: 1, kind: 'autofill.pick', ui, token, choose: index, v2, visible };
  api.runtime.sendMessage(message).catch(() => {});
}

/** @param {{fullSize?: unknown}} data */
function onSize(data) {
  const now = performance.now();
  if (now - lastFullSize > FULL_SIZE_FRESH_MS || data.fullSize !== true) lastShrunk = now;
  if (data.fullSize === true) lastFullSize = now;
}

/** The list's title element (this page's own markup). */
const title = () => /** @type {HTMLElement} */ (document.getElementById('title'));

/** @param {MessageEvent} event */
async function main(event) {
  if (event.source !== window.parent || event.data?.credwell !== 1 || typeof event.data.token !== 'string') return;
  if (token !== null) {
    if (event.data.token === token) onSize(event.data);
    return;
  }
  token = event.data.token;
  onSize(event.data);
  if (!Number.isSafeInteger(ui)) return;
  const reply = await api.runtime.sendMessage({ credwell: 1, kind: 'autofill.frame', ui, token }).catch(() => null);
  const offer = reply?.result;
  if (!offer) return;
  const list = /** @type {HTMLElement} */ (document.querySelector('.list'));
  title().textContent = typeof offer.title === 'string' ? offer.title : `Passkeys for ${offer.rpId} (credwell)`;
  offer.accounts.forEach((/** @type {{userName: string, userDisplayName?: string}} */ account, /** @type {number} */ index) => {
    const b = document.createElement('button');
    b.setAttribute('role', 'option');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = account.userDisplayName || account.userName;
    const user = document.createElement('span');
    user.className = 'user';
    user.textContent = account.userName;
    b.append(name, user);
    b.addEventListener('click', (e) => pick(index, e));
    list.append(b);
  });
  document.body.dataset.ready = 'true';
}

window.addEventListener('message', main);
