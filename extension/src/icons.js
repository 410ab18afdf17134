// @ts-check
// Account icons (a credential's `iconURL`), shown by the account chooser.
//
// The URL is the page's choice, so fetching it is something a page makes the extension do. It is
// therefore fetched only:
// - after the user really saved (or updated) the credential: the background calls
//   `fetchAndCache` only for a `store()` whose save/update prompt was answered Save/Update
//   (not "Not now", not a store that changed nothing and showed no prompt);
// - when it is same-site with the caller, narrowed to what needs no Public Suffix List here:
//   https, and the icon's host is the caller's host or a subdomain of it (`iconUrlAllowed`);
// - by the extension (never in the page's context), without credentials, referrer or cache,
//   without following redirects (one could lead to another site), ≤ MAX_ICON_BYTES, images only;
// - at most MAX_FETCHES_PER_WINDOW times per FETCH_WINDOW_MS (a rate limit on fetches and so on
//   cache writes), whatever the pages do.
// Icons are cached in the extension origin's IndexedDB, which content scripts cannot reach
// (they could write storage.local), bounded to MAX_ENTRIES entries and MAX_CACHE_BYTES bytes,
// oldest out first. The chooser shows cached icons only, so opening it fetches nothing.

import { objectStore } from './idb.js';
import { rateLimit } from './rate-limit.js';

export const MAX_ICON_BYTES = 64 * 1024;
export const MAX_ENTRIES = 100;
export const MAX_CACHE_BYTES = 1024 * 1024;
export const MAX_FETCHES_PER_WINDOW = 10;
export const FETCH_WINDOW_MS = 60_000;
const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|x-icon|vnd\.microsoft\.icon)$/;

/**
 * A cached icon: its URL, the image as a data: URL, its size in the cache's accounting and when
 * it was added (milliseconds since the epoch).
 * @typedef {object} IconEntry
 * @property {string} url
 * @property {string} data
 * @property {number} bytes
 * @property {number} at
 */

/**
 * Where the cache keeps its entries: all of them, and one write that adds and removes.
 * @typedef {object} IconBackend
 * @property {() => Promise<IconEntry[]>} all
 * @property {(puts: IconEntry[], removes: string[]) => Promise<void>} write
 */

/** @typedef {ReturnType<typeof iconCache>} IconCache */

/**
 * Whether the extension may fetch `iconURL` for a credential stored by `callerOrigin`.
 * @param {string} iconURL
 * @param {string} callerOrigin
 */
export function iconUrlAllowed(iconURL, callerOrigin) {
  let icon;
  let caller;
  try {
    icon = new URL(iconURL);
    caller = new URL(callerOrigin);
  } catch {
    return false;
  }
  if (icon.protocol !== 'https:' || icon.username !== '' || icon.password !== '') return false;
  if (caller.protocol !== 'https:' && caller.protocol !== 'http:') return false;
  const host = caller.hostname;
  if (host === '') return false;
  return icon.hostname === host || icon.hostname.endsWith(`.${host}`);
}

/**
 * The cache's storage: IndexedDB of the extension's own origin.
 * @returns {IconBackend}
 */
export function indexedDbBackend(name = 'credwell-icons') {
  const run = objectStore(name, 'icons', { keyPath: 'url' });
  return {
    // Only `write` puts entries in this store.
    all: async () => /** @type {IconEntry[]} */ ((await run('readonly', (s) => s.getAll())).result),
    write: (puts, removes) =>
      run('readwrite', (s) => {
        for (const url of removes) s.delete(url);
        for (const entry of puts) s.put(entry);
      }),
  };
}

/**
 * An in-memory backend with the same shape (tests).
 * @returns {IconBackend & {map: Map<string, IconEntry>}}
 */
export function memoryBackend() {
  /** @type {Map<string, IconEntry>} */
  const map = new Map();
  return {
    map,
    all: async () => [...map.values()].map((e) => ({ ...e })),
    write: async (puts, removes) => {
      for (const url of removes) map.delete(url);
      for (const entry of puts) map.set(entry.url, { ...entry });
    },
  };
}

/**
 * The icon cache over `backend`: lookups and bounded inserts.
 * @param {IconBackend} backend
 * @param {{maxEntries?: number, maxBytes?: number, now?: () => number}} [options]
 */
export function iconCache(backend, { maxEntries = MAX_ENTRIES, maxBytes = MAX_CACHE_BYTES, now = Date.now } = {}) {
  return {
    /**
     * url → data: URL, for the cached ones among `urls` (what is not a string is ignored).
     * @param {unknown[]} urls
     */
    async lookup(urls) {
      const wanted = new Set(urls.filter((u) => typeof u === 'string'));
      /** @type {Map<string, string>} */
      const out = new Map();
      if (wanted.size === 0) return out;
      for (const e of await backend.all()) if (wanted.has(e.url)) out.set(e.url, e.data);
      return out;
    },
    /** @param {string} url */
    async has(url) {
      return (await this.lookup([url])).has(url);
    },
    /**
     * Adds one icon, then drops the oldest until the cache is within both bounds.
     * @param {string} url
     * @param {string} data a data: URL
     */
    async put(url, data) {
      const entry = { url, data, bytes: url.length + data.length, at: now() };
      if (entry.bytes > maxBytes) return;
      const entries = (await backend.all()).filter((e) => e.url !== url);
      entries.sort((a, b) => a.at - b.at);
      let bytes = entries.reduce((n, e) => n + e.bytes, 0) + entry.bytes;
      const removes = [];
      let kept = entries.length;
      for (const old of entries) {
        if (kept + 1 <= maxEntries && bytes <= maxBytes) break;
        kept -= 1;
        bytes -= old.bytes;
        removes.push(old.url);
      }
      await backend.write([entry], removes);
    },
  };
}

/**
 * Fetches one icon as a data: URL, or null when it is not an acceptable image.
 * @param {string} url
 * @param {{fetchImpl?: typeof fetch, timeoutMs?: number}} [options]
 * @returns {Promise<string | null>}
 */
export async function fetchIcon(url, { fetchImpl = globalThis.fetch, timeoutMs = 5000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetchImpl(url, {
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
      redirect: 'error',
      signal: controller.signal,
    });
    const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!response.ok || !IMAGE_TYPES.test(type)) return null;
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > MAX_ICON_BYTES) return null;
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > MAX_ICON_BYTES) return null;
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return `data:${type};base64,${btoa(binary)}`;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The background's icon service: `afterSave(iconURL, callerOrigin)` (call it only after a real
 * Save/Update) and `lookup(urls)` for the chooser.
 * @param {{cache: IconCache, fetchImpl?: typeof fetch, limiter?: {take: () => boolean}}} options
 *   `fetchImpl`: fetchIcon's default (the global fetch) when not given
 */
export function iconService({ cache, fetchImpl, limiter = rateLimit({ limit: MAX_FETCHES_PER_WINDOW, windowMs: FETCH_WINDOW_MS }) }) {
  return {
    /** @param {unknown[]} urls */
    lookup: (urls) => cache.lookup(urls),
    /**
     * True when it fetched (whatever the outcome), false when it was not allowed to.
     * @param {unknown} iconURL the credential's `iconURL`, as the page gave it
     * @param {string} callerOrigin
     */
    async afterSave(iconURL, callerOrigin) {
      if (typeof iconURL !== 'string' || !iconUrlAllowed(iconURL, callerOrigin)) return false;
      if (await cache.has(iconURL)) return false;
      if (!limiter.take()) return false;
      const data = await fetchIcon(iconURL, { fetchImpl });
      if (data) await cache.put(iconURL, data);
      return true;
    },
  };
}
