// @ts-check
// Building the protocol's `caller` object (docs/protocol.md, "The caller object") from what the
// *browser* reports about a message's sender. Nothing the page sent is read here.
//
// - origin: `sender.origin` (the browser process's view of the frame's origin; "null" when
//   opaque, e.g. a sandboxed frame without allow-same-origin).
// - ancestors: the parent frames' origins, parent first, walking `webNavigation.getAllFrames`.
//   webNavigation reports URLs, not origins, and a URL does not tell the origin (HTML): an
//   about:blank document has its *initiator's* origin, which need not be its parent's, and a
//   document served with a CSP `sandbox` has an opaque origin whatever its URL. So each
//   ancestor's origin is only ever one the browser reported for that very document: the
//   `sender.origin` of its own messages (remembered per document id), or of its answer to the
//   background's `identify` message (src/isolated.js), passed in `knownOrigins` under
//   `originKey(frame)`. An ancestor whose origin is not known, or that cannot be found in the
//   tree, counts as opaque, which makes the caller not same-origin with its ancestors (the safe
//   answer: refused).
// - secureContext: as Chromium decides it: the frame's origin is potentially trustworthy
//   (https/wss, file, loopback, localhost and *.localhost, extension origins) — for an opaque
//   origin, its URL's (a sandboxed http://localhost document is secure, a data: document is
//   not) — and so is every ancestor's.
// - fullyActive: `sender.documentLifecycle === "active"` (and the frame still shows that
//   document).
// - client: a number folded from tab id, frame id and document id: stable for one document,
//   different for the next document in the same frame.

const TUPLE_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:']);

/**
 * A frame of a tab as webNavigation.getAllFrames reports it (what is read of it here).
 * @typedef {object} Frame
 * @property {number} frameId
 * @property {number} parentFrameId -1 for the top-level frame
 * @property {string} url
 * @property {string} [documentId] absent in Firefox
 */

/**
 * An ancestor in `ancestorChain`: a frame of the tree, or (`missing`) a parent id the tree does
 * not have; `origin` and `trust` are resolved once the chain is known.
 * @typedef {object} Ancestor
 * @property {number} frameId
 * @property {string} url
 * @property {string} [documentId]
 * @property {boolean} [missing]
 * @property {string} origin
 * @property {boolean} trust
 */

/**
 * What is read of a content script's runtime.MessageSender.
 * @typedef {Pick<chrome.runtime.MessageSender,
 *   'tab' | 'frameId' | 'origin' | 'url' | 'documentId' | 'documentLifecycle'>} Sender
 */

/**
 * The origin of `url` as a frame showing it would have, given its parent's origin.
 * @param {string} url
 * @returns {string}
 */
export function originOfUrl(url, parentOrigin = 'null') {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return 'null';
  }
  if (url === 'about:blank' || url === 'about:srcdoc' || (parsed.protocol === 'about:' && (parsed.pathname === 'blank' || parsed.pathname === 'srcdoc'))) {
    return parentOrigin;
  }
  if (TUPLE_SCHEMES.has(parsed.protocol)) return parsed.origin;
  if (parsed.protocol === 'blob:') {
    try {
      return originOfUrl(url.slice('blob:'.length), 'null');
    } catch {
      return 'null';
    }
  }
  if (parsed.protocol === 'chrome-extension:' || parsed.protocol === 'moz-extension:') {
    return `${parsed.protocol}//${parsed.host}`;
  }
  return 'null';
}

/** @param {string} host */
function isLoopbackHost(host) {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '[::1]') return true;
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  return !!m && Number(m[1]) === 127;
}

/**
 * «Is origin potentially trustworthy?» for a serialized origin.
 * @param {unknown} origin
 */
export function isTrustworthyOrigin(origin) {
  if (typeof origin !== 'string' || origin === 'null') return false;
  let u;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  switch (u.protocol) {
    case 'https:':
    case 'wss:':
    case 'file:':
    case 'chrome-extension:':
    case 'moz-extension:':
      return true;
    case 'http:':
    case 'ws:':
      return isLoopbackHost(u.hostname);
    default:
      return false;
  }
}

/**
 * Whether a frame is potentially trustworthy on its own: its origin when that is a tuple origin,
 * else (opaque) its URL's origin; about:blank/srcdoc inherit `parentTrust`.
 * @param {string} url
 * @param {string} origin
 * @param {boolean} parentTrust
 * @returns {boolean}
 */
export function frameTrust(url, origin, parentTrust) {
  if (origin !== 'null') return isTrustworthyOrigin(origin);
  if (url === 'about:blank' || url === 'about:srcdoc') return parentTrust;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (TUPLE_SCHEMES.has(parsed.protocol) || parsed.protocol === 'file:') {
    return parsed.protocol === 'file:' || isTrustworthyOrigin(parsed.origin);
  }
  if (parsed.protocol === 'about:') return parentTrust;
  return false;
}

/**
 * 32-bit FNV-1a with a chosen offset basis.
 * @param {string} text
 * @param {number} basis
 */
function fnv1a(text, basis) {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The `client` number for a document: 52 bits, a safe integer, stable per document.
 * @param {number} tabId
 * @param {number} frameId
 * @param {string} [documentId]
 */
export function clientId(tabId, frameId, documentId) {
  const key = `${tabId}:${frameId}:${documentId ?? ''}`;
  const hi = fnv1a(key, 0x811c9dc5) & 0xfffff;
  const lo = fnv1a(key, 0x050c5d1f);
  return hi * 0x100000000 + lo;
}

/**
 * The key of a frame's document in `knownOrigins`: its document id, else its frame id.
 * @param {{frameId: number, documentId?: string}} frame
 */
export function originKey(frame) {
  return frame.documentId ?? `frame:${frame.frameId}`;
}

/**
 * The ancestors of frame `frameId` in `frames`, parent first (the frames themselves).
 * @template {Frame} F
 * @param {F[]} frames
 * @param {number} frameId
 * @returns {F[] | null}
 */
export function ancestorFrames(frames, frameId) {
  const byId = new Map(frames.map((f) => [f.frameId, f]));
  const self = byId.get(frameId);
  if (!self) return null;
  const out = [];
  const seen = new Set([frameId]);
  let parentId = self.parentFrameId;
  while (parentId !== undefined && parentId !== -1 && !seen.has(parentId)) {
    const parent = byId.get(parentId);
    if (!parent) break;
    seen.add(parentId);
    out.push(parent);
    parentId = parent.parentFrameId;
  }
  return out;
}

/**
 * The ancestor chain of frame `frameId` in `frames` (webNavigation.getAllFrames), parent first,
 * as [{frameId, url, documentId, origin, trust}], with origins from `knownOrigins` (see
 * `originKey`; "null" when unknown) and trust resolved top-down.
 * Returns null when the frame itself is not in the tree.
 * @param {Frame[]} frames
 * @param {number} frameId
 * @param {Map<string, string>} [knownOrigins]
 * @returns {{self: Frame, chain: Ancestor[]} | null}
 */
export function ancestorChain(frames, frameId, knownOrigins = new Map()) {
  const byId = new Map(frames.map((f) => [f.frameId, f]));
  const self = byId.get(frameId);
  if (!self) return null;
  /** @type {Ancestor[]} */
  const chain = [];
  let parentId = self.parentFrameId;
  const seen = new Set([frameId]);
  while (parentId !== undefined && parentId !== -1) {
    const parent = byId.get(parentId);
    if (!parent || seen.has(parentId)) {
      chain.push({ frameId: parentId, url: '', missing: true, origin: 'null', trust: false });
      break;
    }
    seen.add(parentId);
    const { url, documentId } = parent;
    chain.push({ frameId: parent.frameId, url, documentId, origin: 'null', trust: false });
    parentId = parent.parentFrameId;
  }
  // Trust from the top down: an opaque about:blank/srcdoc inherits its parent's.
  let trust = true;
  for (let i = chain.length - 1; i >= 0; i--) {
    const f = chain[i];
    if (f.missing) {
      f.origin = 'null';
      f.trust = false;
    } else {
      const known = knownOrigins.get(originKey(f));
      f.origin = typeof known === 'string' ? known : 'null';
      f.trust = trust && frameTrust(f.url, f.origin, trust);
    }
    trust = f.trust;
  }
  return { self, chain };
}

/**
 * The protocol's `caller` object (docs/protocol.md); the background adds the frame's facts its
 * ISOLATED-world script read (the permissions policy, user activation).
 * @typedef {object} Caller
 * @property {string} origin
 * @property {boolean} secureContext
 * @property {boolean} fullyActive
 * @property {string[]} ancestors
 * @property {number} client
 * @property {boolean} [publicKeyGetAllowed]
 * @property {boolean} [publicKeyCreateAllowed]
 * @property {boolean} [transientActivation]
 */

/**
 * The caller object for `sender` (a runtime.MessageSender of a content script), given the tab's
 * frames (null or [] for a top-level frame, which has no ancestors).
 * @param {Sender} sender
 * @param {Frame[] | null} frames
 * @param {Map<string, string>} [knownOrigins]
 * @returns {{caller: Caller, ancestorFrameIds: number[]}}
 */
export function buildCaller(sender, frames, knownOrigins = new Map()) {
  const tabId = sender.tab?.id ?? -1;
  const frameId = sender.frameId ?? 0;
  let origin = typeof sender.origin === 'string' ? sender.origin : undefined;
  if (origin === undefined) origin = originOfUrl(sender.url ?? '', 'null');
  /** @type {string[]} */
  let ancestors = [];
  /** @type {number[]} */
  let ancestorFrameIds = [];
  let ancestorsTrusted = true;
  let stillShown = true;
  if (frameId !== 0) {
    const resolved = ancestorChain(frames ?? [], frameId, knownOrigins);
    if (!resolved) {
      // Not in the tree any more: it went away. Be safe: opaque ancestor, not active.
      ancestors = ['null'];
      ancestorsTrusted = false;
      stillShown = false;
    } else {
      if (resolved.self.documentId && sender.documentId && resolved.self.documentId !== sender.documentId) {
        stillShown = false;
      }
      ancestors = resolved.chain.map((f) => f.origin);
      ancestorFrameIds = resolved.chain.map((f) => f.frameId);
      ancestorsTrusted = resolved.chain.length === 0 || resolved.chain[0].trust;
    }
  }
  const parentTrust = ancestorsTrusted;
  const secureContext = ancestorsTrusted && frameTrust(sender.url ?? '', origin, parentTrust);
  const lifecycle = sender.documentLifecycle;
  const fullyActive = (lifecycle === undefined || lifecycle === 'active') && stillShown;
  return {
    caller: {
      origin,
      secureContext,
      fullyActive,
      ancestors,
      client: clientId(tabId, frameId, sender.documentId),
    },
    ancestorFrameIds,
  };
}
