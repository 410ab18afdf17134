// @ts-check
// The documents that call credwell: per document, its tab and frame, the frames above it, a map
// rid → call (so that an abort, or a forged one, only ever reaches a request of the document
// that sent it), its lifetime port; its requests are cancelled when it goes away (its lifetime
// port disconnects, its frame commits another navigation, its tab closes), except one save.
//
// A save outlives its document: a sign-in page commonly calls store() and sets location.href in
// the same turn, without waiting. Like Chromium's, whose save prompt belongs to the tab, a
// store() whose document goes away while its tab stays keeps going: its prompt still shows (in
// the tab's turn, prompts.js) and Save still saves; only the page's promise is dropped. Bounded:
// at most one such save per tab. A document that leaves with more than one store(), or while
// its tab already has one outliving save, has the others cancelled: the save the user may be
// answering keeps its window (replacing it would let a page that navigates in a loop close and
// reopen the user's prompt each time). A closed tab cancels its outliving save too.

import { hostPending, sendToHost } from './host.js';

const api = globalThis.chrome;

/**
 * A page's call in flight (page-calls.js).
 * @typedef {object} PageCall
 * @property {string} method the page's method (`credentials.store`, ...)
 * @property {number | null} hostId the host request, once sent
 * @property {boolean} aborted aborted before it reached the host
 * @property {boolean} [hasReason] the abort carried a reason
 * @property {unknown} reason
 * @property {boolean} answered
 * @property {(reply: object) => void} [answer]
 * @property {number} [outlivesIn] the tab whose outliving save it is (its document went away)
 * @property {boolean} [form] a save from an ordinary form (form-saves.js), not the page's call
 * @property {string} [settling] a form's save still to be settled against its document's
 *   pending copy of the submission (form-saves.js): that document's key
 */
/**
 * A document that called credwell.
 * @typedef {object} Doc
 * @property {string} key its key (docKeyOf)
 * @property {number | undefined} tabId
 * @property {number} frameId
 * @property {string | undefined} documentId the browser's (Chromium), none in Firefox
 * @property {number[]} ancestorFrameIds
 * @property {Map<number, PageCall>} rids the page's request number → its call
 * @property {chrome.runtime.Port | null} lifetime the document's own port, once connected
 * @property {number} since when the background first heard of it
 * @property {{take: () => boolean}} [wellKnownBudget] its related-origins fetches (well-known.js)
 */
/** @typedef {chrome.runtime.MessageSender} Sender */

// docKey → {tabId, frameId, documentId, ancestorFrameIds, rids: Map(rid → call), lifetime, since}
/** @type {Map<string, Doc>} */
export const documents = new Map();

// A document's key: the browser's document id (Chromium). Firefox has none, and a tab and frame
// id name whatever document the frame holds now: a document that replaced another in the same
// frame would take over its requests, offers and rate budget. There a document is its own port
// (src/isolated.js opens one per document), and a call that comes without one is refused.
/** @type {WeakMap<chrome.runtime.Port, string>} */
const portKeys = new WeakMap();
let nextPortKey = 1;

/**
 * @param {Sender} sender
 * @param {chrome.runtime.Port} [port] the document's own port, if the message came over it
 * @returns {string | null}
 */
export function docKeyOf(sender, port) {
  if (sender.documentId) return sender.documentId;
  if (!port) return null;
  let key = portKeys.get(port);
  if (key === undefined) {
    key = `port:${nextPortKey++}`;
    portKeys.set(port, key);
  }
  return key;
}

/**
 * @param {Sender} sender
 * @param {string} key
 * @returns {Doc}
 */
export function documentFor(sender, key) {
  let doc = documents.get(key);
  if (!doc) {
    doc = {
      key,
      tabId: sender.tab?.id,
      frameId: sender.frameId ?? 0,
      documentId: sender.documentId,
      ancestorFrameIds: [],
      rids: new Map(),
      lifetime: null,
      since: Date.now(),
    };
    documents.set(key, doc);
  }
  return doc;
}

// A message to one document's content scripts: by its document id, else over its own port (never
// to "whatever is in that frame now").
/**
 * @param {Doc} doc
 * @param {object} message
 */
export function sendToDocument(doc, message) {
  if (doc.documentId) {
    api.tabs.sendMessage(/** @type {number} */ (doc.tabId), message, { frameId: doc.frameId, documentId: doc.documentId }).catch(() => {});
    return;
  }
  try {
    doc.lifetime?.postMessage(message);
  } catch {
    // The document went away.
  }
}

// tabId → the tab's outliving save.
/** @type {Map<number, PageCall>} */
const outliving = new Map();

/**
 * Cancels a page's call: at the host once it is there, else before it is sent.
 * @param {PageCall} call
 * @param {string} reason
 */
export function cancelCall(call, reason) {
  if (call.hostId !== null && hostPending.has(call.hostId)) {
    sendToHost('cancel', { target: call.hostId, reason }, () => {});
  } else {
    call.aborted = true;
    call.hasReason = true;
    call.reason = reason;
  }
}

/**
 * The call's document went away but its tab stays: whether the call goes on as the tab's
 * outliving save (a store(), and the tab has none yet).
 * @param {PageCall} call
 * @param {number | undefined} tabId
 */
function outlives(call, tabId) {
  if (call.method !== 'credentials.store' || tabId === undefined || outliving.has(tabId)) return false;
  outliving.set(tabId, call);
  call.outlivesIn = tabId;
  return true;
}

/**
 * A save whose document had already gone when it started (form-saves.js: a pending form passed
 * on at its frame's next commit): whether it goes on as the tab's outliving save (the tab has
 * none yet).
 * @param {PageCall} call
 * @param {number} tabId
 */
export function adoptOutliving(call, tabId) {
  return outlives(call, tabId);
}

/**
 * The tab's outliving save, if it has one.
 * @param {number} tabId
 * @returns {PageCall | null}
 */
export function outlivingSaveOf(tabId) {
  return outliving.get(tabId) ?? null;
}

/**
 * The call ended (answered, or dropped before reaching the host): its tab may keep another save.
 * @param {PageCall} call
 */
export function callEnded(call) {
  if (call.outlivesIn !== undefined && outliving.get(call.outlivesIn) === call) outliving.delete(call.outlivesIn);
}

/**
 * The document went away: its calls are cancelled, but for one store() that outlives it while
 * its tab stays (`tabClosed` false).
 * @param {string} key
 * @param {string} reason
 * @param {{tabClosed?: boolean}} [how]
 */
export function cancelDocument(key, reason, { tabClosed = false } = {}) {
  const doc = documents.get(key);
  if (!doc) return;
  documents.delete(key);
  for (const call of doc.rids.values()) {
    if (!call.answered && !tabClosed && outlives(call, doc.tabId)) continue;
    cancelCall(call, reason);
  }
}

/** tabs.onRemoved: the tab's documents went away, and its outliving save with them. */
/** @param {number} tabId */
export function onTabRemoved(tabId) {
  for (const [key, doc] of documents) {
    if (doc.tabId === tabId) cancelDocument(key, 'the tab was closed', { tabClosed: true });
  }
  const save = outliving.get(tabId);
  if (save) {
    outliving.delete(tabId);
    cancelCall(save, 'the tab was closed');
  }
}

/** webNavigation.onCommitted: the documents a navigation replaced or took away. */
/** @param {{tabId: number, frameId: number, documentId?: string, timeStamp: number}} details */
export function onFrameCommitted({ tabId, frameId, documentId, timeStamp }) {
  for (const [key, doc] of documents) {
    if (doc.tabId !== tabId) continue;
    // Without document ids (Firefox), a document the frame held before this commit: known to us
    // before the commit's time.
    const replaced = doc.frameId === frameId && (doc.documentId ? doc.documentId !== documentId : doc.since < timeStamp);
    const inside = doc.ancestorFrameIds.includes(frameId) || (frameId === 0 && doc.frameId !== 0);
    if (replaced || inside) cancelDocument(key, 'the frame navigated away');
  }
}
