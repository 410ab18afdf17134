// @ts-check
// WebAuthn related origin requests (https://w3c.github.io/webauthn/#sctn-related-origins): the
// fetch of the relying party's `.well-known/webauthn` document, on the host's behalf
// (docs/protocol.md: the `wellKnown.fetch` event, the `wellKnown.result` method).
//
// The related origins validation procedure, step 2: "Fetch the webauthn well-known URL for the
// RP ID rpIdRequested (i.e., https://rpIdRequested/.well-known/webauthn) without credentials,
// without a referrer and using the https: scheme." This module only fetches; the host checks
// the status, the content type, the final URL's scheme, the JSON and the origins list
// (credwell-core, `webauthn/related_origins.rs`), so that every decision is made in one place.
//
// - credentials: 'omit' (no cookies, no HTTP authentication, no client certificates);
// - referrer: none (`referrerPolicy: 'no-referrer'`, `referrer: ''`);
// - redirects are not followed (`redirect: 'manual'`; a redirect is reported as a network
//   error): the page chose the RP ID, and a redirect would let that host point the extension at
//   any other one (an intranet address, say). Stricter than the spec's "status code (after
//   following redirects)": an RP must serve its document at the well-known URL itself;
// - only names that can be public hosts: no IP literal, no single label (the host's engine has
//   already refused names outside the Public Suffix List's registrable domains; this is the
//   fetcher's own check of what it is asked to reach);
// - the HTTP cache is used as for any fetch: the spec says nothing about it, and the relying
//   party controls it with Cache-Control;
// - the body is read up to MAX_WELL_KNOWN_BYTES; a larger one is not read further and is
//   reported as `{error: 'too-large'}`.

/** The largest document passed to the host (credwell-core's MAX_DOCUMENT_BYTES). */
export const MAX_WELL_KNOWN_BYTES = 64 * 1024;

/**
 * A fetch that gave no document to check.
 * @typedef {{error: 'network' | 'too-large' | 'aborted', message: string}} WellKnownFailure
 */

/**
 * Fetches `https://<rpId>/.well-known/webauthn`.
 *
 * @param {string} rpId the RP ID, a domain (the host sends it in ASCII, lower case)
 * @param {{signal?: AbortSignal, fetchImpl?: typeof fetch}} [options] `signal` aborts the
 *   fetch (the host sent `wellKnown.cancel`); `fetchImpl` replaces `fetch` in tests
 * @returns {Promise<{status: number, contentType: string|null, url: string, body: string}
 *   | WellKnownFailure>} the params of
 *   `wellKnown.result`, without `fetch`
 */
export async function fetchWellKnownWebauthn(rpId, { signal, fetchImpl = globalThis.fetch } = {}) {
  const url = wellKnownUrl(rpId);
  if (!url) return { error: 'network', message: 'the RP ID is not a domain' };
  let response;
  try {
    response = await fetchImpl(url, {
      method: 'GET',
      credentials: 'omit',
      referrer: '',
      referrerPolicy: 'no-referrer',
      redirect: 'manual',
      signal,
    });
  } catch (e) {
    return failure(e);
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel().catch(() => {});
    return { error: 'network', message: 'the well-known URL redirected' };
  }
  try {
    const body = await readCapped(response, MAX_WELL_KNOWN_BYTES);
    if (body === null) {
      return { error: 'too-large', message: `the document is larger than ${MAX_WELL_KNOWN_BYTES} bytes` };
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      url: response.url || url,
      body,
    };
  } catch (e) {
    return failure(e);
  }
}

/**
 * The well-known URL of `rpId`, or null when `rpId` is not a plain domain of at least two labels
 * (an IP literal, `localhost`, `intranet`, an upper-case or non-ASCII name).
 * @param {unknown} rpId
 * @returns {string | null}
 */
export function wellKnownUrl(rpId) {
  if (typeof rpId !== 'string' || rpId === '' || /[^a-z0-9.-]/.test(rpId)) return null;
  const labels = rpId.split('.');
  if (labels.length < 2 || labels.some((l) => l === '')) return null;
  // The URL parser reads a host whose last label is a number as an IPv4 address.
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1])) return null;
  let url;
  try {
    url = new URL(`https://${rpId}/.well-known/webauthn`);
  } catch {
    return null;
  }
  // Nothing but the host may come from rpId (no port, credentials or path).
  if (url.hostname !== rpId || url.port !== '' || url.pathname !== '/.well-known/webauthn') return null;
  return url.href;
}

/**
 * The body as text, or null when it is longer than `limit` bytes.
 * @param {Response} response
 * @param {number} limit
 * @returns {Promise<string | null>}
 */
async function readCapped(response, limit) {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * A thrown fetch or read as the failure reported to the host (the message cut to 200 characters).
 * @param {{name?: unknown, message?: unknown} | null | undefined} e what was thrown
 * @returns {WellKnownFailure}
 */
function failure(e) {
  if (e?.name === 'AbortError') return { error: 'aborted', message: 'the fetch was cancelled' };
  return { error: 'network', message: String(e?.message ?? e).slice(0, 200) };
}
