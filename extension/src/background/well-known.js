// @ts-check
// The host's `wellKnown.fetch`: the RP's `.well-known/webauthn` document, fetched for the host
// (src/related-origins.js), charged to the documents that asked for it.

import { fetchWellKnownWebauthn } from '../related-origins.js';
import { rateLimit } from '../rate-limit.js';
import { hostPending, sendToHost } from './host.js';
import { documents } from './documents.js';

// Host fetch id → the AbortController of a `.well-known/webauthn` fetch in flight.
/** @type {Map<number, AbortController>} */
const wellKnownFetches = new Map();

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
/**
 * @param {string} method
 * @param {any} params the page's
 * @returns {string | null}
 */
export function requestedRpId(method, params) {
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

/** @param {string} rpId */
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

/** @param {import('./host.js').HostEvent} event */
export async function fetchWellKnownForHost(event) {
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

/** The host's `wellKnown.cancel`. */
/** @param {number} fetch */
export function cancelWellKnownFetch(fetch) {
  wellKnownFetches.get(fetch)?.abort();
  wellKnownFetches.delete(fetch);
}

/** The host went away: its fetches end. */
export function abortWellKnownFetches() {
  for (const controller of wellKnownFetches.values()) controller.abort();
  wellKnownFetches.clear();
}
