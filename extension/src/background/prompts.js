// @ts-check
// The host's prompts (account chooser, save / update, the passkey windows) as extension pages in
// popup windows; at most one request per tab has prompts open at a time.

import { generation, hostPending, sendToHost } from './host.js';
import { settings, settingsLoaded } from './settings-cache.js';
import { icons } from './icon-service.js';
import { closeUnlock } from './unlock.js';
import { openWindow, ready } from './windows.js';

const api = globalThis.chrome;

/** @typedef {import('./host.js').HostEvent} HostEvent */
/**
 * A prompt's state in storage.session (`ui:<generation>:<ui>`): the host's `ui.show` event
 * (without `event`), the host process it came from and its window once open.
 * @typedef {object} PromptState
 * @property {number} ui
 * @property {string} kind
 * @property {number} [request] the host request it belongs to
 * @property {string} [origin]
 * @property {any[]} [accounts]
 * @property {boolean} [autofill] it confirms an autofill pick (autofill.js)
 * @property {number} generation
 * @property {number | null} windowId
 * @property {boolean} closed closed (ui.close, answered) while its window was being created
 */
/** @typedef {{save?: string, update?: boolean, cancel?: boolean, choose?: number, create?: boolean, passphrase?: string}} Answer */

// The passkey prompts (src/ui/passkey-*.html), by ui.show kind.
export const PASSKEY_PAGES = {
  'passkey.create': 'src/ui/passkey-create.html',
  'passkey.chooser': 'src/ui/passkey-chooser.html',
  verify: 'src/ui/passkey-verify.html',
};
const uiKey = (/** @type {number} */ ui) => `ui:${generation}:${ui}`;

// One prompt per tab.
// A page (any of its frames) could otherwise raise any number of focused windows at once (eight
// iframes, eight choosers). Each tab's prompts belong to one request at a time: the first
// request to show one holds the tab until the host answers it (its later prompts, e.g. verify
// after passkey.create, show at once); `ui.show`s of the tab's other requests wait, in order, and
// are dropped when the host closes them (the request was aborted or cancelled: it settles as
// the spec says, AbortError or the signal's reason).
// tabId → {request: the host request id holding the tab, waiting: [ui.show events]}
/** @type {Map<number, {request: number, waiting: HostEvent[]}>} */
const tabPrompts = new Map();

/** The host went away: no request holds a tab. */
export function clearTurns() {
  tabPrompts.clear();
}

// The tab a page's call came from; kept on the request, so that a save that outlived its
// document (documents.js) still takes its tab's turn.
/** @param {number} request */
function tabOfRequest(request) {
  return hostPending.get(request)?.page?.tabId;
}

/**
 * @param {HostEvent} event a `ui.show`
 * @returns {Promise<void> | undefined}
 */
export function showInTurn(event) {
  const tabId = tabOfRequest(event.request);
  if (tabId === undefined) return showUi(event);
  const turn = tabPrompts.get(tabId);
  if (!turn) {
    tabPrompts.set(tabId, { request: event.request, waiting: [] });
    return showUi(event);
  }
  if (turn.request === event.request) return showUi(event);
  turn.waiting.push(event);
  return undefined;
}

// Request `request` ended: the next request waiting in its tab shows its prompts.
/** @param {number} request */
export function releaseTab(request) {
  for (const [tabId, turn] of tabPrompts) {
    if (turn.request !== request) continue;
    const waiting = turn.waiting.filter((e) => hostPending.has(e.request));
    if (waiting.length === 0) {
      tabPrompts.delete(tabId);
      return;
    }
    turn.request = waiting[0].request;
    turn.waiting = waiting.filter((e) => e.request !== turn.request);
    for (const e of waiting.filter((w) => w.request === turn.request)) {
      showUi(e).catch((err) => console.error('credwell: ui.show', err));
    }
    return;
  }
}

// The `ui` ids the host closed lately: a prompt whose window is still being created (or whose
// turn came while its close was on the way) must not open after its close.
/** @type {Set<number>} */
const closedUis = new Set();

/** @param {number} ui */
export function noteClosed(ui) {
  closedUis.add(ui);
  if (closedUis.size > 1000) closedUis.delete(/** @type {number} */ (closedUis.values().next().value));
}

// `ui.close` for a prompt still waiting its turn: forget it. True when it was one.
/** @param {number} ui */
export function dropWaiting(ui) {
  for (const turn of tabPrompts.values()) {
    const i = turn.waiting.findIndex((e) => e.ui === ui);
    if (i !== -1) {
      turn.waiting.splice(i, 1);
      return true;
    }
  }
  return false;
}

// The verify prompt's pause.
// The verify prompt asks for the vault passphrase, and any page can raise it (a passkey
// ceremony with userVerification "required"). After the user cancels one (Cancel, Escape, or
// closing its window), that origin's verify prompts are refused for VERIFY_PAUSE_MS: answered
// {"cancel": true} at once, without a window, so the ceremony fails with NotAllowedError just as
// when the user cancels. Refused rather than held back: a held prompt would still pop up, later
// and out of context. Wrong passphrases are the host's to count (3 attempts). Kept in memory: a
// restarted background forgets it, as the host forgets its requests.
const VERIFY_PAUSE_MS = 30_000;
/** @type {Map<string, number>} */
const verifyCancelled = new Map(); // origin → when the user last cancelled its verify prompt

/** @param {{kind?: string, origin?: string} | undefined} prompt */
export function noteVerifyCancelled(prompt) {
  if (prompt?.kind !== 'verify' || typeof prompt.origin !== 'string') return;
  verifyCancelled.delete(prompt.origin);
  verifyCancelled.set(prompt.origin, Date.now());
  if (verifyCancelled.size > 500) verifyCancelled.delete(/** @type {string} */ (verifyCancelled.keys().next().value));
}

// A verify prompt within its origin's pause: refused. True when it was.
/** @param {HostEvent} event a `ui.show` */
export function verifyPaused(event) {
  if (event.kind !== 'verify') return false;
  const at = verifyCancelled.get(event.origin);
  if (at === undefined || Date.now() - at >= VERIFY_PAUSE_MS) return false;
  sendToHost('ui.respond', { ui: event.ui, answer: { cancel: true } }, () => {});
  return true;
}

// The store-consent setting answers save / update prompts itself: true when it did.
/** @param {HostEvent} event a `ui.show` */
export async function answeredBySettings(event) {
  if (event.kind !== 'save' && event.kind !== 'update') return false;
  await settingsLoaded;
  if (settings.storeConsent !== 'always' && settings.storeConsent !== 'never') return false;
  const yes = settings.storeConsent === 'always';
  const answer = event.kind === 'save' ? { save: yes ? 'save' : 'dismiss' } : { update: yes };
  noteStoreAnswer(event, answer);
  sendToHost('ui.respond', { ui: event.ui, answer }, () => {});
  return true;
}

/** @param {HostEvent} event a `ui.show` */
async function showUi(event) {
  await ready;
  const { ui, kind } = event;
  if (!Number.isSafeInteger(ui) || closedUis.has(ui)) return;
  const state = /** @type {PromptState & {event?: string}} */ ({ ...event, generation, windowId: null, closed: false });
  delete state.event;
  if (kind === 'chooser' && Array.isArray(state.accounts)) {
    const cached = await icons.lookup(state.accounts.map((a) => a.iconURL)).catch(() => new Map());
    state.accounts = state.accounts.map((a) => ({ ...a, icon: cached.get(a.iconURL) ?? null }));
  }
  const key = uiKey(ui);
  await api.storage.session.set({ [key]: state });
  const page = PASSKEY_PAGES[/** @type {keyof typeof PASSKEY_PAGES} */ (kind)] ?? (kind === 'chooser' ? 'src/ui/chooser.html' : 'src/ui/prompt.html');
  const windowId = await openWindow(`${page}?key=${encodeURIComponent(key)}`);
  const current = /** @type {PromptState | undefined} */ ((await api.storage.session.get(key))[key]);
  if (!current || current.closed || closedUis.has(ui)) {
    // Closed (ui.close, answered) while the window was being created.
    await api.windows.remove(windowId).catch(() => {});
    await api.storage.session.remove(key);
    return;
  }
  await api.storage.session.set({ [key]: { ...current, windowId } });
}

/**
 * @param {number} ui
 * @param {number} [gen]
 */
export async function closeUi(ui, gen = generation) {
  const key = `ui:${gen}:${ui}`;
  const state = /** @type {PromptState | undefined} */ ((await api.storage.session.get(key))[key]);
  if (!state) return;
  if (state.windowId === null) {
    await api.storage.session.set({ [key]: { ...state, closed: true } });
    return;
  }
  await api.storage.session.remove(key);
  await api.windows.remove(state.windowId).catch(() => {});
}

export async function closeAllUi() {
  const all = /** @type {Record<string, PromptState>} */ (await api.storage.session.get(null));
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith('ui:')) continue;
    if (value.windowId === null) {
      await api.storage.session.set({ [key]: { ...value, closed: true } });
    } else {
      await api.storage.session.remove(key);
      await api.windows.remove(value.windowId).catch(() => {});
    }
  }
  await closeUnlock();
}

/**
 * The answer of a prompt closed without one.
 * @param {string} kind
 * @returns {Answer}
 */
export function dismissal(kind) {
  if (kind === 'chooser' || Object.hasOwn(PASSKEY_PAGES, kind)) return { cancel: true };
  if (kind === 'save') return { save: 'dismiss' };
  return { update: false };
}

/**
 * @param {PromptState} state
 * @param {any} answer an extension page's
 * @returns {Answer | null}
 */
export function validAnswer(state, answer) {
  if (!answer || typeof answer !== 'object') return null;
  switch (state.kind) {
    case 'chooser':
      if (answer.cancel === true) return { cancel: true };
      if (Number.isSafeInteger(answer.choose) && answer.choose >= 0 && answer.choose < (state.accounts?.length ?? 0)) {
        return { choose: answer.choose };
      }
      return null;
    case 'save':
      return ['save', 'never', 'dismiss'].includes(answer.save) ? { save: answer.save } : null;
    case 'update':
      return typeof answer.update === 'boolean' ? { update: answer.update } : null;
    case 'passkey.create':
      if (answer.cancel === true) return { cancel: true };
      return typeof answer.create === 'boolean' ? { create: answer.create } : null;
    case 'passkey.chooser':
      if (answer.cancel === true) return { cancel: true };
      if (Number.isSafeInteger(answer.choose) && answer.choose >= 0 && answer.choose < (state.accounts?.length ?? 0)) {
        return { choose: answer.choose };
      }
      return null;
    case 'verify':
      if (answer.cancel === true) return { cancel: true };
      return typeof answer.passphrase === 'string' ? { passphrase: answer.passphrase } : null;
    default:
      return null;
  }
}

// A save/update prompt's answer: remember on its request that the user saved, so that its
// reply fetches the icon.
/**
 * @param {{kind?: string, request?: number, [field: string]: unknown}} prompt
 * @param {Answer} answer
 */
export function noteStoreAnswer(prompt, answer) {
  if (prompt.kind !== 'save' && prompt.kind !== 'update') return;
  const entry = hostPending.get(/** @type {number} */ (prompt.request)); // undefined: none
  if (entry?.method === 'credentials.store' && (answer.save === 'save' || answer.update === true)) entry.saved = true;
}
