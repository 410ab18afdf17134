// credwell's background (an MV3 service worker in Chromium; an event page in Firefox).
//
// - Holds one persistent native port to the host (runtime.connectNative), says `hello` first,
//   and multiplexes requests by id (docs/protocol.md).
// - Answers the content scripts' relayed calls. The `caller` object is built here, only from
//   what the browser reports about the sender (src/caller.js); the message itself only names
//   the method, the page's options and the page's own request number (rid).
// - Keeps, per document, a map rid → host request id, so that an abort (or a forged one) only
//   ever reaches a request of the document that sent it; cancels a document's requests when it
//   goes away (its lifetime port disconnects, its frame commits another navigation, its tab
//   closes).
// - Shows the host's UI (unlock, account chooser, save/update prompt) as extension pages in popup
//   windows; their state lives in storage.session so a service-worker restart finds it (and,
//   since the host and its requests die with the port, closes what is left over). At most one
//   request per tab has prompts open at a time; once the user closes the unlock window, page
//   calls do not open it again until the user asks (see "UI" below).

import { HOST_NAME, PROTOCOL_VERSION } from './id.js';
import { DEFAULTS, indexedDbSettings, loadSettings, validSetting } from './settings.js';
import { ancestorFrames, buildCaller, originKey } from './caller.js';
import { fetchWellKnownWebauthn } from './related-origins.js';
import { rateLimit } from './rate-limit.js';
import { iconCache, iconService, indexedDbBackend } from './icons.js';

const api = globalThis.chrome;
// When this background (service worker / event page) started: a restarted one has a new value.
const BACKGROUND_STARTED = Date.now() + Math.random();
const EXTENSION_ORIGIN = new URL(api.runtime.getURL('')).origin;
const PAGE_METHODS = new Set([
  'credentials.get',
  'credentials.store',
  'credentials.create',
  'credentials.preventSilentAccess',
  'credentials.signal',
]);
// The WebAuthn signal methods the page may relay (credentials.signal's `method`).
const SIGNAL_METHODS = new Set(['signalUnknownCredential', 'signalAllAcceptedCredentials', 'signalCurrentUserDetails']);
// The passkey prompts (src/ui/passkey-*.html), by ui.show kind.
const PASSKEY_PAGES = {
  'passkey.create': 'src/ui/passkey-create.html',
  'passkey.chooser': 'src/ui/passkey-chooser.html',
  verify: 'src/ui/passkey-verify.html',
};
// A bare round trip page → background → host (`vault.status`) → page, for e2e/bench.mjs only;
// answered only while the benchEcho setting is true.
const ECHO_METHOD = 'credwell.echo';

// ---- settings, cached ------------------------------------------------------------------------
// In the extension origin's IndexedDB, where content scripts cannot write them (src/settings.js);
// changed only by extension pages, through this background (`settings.set`).
const settingsStore = indexedDbSettings();
const settings = { ...DEFAULTS };
const settingsLoaded = loadSettings(settingsStore, api.storage.local)
  .then((s) => Object.assign(settings, s))
  .catch((e) => console.error('credwell: settings', e));

// ---- UI state left by a previous service worker ----------------------------------------------
// The host process (and so every request and UI it had) ended with the old worker's port:
// close its windows and forget its state before showing anything new.
const ready = (async () => {
  try {
    const all = await api.storage.session.get(null);
    const stale = Object.keys(all).filter((k) => k.startsWith('ui:') || k === 'unlock');
    const windows = stale.map((k) => all[k]?.windowId).filter((id) => Number.isInteger(id));
    await api.storage.session.remove(stale);
    await Promise.all(windows.map((id) => api.windows.remove(id).catch(() => {})));
  } catch {
    // storage.session unavailable: nothing to restore.
  }
})();

// ---- the native port --------------------------------------------------------------------------
let port = null;
let generation = 0; // one per host process, so UI ids of different hosts never collide
let nextHostId = 1;
const hostPending = new Map(); // host request id → {method, onReply, page?}
// Host fetch id → the AbortController of a `.well-known/webauthn` fetch in flight.
const wellKnownFetches = new Map();
let locked = true;

function connect() {
  if (port) return port;
  generation = Date.now();
  const p = api.runtime.connectNative(HOST_NAME);
  port = p;
  locked = true;
  p.onMessage.addListener((message) => onHostMessage(message));
  p.onDisconnect.addListener(() => {
    const why = api.runtime.lastError?.message;
    if (port === p) {
      port = null;
      onHostGone(why);
    }
  });
  // relatedOrigins: this background fetches `.well-known/webauthn` for the host (wellKnown.fetch).
  sendToHost('hello', { protocol: PROTOCOL_VERSION, relatedOrigins: true }, (reply) => {
    if (reply.result) {
      locked = reply.result.locked !== false;
    } else if (port === p) {
      console.error('credwell: the host refused hello', reply.error);
      p.disconnect();
      port = null;
      onHostGone(`the host does not speak protocol ${PROTOCOL_VERSION}`);
    }
  });
  return p;
}

function sendToHost(method, params, onReply, extra = {}) {
  const id = nextHostId++;
  if (nextHostId > Number.MAX_SAFE_INTEGER) nextHostId = 1;
  const entry = Object.assign(extra, { method, onReply });
  for (let attempt = 0; ; attempt++) {
    const p = connect();
    hostPending.set(id, entry);
    try {
      p.postMessage({ id, method, params });
      return id;
    } catch (e) {
      // The port died and onDisconnect has not run yet: end what it carried, then try once
      // more on a new port (a new host process).
      hostPending.delete(id);
      if (port === p) {
        port = null;
        onHostGone(e.message);
      }
      if (attempt > 0 || method === 'ui.respond' || method === 'cancel' || method === 'wellKnown.result') {
        onReply({ error: { name: 'UnknownError', message: `credwell's host is not reachable: ${e.message}` } });
        return id;
      }
    }
  }
}

function onHostMessage(message) {
  if (!message || typeof message !== 'object') return;
  if (typeof message.event === 'string') {
    onHostEvent(message).catch((e) => console.error('credwell: event', message.event, e));
    return;
  }
  const entry = hostPending.get(message.id);
  if (!entry) {
    if (message.error) console.warn('credwell: host error without a request', message.error);
    return;
  }
  hostPending.delete(message.id);
  entry.onReply(message);
  if (entry.page) releaseTab(message.id);
}

function onHostGone(why) {
  const error = {
    name: 'UnknownError',
    message: `credwell's native host is not available${why ? ` (${why})` : ''}`,
  };
  const entries = [...hostPending.values()];
  hostPending.clear();
  for (const controller of wellKnownFetches.values()) controller.abort();
  wellKnownFetches.clear();
  for (const entry of entries) entry.onReply({ error });
  locked = true;
  tabPrompts.clear();
  for (const ui of [...autofills.keys()]) closeAutofill(ui);
  closeAllUi().catch(() => {});
}

// ---- page calls --------------------------------------------------------------------------------
// docKey → {tabId, frameId, documentId, ancestorFrameIds, rids: Map(rid → call), lifetime, since}
const documents = new Map();
// documentId → origin, from sender.origin of documents that called us (ancestor resolution).
const knownOrigins = new Map();

// A document's key: the browser's document id (Chromium). Firefox has none, and a tab and frame
// id name whatever document the frame holds now: a document that replaced another in the same
// frame would take over its requests, offers and rate budget. There a document is its own port
// (src/isolated.js opens one per document), and a call that comes without one is refused.
const portKeys = new WeakMap();
let nextPortKey = 1;

function docKeyOf(sender, port) {
  if (sender.documentId) return sender.documentId;
  if (!port) return null;
  let key = portKeys.get(port);
  if (key === undefined) {
    key = `port:${nextPortKey++}`;
    portKeys.set(port, key);
  }
  return key;
}

function documentFor(sender, key) {
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
function sendToDocument(doc, message) {
  if (doc.documentId) {
    api.tabs.sendMessage(doc.tabId, message, { frameId: doc.frameId, documentId: doc.documentId }).catch(() => {});
    return;
  }
  try {
    doc.lifetime?.postMessage(message);
  } catch {
    // The document went away.
  }
}

function remember(documentId, origin) {
  if (!documentId || typeof origin !== 'string') return;
  knownOrigins.delete(documentId);
  knownOrigins.set(documentId, origin);
  if (knownOrigins.size > 2000) knownOrigins.delete(knownOrigins.keys().next().value);
}

async function callerFor(sender) {
  let frames = null;
  let known = new Map();
  if ((sender.frameId ?? 0) !== 0 && sender.tab?.id !== undefined) {
    try {
      frames = await api.webNavigation.getAllFrames({ tabId: sender.tab.id });
    } catch {
      frames = [];
    }
    known = await ancestorOrigins(sender.tab.id, frames ?? [], sender.frameId);
  }
  return buildCaller(sender, frames, known);
}

// ---- document identity: the origins of a caller's ancestors --------------------------------------
// A URL does not tell a document's origin (about:blank has its initiator's; a CSP-sandboxed
// document is opaque), so an ancestor's origin is what the browser reported as `sender.origin`
// for that document: remembered from its own calls (by document id, where the browser has one),
// else asked for now with an `identify` message to the ancestor's content script
// (src/isolated.js), which answers with an `identity` message whose sender the browser fills.
// Unknown stays unknown (caller.js counts it as opaque).
const IDENTIFY_TIMEOUT_MS = 2000;
const identities = new Map(); // nonce → {tabId, frameId, documentId, done(origin)}
let nextNonce = 1;

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

function identify(tabId, frame) {
  return new Promise((resolve) => {
    const nonce = nextNonce++;
    const timer = setTimeout(() => done(undefined), IDENTIFY_TIMEOUT_MS);
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

function onIdentity(message, sender) {
  const asked = identities.get(message.nonce);
  if (!asked || sender.tab?.id !== asked.tabId || (sender.frameId ?? 0) !== asked.frameId) return;
  if (asked.documentId && sender.documentId !== asked.documentId) return;
  if (typeof sender.origin !== 'string') return;
  remember(sender.documentId, sender.origin);
  asked.done(sender.origin);
}

function paramsFor(method, params, caller) {
  switch (method) {
    case 'credentials.get':
    case 'credentials.create': {
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
function pageReply(reply) {
  if (Object.hasOwn(reply, 'result')) return { result: reply.result };
  const error = reply.error ?? {};
  if (error.name === 'ProtocolError') {
    return { error: { name: 'UnknownError', message: `credwell: ${error.message ?? 'protocol error'}` } };
  }
  return { error };
}

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
  const call = { hostId: null, aborted: false, reason: undefined, answered: false };
  doc.rids.set(rid, call);
  remember(sender.documentId, sender.origin);
  const { caller, ancestorFrameIds } = await callerFor(sender);
  doc.ancestorFrameIds = ancestorFrameIds;
  // The frame's permissions policy and user activation, as our own ISOLATED-world script read
  // them from the browser (the page cannot write them): booleans only, anything else ignored.
  const facts = message.frame && typeof message.frame === 'object' ? message.frame : {};
  for (const key of ['publicKeyGetAllowed', 'publicKeyCreateAllowed', 'transientActivation']) {
    if (typeof facts[key] === 'boolean') caller[key] = facts[key];
  }
  // A call made with a user gesture is the user asking again after closing the unlock window.
  if (caller.transientActivation === true) setUnlockRefused(false);
  if (call.aborted) {
    // Aborted before it reached the host: the page has already rejected it.
    doc.rids.delete(rid);
    sendResponse({ error: call.hasReason ? { abortReason: call.reason } : { name: 'AbortError', message: 'The operation was aborted.' } });
    return;
  }
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
  // rpId: the RP ID the call names (related-origin fetches are charged to it).
  const extra = { page: { docKey: doc.key, rid }, rpId: requestedRpId(method, params) };
  call.hostId = sendToHost(
    method,
    paramsFor(method, params, caller),
    (reply) => {
      if (doc.rids.get(rid) === call) doc.rids.delete(rid);
      answer(pageReply(reply));
      // The icon only after the user really saved or updated (src/icons.js).
      if (method === 'credentials.store' && reply.result === null && extra.saved) {
        icons.afterSave(params.credential?.iconURL, caller.origin).catch(() => {});
      }
    },
    extra,
  );
}

function onPageAbort(message, key) {
  const doc = documents.get(key);
  const call = doc?.rids.get(message.rid);
  if (!call) return;
  if (call.hostId === null) {
    call.aborted = true;
    call.hasReason = Object.hasOwn(message, 'reason');
    call.reason = message.reason;
    return;
  }
  const params = { target: call.hostId };
  if (Object.hasOwn(message, 'reason')) params.reason = message.reason;
  sendToHost('cancel', params, () => {});
}

function cancelDocument(key, reason) {
  const doc = documents.get(key);
  if (!doc) return;
  documents.delete(key);
  for (const call of doc.rids.values()) {
    if (call.hostId !== null && hostPending.has(call.hostId)) {
      sendToHost('cancel', { target: call.hostId, reason }, () => {});
    } else {
      call.aborted = true;
      call.hasReason = true;
      call.reason = reason;
    }
  }
}

api.runtime.onConnect.addListener((p) => {
  if (p.name !== 'credwell-document' || !p.sender?.tab || p.sender.id !== api.runtime.id) return;
  const key = docKeyOf(p.sender, p);
  const doc = documentFor(p.sender, key);
  doc.lifetime = p;
  // The document's calls and aborts (src/isolated.js): the caller is the port's sender, as the
  // browser reported it when the content script connected.
  p.onMessage.addListener((message) => {
    onPageMessage(message, p.sender, key, (rid, reply) => {
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
});

api.tabs.onRemoved.addListener((tabId) => {
  for (const [key, doc] of documents) {
    if (doc.tabId === tabId) cancelDocument(key, 'the tab was closed');
  }
});

api.webNavigation.onCommitted.addListener(({ tabId, frameId, documentId, timeStamp }) => {
  for (const [key, doc] of documents) {
    if (doc.tabId !== tabId) continue;
    // Without document ids (Firefox), a document the frame held before this commit: known to us
    // before the commit's time.
    const replaced = doc.frameId === frameId && (doc.documentId ? doc.documentId !== documentId : doc.since < timeStamp);
    const inside = doc.ancestorFrameIds.includes(frameId) || (frameId === 0 && doc.frameId !== 0);
    if (replaced || inside) cancelDocument(key, 'the frame navigated away');
  }
});

// ---- messages ----------------------------------------------------------------------------------
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

// A call or abort from a page's content script, by runtime.sendMessage or its document's port;
// true when a reply will follow.
// `key`: the document's key (docKeyOf), null when it cannot be known.
function onPageMessage(message, sender, key, reply) {
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

// ---- UI ------------------------------------------------------------------------------------------
const uiKey = (ui) => `ui:${generation}:${ui}`;
const POPUP = { type: 'popup', width: 480, height: 640, focused: true };
let unlockOpening = null;

async function openWindow(page) {
  const win = await api.windows.create({ ...POPUP, url: api.runtime.getURL(page) });
  return win.id;
}

// ---- the unlock window ----
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

function setUnlockRefused(value) {
  unlockRefusedSet = true;
  if (unlockRefused === value) return;
  unlockRefused = value;
  api.storage.session.set({ unlockRefused: value }).catch(() => {});
}

// The host's `ui.show` unlock.
async function onUnlockAsked(ui) {
  await ready;
  await unlockRefusedLoaded;
  if (unlockRefused) {
    sendToHost('ui.respond', { ui, answer: { cancel: true } }, () => {});
    return;
  }
  await showUnlock(ui);
}

/** Shows the unlock window (focusing the open one), for the host's unlock `ui` if it asked. */
async function showUnlock(ui) {
  await ready;
  if (unlockOpening) await unlockOpening.catch(() => {});
  unlockOpening = (async () => {
    const { unlock } = await api.storage.session.get('unlock');
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

async function closeUnlock() {
  await unlockOpening?.catch(() => {});
  const { unlock } = await api.storage.session.get('unlock');
  await api.storage.session.remove('unlock');
  if (unlock?.windowId !== undefined) await api.windows.remove(unlock.windowId).catch(() => {});
}

// The user closed the unlock window while locked: decline the host's unlock (its waiting
// requests settle as declined) and do not open the window for page calls until the user asks.
function unlockWindowClosed(unlock) {
  if (!locked) return;
  setUnlockRefused(true);
  if (Number.isSafeInteger(unlock?.ui) && port) sendToHost('ui.respond', { ui: unlock.ui, answer: { cancel: true } }, () => {});
}

// ---- one prompt per tab ----
// A page (any of its frames) could otherwise raise any number of focused windows at once (eight
// iframes, eight choosers). Each tab's prompts belong to one request at a time: the first
// request to show one holds the tab until the host answers it (its later prompts, e.g. verify
// after passkey.create, show at once); `ui.show`s of the tab's other requests wait, in order, and
// are dropped when the host closes them (the request was aborted or cancelled: it settles as
// the spec says, AbortError or the signal's reason).
// tabId → {request: the host request id holding the tab, waiting: [ui.show events]}
const tabPrompts = new Map();

function tabOfRequest(request) {
  const entry = hostPending.get(request);
  return entry?.page ? documents.get(entry.page.docKey)?.tabId : undefined;
}

function showInTurn(event) {
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
function releaseTab(request) {
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
const closedUis = new Set();

function noteClosed(ui) {
  closedUis.add(ui);
  if (closedUis.size > 1000) closedUis.delete(closedUis.values().next().value);
}

// `ui.close` for a prompt still waiting its turn: forget it. True when it was one.
function dropWaiting(ui) {
  for (const turn of tabPrompts.values()) {
    const i = turn.waiting.findIndex((e) => e.ui === ui);
    if (i !== -1) {
      turn.waiting.splice(i, 1);
      return true;
    }
  }
  return false;
}

// ---- the verify prompt's pause ----
// The verify prompt asks for the vault passphrase, and any page can raise it (a passkey
// ceremony with userVerification "required"). After the user cancels one (Cancel, Escape, or
// closing its window), that origin's verify prompts are refused for VERIFY_PAUSE_MS: answered
// {"cancel": true} at once, without a window, so the ceremony fails with NotAllowedError just as
// when the user cancels. Refused rather than held back: a held prompt would still pop up, later
// and out of context. Wrong passphrases are the host's to count (3 attempts). Kept in memory: a
// restarted background forgets it, as the host forgets its requests.
const VERIFY_PAUSE_MS = 30_000;
const verifyCancelled = new Map(); // origin → when the user last cancelled its verify prompt

function noteVerifyCancelled(prompt) {
  if (prompt?.kind !== 'verify' || typeof prompt.origin !== 'string') return;
  verifyCancelled.delete(prompt.origin);
  verifyCancelled.set(prompt.origin, Date.now());
  if (verifyCancelled.size > 500) verifyCancelled.delete(verifyCancelled.keys().next().value);
}

// A verify prompt within its origin's pause: refused. True when it was.
function verifyPaused(event) {
  if (event.kind !== 'verify') return false;
  const at = verifyCancelled.get(event.origin);
  if (at === undefined || Date.now() - at >= VERIFY_PAUSE_MS) return false;
  sendToHost('ui.respond', { ui: event.ui, answer: { cancel: true } }, () => {});
  return true;
}

// The store-consent setting answers save / update prompts itself: true when it did.
async function answeredBySettings(event) {
  if (event.kind !== 'save' && event.kind !== 'update') return false;
  await settingsLoaded;
  if (settings.storeConsent !== 'always' && settings.storeConsent !== 'never') return false;
  const yes = settings.storeConsent === 'always';
  const answer = event.kind === 'save' ? { save: yes ? 'save' : 'dismiss' } : { update: yes };
  noteStoreAnswer(event, answer);
  sendToHost('ui.respond', { ui: event.ui, answer }, () => {});
  return true;
}

async function showUi(event) {
  await ready;
  const { ui, kind } = event;
  if (!Number.isSafeInteger(ui) || closedUis.has(ui)) return;
  const state = { ...event, generation, windowId: null, closed: false };
  delete state.event;
  if (kind === 'chooser' && Array.isArray(state.accounts)) {
    const cached = await icons.lookup(state.accounts.map((a) => a.iconURL)).catch(() => new Map());
    state.accounts = state.accounts.map((a) => ({ ...a, icon: cached.get(a.iconURL) ?? null }));
  }
  const key = uiKey(ui);
  await api.storage.session.set({ [key]: state });
  const page = PASSKEY_PAGES[kind] ?? (kind === 'chooser' ? 'src/ui/chooser.html' : 'src/ui/prompt.html');
  const windowId = await openWindow(`${page}?key=${encodeURIComponent(key)}`);
  const current = (await api.storage.session.get(key))[key];
  if (!current || current.closed || closedUis.has(ui)) {
    // Closed (ui.close, answered) while the window was being created.
    await api.windows.remove(windowId).catch(() => {});
    await api.storage.session.remove(key);
    return;
  }
  await api.storage.session.set({ [key]: { ...current, windowId } });
}

async function closeUi(ui, gen = generation) {
  const key = `ui:${gen}:${ui}`;
  const state = (await api.storage.session.get(key))[key];
  if (!state) return;
  if (state.windowId === null) {
    await api.storage.session.set({ [key]: { ...state, closed: true } });
    return;
  }
  await api.storage.session.remove(key);
  await api.windows.remove(state.windowId).catch(() => {});
}

async function closeAllUi() {
  const all = await api.storage.session.get(null);
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

function dismissal(kind) {
  if (kind === 'chooser' || Object.hasOwn(PASSKEY_PAGES, kind)) return { cancel: true };
  if (kind === 'save') return { save: 'dismiss' };
  return { update: false };
}

api.windows.onRemoved.addListener(async (windowId) => {
  const all = await api.storage.session.get(null);
  for (const [key, value] of Object.entries(all)) {
    if (value?.windowId !== windowId) continue;
    await api.storage.session.remove(key);
    if (key === 'unlock') {
      unlockWindowClosed(value);
    } else if (key.startsWith('ui:') && value.generation === generation && port && value.autofill) {
      reofferAutofill(value.ui);
    } else if (key.startsWith('ui:') && value.generation === generation && port) {
      // Closed by the user without an answer.
      noteVerifyCancelled(value);
      sendToHost('ui.respond', { ui: value.ui, answer: dismissal(value.kind) }, () => {});
    }
  }
});

async function recordAutoSignIn(event) {
  await api.storage.session.set({
    lastAutoSignIn: { origin: event.origin, id: event.id, name: event.name, at: Date.now() },
  });
  try {
    await api.action.setBadgeText({ text: '✓' });
    setTimeout(() => api.action.setBadgeText({ text: '' }).catch(() => {}), 5000);
  } catch {
    // No action UI (e.g. Firefox without the action key): the notice is in storage only.
  }
}

// ---- passkey autofill (a conditional get()) ---------------------------------------------------------
// ui id → {doc, tabId, token, event}: offers shown in a page (the document that asked only). The page's content
// script (src/autofill.js) gets only the ui id and a random token, frames
// src/autofill-frame.html and hands the token to that frame alone (postMessage to the extension
// origin); the frame asks for the accounts here and sends the pick, both accepted only with the
// token, from the offer's tab. A frame the page made itself has no token.
const autofills = new Map();

function offerAutofill(event) {
  const entry = hostPending.get(event.request);
  const doc = entry?.page ? documents.get(entry.page.docKey) : undefined;
  if (!doc || !Number.isSafeInteger(event.ui) || doc.tabId === undefined) return;
  const accounts = Array.isArray(event.accounts) ? event.accounts : [];
  const token = crypto.randomUUID();
  autofills.set(event.ui, { doc, tabId: doc.tabId, token, event: { ...event, accounts } });
  sendToDocument(doc, { credwell: 1, kind: 'autofill.offer', ui: event.ui, token });
}

function closeAutofill(ui) {
  const offer = autofills.get(ui);
  if (!offer) return false;
  autofills.delete(ui);
  hideAutofill(ui, offer);
  return true;
}

function hideAutofill(ui, offer) {
  sendToDocument(offer.doc, { credwell: 1, kind: 'autofill.close', ui });
}

// Whether `message` comes from the offer's own list frame: its tab, its token.
function fromOfferFrame(message, sender, offer) {
  return sender.tab?.id === offer.tabId && typeof message.token === 'string' && message.token === offer.token;
}

// The list's frame asks for its offer: the RP ID and the accounts' names.
async function onAutofillFrame(message, sender) {
  const offer = autofills.get(message.ui);
  if (!offer || !fromOfferFrame(message, sender, offer)) return { error: { name: 'NotFoundError', message: 'credwell: no such offer here' } };
  const { rpId, accounts } = offer.event;
  return { result: { rpId: String(rpId ?? ''), accounts: accounts.map((a) => ({ userName: String(a.userName ?? ''), userDisplayName: String(a.userDisplayName ?? '') })) } };
}

// A trusted click in the list's frame. `visible`: the browser (IntersectionObserver v2) saw the
// frame entirely in view and unobscured for a while: the pick counts. `v2` without `visible`: it
// was hidden or covered: ignored. No v2 (Firefox): the user confirms in credwell's passkey
// chooser window, outside the page; closing that window offers the list in the page again.
async function onAutofillPick(message, sender) {
  const ui = message.ui;
  const offer = autofills.get(ui);
  if (!offer || offer.confirming || !fromOfferFrame(message, sender, offer)) return;
  const count = offer.event.accounts.length;
  if (!Number.isSafeInteger(message.choose) || message.choose < 0 || message.choose >= count) return;
  if (message.visible === true) {
    autofills.delete(ui);
    hideAutofill(ui, offer);
    sendToHost('ui.respond', { ui, answer: { choose: message.choose } }, () => {});
  } else if (message.v2 === false) {
    offer.confirming = true;
    hideAutofill(ui, offer);
    // In the tab's turn, as every prompt (one credwell prompt per tab at a time).
    await showInTurn({ ...offer.event, kind: 'passkey.chooser', autofill: true });
  }
}

// The confirmation window of an autofill pick closed without an answer: offer the list again,
// and give the tab's turn to its other requests (a conditional get() may wait for a long time).
function reofferAutofill(ui) {
  const offer = autofills.get(ui);
  if (!offer?.confirming) return;
  offer.confirming = false;
  releaseTab(offer.event.request);
  sendToDocument(offer.doc, { credwell: 1, kind: 'autofill.offer', ui, token: offer.token, again: true });
}

// The host's `wellKnown.fetch` (WebAuthn related origin requests): fetch the RP's document and
// pass it back; the host validates it (docs/protocol.md).
//
// The RP ID is the page's choice, so each fetch is charged to the documents whose pending call
// asked for that RP ID: at most WELL_KNOWN_PER_DOCUMENT fetches per WELL_KNOWN_WINDOW_MS each.
// A fetch no pending call asked for, or over a document's budget, is not made: the host hears a
// network error, and the page the same SecurityError as for any other refusal.
const WELL_KNOWN_PER_DOCUMENT = 10;
const WELL_KNOWN_WINDOW_MS = 60_000;

// The RP ID a page call names (the signal's rpId, get()'s publicKey.rpId, create()'s
// publicKey.rp.id) as the host will send it: ASCII, lower case. Null when it names none.
function requestedRpId(method, params) {
  const options = params.options && typeof params.options === 'object' ? params.options : {};
  let raw;
  if (method === 'credentials.signal') raw = options.rpId;
  else if (method === 'credentials.get') raw = options.publicKey?.rpId;
  else if (method === 'credentials.create') raw = options.publicKey?.rp?.id;
  if (typeof raw !== 'string') return null;
  try {
    return new URL(`https://${raw}/`).hostname;
  } catch {
    return null;
  }
}

function wellKnownAllowed(rpId) {
  const docs = new Set();
  for (const entry of hostPending.values()) {
    if (!entry.page || entry.rpId !== rpId) continue;
    const doc = documents.get(entry.page.docKey);
    if (doc) docs.add(doc);
  }
  if (docs.size === 0) return false;
  let allowed = true;
  for (const doc of docs) {
    doc.wellKnownBudget ??= rateLimit({ limit: WELL_KNOWN_PER_DOCUMENT, windowMs: WELL_KNOWN_WINDOW_MS });
    if (!doc.wellKnownBudget.take()) allowed = false;
  }
  return allowed;
}

async function fetchWellKnownForHost(event) {
  if (!Number.isSafeInteger(event.fetch) || typeof event.rpId !== 'string') return;
  if (!wellKnownAllowed(event.rpId)) {
    sendToHost('wellKnown.result', { fetch: event.fetch, error: 'network', message: 'not fetched: too many requests from this document' }, () => {});
    return;
  }
  const controller = new AbortController();
  wellKnownFetches.set(event.fetch, controller);
  const result = await fetchWellKnownWebauthn(event.rpId, { signal: controller.signal });
  if (wellKnownFetches.get(event.fetch) !== controller) return;
  wellKnownFetches.delete(event.fetch);
  sendToHost('wellKnown.result', { fetch: event.fetch, ...result }, () => {});
}

async function onHostEvent(event) {
  switch (event.event) {
    case 'wellKnown.fetch':
      await fetchWellKnownForHost(event);
      break;
    case 'wellKnown.cancel':
      wellKnownFetches.get(event.fetch)?.abort();
      wellKnownFetches.delete(event.fetch);
      break;
    case 'ui.show':
      if (event.kind === 'passkey.autofill') {
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
      locked = false;
      setUnlockRefused(false);
      await closeUnlock();
      break;
    case 'vault.locked':
      locked = true;
      break;
    case 'autoSignIn':
      // The call's reply follows this event at once: record the notice a moment later, so that
      // its storage and badge IPC do not delay the page's answer.
      setTimeout(() => recordAutoSignIn(event).catch(() => {}), 50);
      break;
    default:
      break;
  }
}

// Messages from credwell's own pages (unlock, chooser, prompt, popup, options).
async function onUiMessage(message, sendResponse, sender) {
  switch (message.kind) {
    case 'autofill.frame':
      sendResponse(await onAutofillFrame(message, sender));
      return;
    case 'autofill.pick':
      await onAutofillPick(message, sender);
      sendResponse({});
      return;
    case 'unlock': {
      if (typeof message.passphrase !== 'string' || message.passphrase === '') {
        sendResponse({ error: { name: 'WrongPassphrase', message: 'Enter the passphrase.' } });
        return;
      }
      sendToHost('vault.unlock', { passphrase: message.passphrase }, (reply) => {
        if (reply.result) locked = false;
        sendResponse(reply.result ? { result: reply.result } : { error: reply.error });
      });
      return;
    }
    case 'lock':
      sendToHost('vault.lock', {}, (reply) => sendResponse(reply));
      return;
    case 'settings.get':
      await settingsLoaded;
      sendResponse({ result: { ...settings } });
      return;
    case 'settings.set': {
      if (!validSetting(message.key, message.value)) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not a setting or not a valid value for it' } });
        return;
      }
      await settingsLoaded;
      await settingsStore.put(message.key, message.value);
      settings[message.key] = message.value;
      sendResponse({ result: { ...settings } });
      return;
    }
    case 'unlock.show':
      // The user asks for the unlock window (the popup's Unlock button): page calls may open it
      // again too.
      setUnlockRefused(false);
      if (locked) await showUnlock();
      sendResponse({ result: { locked } });
      return;
    case 'status':
      sendResponse({ result: { locked, connected: port !== null, backgroundStarted: BACKGROUND_STARTED } });
      return;
    case 'list': {
      const query = typeof message.query === 'string' ? message.query : '';
      // A page after the first names its cursor (the previous page's `next`).
      const params = typeof message.cursor === 'string' ? { query, cursor: message.cursor } : { query };
      sendToHost('vault.list', params, (reply) => sendResponse(reply));
      return;
    }
    case 'restore':
      // A passkey a signal hid, offered to pages again.
      if (typeof message.credentialId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(message.credentialId)) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not a credential id' } });
        return;
      }
      sendToHost('vault.restore', { credentialId: message.credentialId }, (reply) => sendResponse(reply));
      return;
    case 'delete': {
      if (typeof message.credentialId === 'string' && /^[A-Za-z0-9_-]+$/.test(message.credentialId)) {
        sendToHost('vault.delete', { credentialId: message.credentialId }, (reply) => sendResponse(reply));
        return;
      }
      if (!Number.isSafeInteger(message.record) || message.record < 0) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not a record id' } });
        return;
      }
      sendToHost('vault.delete', { record: message.record }, (reply) => sendResponse(reply));
      return;
    }
    case 'ui.respond': {
      const key = message.key;
      const state = typeof key === 'string' ? (await api.storage.session.get(key))[key] : undefined;
      if (!state || state.generation !== generation || !port) {
        sendResponse({ result: { delivered: false } });
        return;
      }
      const answer = validAnswer(state, message.answer);
      if (!answer) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not an answer to this UI' } });
        return;
      }
      await api.storage.session.remove(key);
      noteStoreAnswer(state, answer);
      if (answer.cancel === true) noteVerifyCancelled(state);
      if (state.autofill) autofills.delete(state.ui);
      sendToHost('ui.respond', { ui: state.ui, answer }, (reply) => {
        sendResponse(reply);
        if (state.windowId !== null) api.windows.remove(state.windowId).catch(() => {});
      });
      return;
    }
    default:
      sendResponse({ error: { name: 'NotSupportedError', message: 'credwell: unknown UI message' } });
  }
}

function validAnswer(state, answer) {
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

// ---- icons ---------------------------------------------------------------------------------------
// Fetched by the extension after a real Save/Update only, same-site with the caller, rate-limited,
// cached in the extension origin's IndexedDB (src/icons.js); the chooser shows cached ones only.
const icons = iconService({ cache: iconCache(indexedDbBackend()) });
// Earlier versions cached icons in storage.local, which content scripts can write.
api.storage.local.remove('icons').catch(() => {});

// A save/update prompt's answer: remember on its request that the user saved, so that its
// reply fetches the icon.
function noteStoreAnswer(prompt, answer) {
  if (prompt.kind !== 'save' && prompt.kind !== 'update') return;
  const entry = hostPending.get(prompt.request);
  if (entry?.method === 'credentials.store' && (answer.save === 'save' || answer.update === true)) entry.saved = true;
}
