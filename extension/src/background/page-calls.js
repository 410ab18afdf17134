// @ts-check
// The pages' calls (navigator.credentials, relayed by the content scripts): the `caller` object
// is built here, only from what the browser reports about the sender (src/caller.js); the
// message itself only names the method, the page's options and the page's own request number
// (rid).

import { sendToHost } from './host.js';
import { callEnded, cancelDocument, docKeyOf, documentFor, documents } from './documents.js';
import { callerFor, remember } from './identity.js';
import { settings, settingsLoaded } from './settings-cache.js';
import { setUnlockRefused } from './unlock.js';
import { icons } from './icon-service.js';
import { requestedRpId } from './well-known.js';
import { onFormDrop, onFormMessage, onFormPending, pageStores } from './form-saves.js';
import { onFillAsk } from './form-fills.js';

const api = globalThis.chrome;

const PAGE_METHODS = new Set([
  'credentials.get',
  'credentials.store',
  'credentials.create',
  'credentials.preventSilentAccess',
  'credentials.signal',
]);
// The WebAuthn signal methods the page may relay (credentials.signal's `method`).
const SIGNAL_METHODS = new Set(['signalUnknownCredential', 'signalAllAcceptedCredentials', 'signalCurrentUserDetails']);
// A bare round trip page → background → host (`vault.status`) → page, for e2e/bench.mjs only;
// answered only while the benchEcho setting is true.
const ECHO_METHOD = 'credwell.echo';

/** @typedef {import('../caller.js').Caller} Caller */
/** @typedef {import('./host.js').HostReply} HostReply */

/**
 * The host request's params for a page's call.
 * @param {string} method
 * @param {any} params the page's
 * @param {Caller} caller
 */
function paramsFor(method, params, caller) {
  switch (method) {
    case 'credentials.get':
    case 'credentials.create': {
      /** @type {{caller: Caller, options: object, signal?: {aborted: true, reason?: unknown}}} */
      const out = { caller, options: params.options ?? {} };
      if (params.signal && typeof params.signal === 'object' && params.signal.aborted === true) {
        out.signal = { aborted: true };
        if (Object.hasOwn(params.signal, 'reason')) out.signal.reason = params.signal.reason;
      }
      return out;
    }
    case 'credentials.store':
      return { caller, credential: params.credential ?? null };
    case 'credentials.signal':
      return { caller, method: SIGNAL_METHODS.has(params.method) ? params.method : 'signalUnknownCredential', options: params.options ?? {} };
    default:
      return { caller };
  }
}

// The reply the content script passes to the page: {result} or {error: {name, message} |
// {abortReason}}. Protocol errors (the host could not read the request) are UnknownError.
/** @param {HostReply} reply */
function pageReply(reply) {
  if (Object.hasOwn(reply, 'result')) return { result: reply.result };
  const error = reply.error ?? {};
  if (error.name === 'ProtocolError') {
    return { error: { name: 'UnknownError', message: `credwell: ${error.message ?? 'protocol error'}` } };
  }
  return { error };
}

/** The host's words for a conditional create() it does not allow (credwell-core's NoRecentSignIn). */
const UPGRADE_REFUSED =
  'conditional create is allowed only shortly after signing in to this origin with a saved password';

/**
 * @param {any} message the content script's `call`
 * @param {chrome.runtime.MessageSender} sender
 * @param {(reply: object) => void} sendResponse
 * @param {string | null} key the document's key (docKeyOf)
 */
async function onPageCall(message, sender, sendResponse, key) {
  const { rid, method } = message;
  const params = message.params && typeof message.params === 'object' ? message.params : {};
  if (method === ECHO_METHOD) {
    await settingsLoaded;
    if (!settings.benchEcho) {
      sendResponse({ error: { name: 'NotSupportedError', message: 'credwell: echo is disabled' } });
      return;
    }
    sendToHost('vault.status', {}, (reply) => sendResponse(pageReply(reply)));
    return;
  }
  if (!PAGE_METHODS.has(method)) {
    sendResponse({ error: { name: 'NotSupportedError', message: `credwell: unknown method ${String(method).slice(0, 64)}` } });
    return;
  }
  if (key === null) {
    sendResponse({ error: { name: 'UnknownError', message: 'credwell: this document has no port to the extension' } });
    return;
  }
  const doc = documentFor(sender, key);
  if (doc.rids.has(rid)) {
    sendResponse({ error: { name: 'UnknownError', message: `credwell: request ${rid} is already in flight in this document` } });
    return;
  }
  // Automatic passkey upgrades switched off in the settings: the user does not consent to this
  // kind of creation, so a conditional create() is refused as the host refuses one without a
  // recent sign-in (the same words: the page cannot tell the two apart), without any UI.
  if (method === 'credentials.create' && params.options?.mediation === 'conditional') {
    await settingsLoaded;
    if (!settings.passkeyUpgrades) {
      sendResponse({ error: { name: 'NotAllowedError', message: UPGRADE_REFUSED } });
      return;
    }
  }
  /** @type {import('./documents.js').PageCall} */
  const call = { method, hostId: null, aborted: false, reason: undefined, answered: false };
  doc.rids.set(rid, call);
  if (method === 'credentials.store' && params.credential?.type === 'password') pageStores(doc.tabId, sender.origin);
  remember(sender.documentId, sender.origin);
  const { caller, ancestorFrameIds } = await callerFor(sender);
  doc.ancestorFrameIds = ancestorFrameIds;
  // The frame's permissions policy and user activation, as our own ISOLATED-world script read
  // them from the browser (the page cannot write them): booleans only, anything else ignored.
  const facts = message.frame && typeof message.frame === 'object' ? message.frame : {};
  for (const key of /** @type {const} */ (['publicKeyGetAllowed', 'publicKeyCreateAllowed', 'transientActivation'])) {
    if (typeof facts[key] === 'boolean') caller[key] = facts[key];
  }
  // A call made with a user gesture is the user asking again after closing the unlock window.
  if (caller.transientActivation === true) setUnlockRefused(false);
  if (call.aborted) {
    // Aborted before it reached the host: the page has already rejected it.
    doc.rids.delete(rid);
    callEnded(call);
    sendResponse({ error: call.hasReason ? { abortReason: call.reason } : { name: 'AbortError', message: 'The operation was aborted.' } });
    return;
  }
  /** @param {object} reply */
  const answer = (reply) => {
    if (call.answered) return;
    call.answered = true;
    try {
      sendResponse(reply);
    } catch {
      // The document went away.
    }
  };
  call.answer = answer;
  // saved: set when the user answers this store's save / update prompt with yes (noteStoreAnswer);
  // rpId: the RP ID the call names (related-origin fetches are charged to it); page.tabId: its
  // tab, whose prompt turn it takes even once its document has gone (an outliving save).
  /** @type {Partial<import('./host.js').HostEntry>} */
  const extra = { page: { docKey: doc.key, rid, tabId: doc.tabId }, rpId: requestedRpId(method, params) };
  call.hostId = sendToHost(
    method,
    paramsFor(method, params, caller),
    (reply) => {
      if (doc.rids.get(rid) === call) doc.rids.delete(rid);
      callEnded(call);
      answer(pageReply(reply));
      // The icon only after the user really saved or updated (src/icons.js).
      if (method === 'credentials.store' && reply.result === null && extra.saved) {
        icons.afterSave(params.credential?.iconURL, caller.origin).catch(() => {});
      }
    },
    extra,
  );
}

/**
 * @param {any} message the content script's `abort`
 * @param {string | null} key
 */
function onPageAbort(message, key) {
  const doc = documents.get(/** @type {string} */ (key)); // null: no such document
  const call = doc?.rids.get(message.rid);
  if (!call) return;
  if (call.hostId === null) {
    call.aborted = true;
    call.hasReason = Object.hasOwn(message, 'reason');
    call.reason = message.reason;
    return;
  }
  /** @type {{target: number, reason?: unknown}} */
  const params = { target: call.hostId };
  if (Object.hasOwn(message, 'reason')) params.reason = message.reason;
  sendToHost('cancel', params, () => {});
}

/**
 * runtime.onConnect: a document's lifetime port (src/isolated.js), which also carries its calls.
 * @param {chrome.runtime.Port} p
 */
export function onDocumentPort(p) {
  if (p.name !== 'credwell-document' || !p.sender?.tab || p.sender.id !== api.runtime.id) return;
  const key = /** @type {string} */ (docKeyOf(p.sender, p)); // with a port, never null
  const doc = documentFor(p.sender, key);
  doc.lifetime = p;
  // The document's calls and aborts (src/isolated.js): the caller is the port's sender, as the
  // browser reported it when the content script connected.
  p.onMessage.addListener((message) => {
    onPageMessage(message, /** @type {chrome.runtime.MessageSender} */ (p.sender), key, (rid, reply) => {
      try {
        p.postMessage({ credwell: 1, kind: 'reply', rid, reply });
      } catch {
        // The document went away.
      }
    });
  });
  p.onDisconnect.addListener(() => {
    void api.runtime.lastError;
    if (documents.get(key) === doc) cancelDocument(key, 'the document went away');
  });
}

// A call or abort from a page's content script, by runtime.sendMessage or its document's port;
// true when a reply will follow.
// `key`: the document's key (docKeyOf), null when it cannot be known.
/**
 * @param {any} message
 * @param {chrome.runtime.MessageSender} sender
 * @param {string | null} key
 * @param {(rid: number, reply: object) => void} reply
 * @returns {boolean}
 */
export function onPageMessage(message, sender, key, reply) {
  // A save from an ordinary form (form-saves.js): no reply.
  if (message?.credwell === 1 && message.kind === 'form') {
    onFormMessage(message, sender, key).catch(() => {});
    return false;
  }
  // A form's submission started, or its attempt failed (form-saves.js): no reply.
  if (message?.credwell === 1 && message.kind === 'form.pending') {
    onFormPending(message, sender, key).catch(() => {});
    return false;
  }
  if (message?.credwell === 1 && message.kind === 'form.drop') {
    onFormDrop(sender, key).catch(() => {});
    return false;
  }
  // The user focused a sign-in form's field (form-fills.js): no reply.
  if (message?.credwell === 1 && message.kind === 'fill.ask') {
    onFillAsk(sender, key).catch(() => {});
    return false;
  }
  if (!message || message.credwell !== 1 || !Number.isSafeInteger(message.rid) || message.rid < 0) return false;
  const { rid } = message;
  if (message.kind === 'call') {
    onPageCall(message, sender, (body) => reply(rid, body), key).catch((e) =>
      reply(rid, { error: { name: 'UnknownError', message: `credwell: ${e?.message ?? e}` } }),
    );
    return true;
  }
  if (message.kind === 'abort') onPageAbort(message, key);
  return false;
}
