// @ts-check
// credwell's background (an MV3 service worker in Chromium; an event page in Firefox): wires the
// browser's and the host's events to the modules in src/background/, one per concern:
//
// - host.js: the one persistent native port to the host, `hello` first, requests by id
//   (docs/protocol.md);
// - page-calls.js, documents.js, identity.js: the content scripts' relayed calls, with the
//   `caller` built only from what the browser reports about the sender (src/caller.js); per
//   document, a map rid → host request id, cancelled when the document goes away;
// - form-saves.js: saves from ordinary forms, as store()s of the sender's document;
//   form-fills.js: filling them, the host's `forms.fill` for the document whose field the user
//   focused, its offer in autofill.js's list;
// - windows.js, unlock.js, prompts.js: the host's UI (unlock, account chooser, save/update
//   prompt, passkey windows) as extension pages in popup windows, their state in
//   storage.session; at most one request per tab has prompts open at a time; once the user
//   closes the unlock window, page calls do not open it again until the user asks;
// - autofill.js: passkey autofill offers in pages; well-known.js: the host's related-origins
//   fetches; ui-messages.js: messages from credwell's own pages; settings-cache.js,
//   icon-service.js, auto-sign-in.js, passkey-upgrade.js (the notices of an automatic sign-in
//   and of an automatic passkey upgrade).

import { generation, hostConnected, onHost, sendToHost, setLocked } from './background/host.js';
import { docKeyOf, onFrameCommitted, onTabRemoved } from './background/documents.js';
import { onIdentity } from './background/identity.js';
import { onDocumentPort, onPageMessage } from './background/page-calls.js';
import { forgetTab, onFormFrameCommitted } from './background/form-saves.js';
import { abortWellKnownFetches, cancelWellKnownFetch, fetchWellKnownForHost } from './background/well-known.js';
import { closeUnlock, onUnlockAsked, setUnlockRefused, unlockWindowClosed } from './background/unlock.js';
import {
  PASSKEY_PAGES,
  answeredBySettings,
  clearTurns,
  closeAllUi,
  closeUi,
  dismissal,
  dropWaiting,
  noteClosed,
  noteVerifyCancelled,
  releaseTab,
  showInTurn,
  verifyPaused,
} from './background/prompts.js';
import { closeAllAutofills, closeAutofill, offerAutofill, reofferAutofill } from './background/autofill.js';
import { recordAutoSignIn } from './background/auto-sign-in.js';
import { recordPasskeyUpgrade } from './background/passkey-upgrade.js';
import { onUiMessage } from './background/ui-messages.js';

const api = globalThis.chrome;
const EXTENSION_ORIGIN = new URL(api.runtime.getURL('')).origin;

onHost({
  event: onHostEvent,
  replied: (id, entry) => {
    if (entry.page) releaseTab(id);
  },
  gone: () => {
    abortWellKnownFetches();
    clearTurns();
    closeAllAutofills();
    closeAllUi().catch(() => {});
  },
});

/** @param {import('./background/host.js').HostEvent} event */
async function onHostEvent(event) {
  switch (event.event) {
    case 'wellKnown.fetch':
      await fetchWellKnownForHost(event);
      break;
    case 'wellKnown.cancel':
      cancelWellKnownFetch(event.fetch);
      break;
    case 'ui.show':
      if (event.kind === 'passkey.autofill' || event.kind === 'password.autofill') {
        offerAutofill(event);
      } else if (event.kind === 'unlock') {
        if (Number.isSafeInteger(event.ui)) await onUnlockAsked(event.ui);
      } else if (['chooser', 'save', 'update'].includes(event.kind) || Object.hasOwn(PASSKEY_PAGES, event.kind)) {
        if (!(await answeredBySettings(event)) && !verifyPaused(event)) await showInTurn(event);
      }
      break;
    case 'ui.close':
      noteClosed(event.ui);
      // An autofill offer, and the window confirming a pick from it, if any.
      closeAutofill(event.ui);
      if (dropWaiting(event.ui)) break;
      await closeUi(event.ui);
      break;
    case 'vault.unlocked':
      setLocked(false);
      setUnlockRefused(false);
      await closeUnlock();
      break;
    case 'vault.locked':
      setLocked(true);
      break;
    case 'autoSignIn':
      // The call's reply follows this event at once: record the notice a moment later, so that
      // its storage and badge IPC do not delay the page's answer.
      setTimeout(() => recordAutoSignIn(event).catch(() => {}), 50);
      break;
    case 'passkey.upgraded':
      // A conditional create() made a passkey without asking: tell the user (after the reply).
      setTimeout(() => recordPasskeyUpgrade(event).catch(() => {}), 50);
      break;
    default:
      break;
  }
}

api.runtime.onConnect.addListener(onDocumentPort);
api.tabs.onRemoved.addListener(onTabRemoved);
api.tabs.onRemoved.addListener(forgetTab);
api.webNavigation.onCommitted.addListener(onFrameCommitted);
api.webNavigation.onCommitted.addListener((details) => void onFormFrameCommitted(details).catch(() => {}));

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (!message || message.credwell !== 1 || sender.id !== api.runtime.id) return false;
  const fromExtensionPage =
    sender.origin === EXTENSION_ORIGIN || (typeof sender.url === 'string' && sender.url.startsWith(`${EXTENSION_ORIGIN}/`));
  if (fromExtensionPage) {
    onUiMessage(message, sendResponse, sender).catch((e) => sendResponse({ error: { name: 'UnknownError', message: String(e?.message ?? e) } }));
    return true;
  }
  if (!sender.tab) return false;
  if (message.kind === 'identity') {
    onIdentity(message, sender);
    sendResponse({});
    return false;
  }
  return onPageMessage(message, sender, docKeyOf(sender), (_rid, reply) => sendResponse(reply));
});

api.windows.onRemoved.addListener(async (windowId) => {
  // Prompts (`ui:...`), `unlock` and the other keys of storage.session.
  const all = /** @type {Record<string, any>} */ (await api.storage.session.get(null));
  for (const [key, value] of Object.entries(all)) {
    if (value?.windowId !== windowId) continue;
    await api.storage.session.remove(key);
    if (key === 'unlock') {
      unlockWindowClosed(value);
    } else if (key.startsWith('ui:') && value.generation === generation && hostConnected() && value.autofill) {
      reofferAutofill(value.ui);
    } else if (key.startsWith('ui:') && value.generation === generation && hostConnected()) {
      // Closed by the user without an answer.
      noteVerifyCancelled(value);
      sendToHost('ui.respond', { ui: value.ui, answer: dismissal(value.kind) }, () => {});
    }
  }
});
