// @ts-check
// Document identity: the caller's own origin and the origins of its ancestors, as the browser
// reported them.

import { ancestorFrames, buildCaller, originKey } from '../caller.js';

const api = globalThis.chrome;

// documentId → origin, from sender.origin of documents that called us (ancestor resolution).
/** @type {Map<string, string>} */
const knownOrigins = new Map();

/**
 * @param {string | undefined} documentId
 * @param {string | undefined} origin
 */
export function remember(documentId, origin) {
  if (!documentId || typeof origin !== 'string') return;
  knownOrigins.delete(documentId);
  knownOrigins.set(documentId, origin);
  if (knownOrigins.size > 2000) knownOrigins.delete(/** @type {string} */ (knownOrigins.keys().next().value));
}

/** @param {chrome.runtime.MessageSender} sender */
export async function callerFor(sender) {
  let frames = null;
  let known = new Map();
  const frameId = sender.frameId ?? 0;
  if (frameId !== 0 && sender.tab?.id !== undefined) {
    try {
      frames = await api.webNavigation.getAllFrames({ tabId: sender.tab.id });
    } catch {
      frames = [];
    }
    known = await ancestorOrigins(sender.tab.id, frames ?? [], frameId);
  }
  return buildCaller(sender, frames, known);
}

// A URL does not tell a document's origin (about:blank has its initiator's; a CSP-sandboxed
// document is opaque), so an ancestor's origin is what the browser reported as `sender.origin`
// for that document: remembered from its own calls (by document id, where the browser has one),
// else asked for now with an `identify` message to the ancestor's content script
// (src/isolated.js), which answers with an `identity` message whose sender the browser fills.
// Unknown stays unknown (caller.js counts it as opaque).
const IDENTIFY_TIMEOUT_MS = 2000;
/** @type {Map<number, {tabId: number, frameId: number, documentId?: string, done: (origin?: string) => void}>} */
const identities = new Map(); // nonce → {tabId, frameId, documentId, done(origin)}
let nextNonce = 1;

/**
 * @param {number} tabId
 * @param {chrome.webNavigation.GetAllFrameResultDetails[]} frames
 * @param {number} frameId
 * @returns {Promise<Map<string, string>>} originKey(frame) → its origin
 */
async function ancestorOrigins(tabId, frames, frameId) {
  const known = new Map();
  const asks = [];
  for (const frame of ancestorFrames(frames, frameId) ?? []) {
    const remembered = frame.documentId ? knownOrigins.get(frame.documentId) : undefined;
    if (remembered !== undefined) {
      known.set(originKey(frame), remembered);
      continue;
    }
    asks.push(
      identify(tabId, frame).then((origin) => {
        if (typeof origin === 'string') known.set(originKey(frame), origin);
      }),
    );
  }
  await Promise.all(asks);
  return known;
}

/**
 * @param {number} tabId
 * @param {{frameId: number, documentId?: string}} frame
 * @returns {Promise<string | undefined>} the frame's origin, if its content script answered
 */
function identify(tabId, frame) {
  return new Promise((resolve) => {
    const nonce = nextNonce++;
    const timer = setTimeout(() => done(undefined), IDENTIFY_TIMEOUT_MS);
    /** @param {string} [origin] */
    const done = (origin) => {
      clearTimeout(timer);
      identities.delete(nonce);
      resolve(origin);
    };
    identities.set(nonce, { tabId, frameId: frame.frameId, documentId: frame.documentId, done });
    const target = frame.documentId ? { frameId: frame.frameId, documentId: frame.documentId } : { frameId: frame.frameId };
    // The content script answers only after its `identity` reached us: when this settles, the
    // answer (if any) has been taken.
    api.tabs.sendMessage(tabId, { credwell: 1, kind: 'identify', nonce }, target).then(
      () => identities.get(nonce)?.done(undefined),
      () => identities.get(nonce)?.done(undefined),
    );
  });
}

/**
 * @param {{nonce?: any}} message
 * @param {chrome.runtime.MessageSender} sender
 */
export function onIdentity(message, sender) {
  const asked = identities.get(message.nonce);
  if (!asked || sender.tab?.id !== asked.tabId || (sender.frameId ?? 0) !== asked.frameId) return;
  if (asked.documentId && sender.documentId !== asked.documentId) return;
  if (typeof sender.origin !== 'string') return;
  remember(sender.documentId, sender.origin);
  asked.done(sender.origin);
}
