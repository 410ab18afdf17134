// @ts-check
// The wire between credwell's MAIN-world shim (src/main/, bundled as gen/main-world.js) and its
// ISOLATED-world relay (src/content/isolated.js, bundled as gen/isolated.js): CustomEvents on the
// document whose `detail` is a JSON string (Firefox does not let the page read objects made in
// the content script's world):
//
//   MAIN → ISOLATED, event `events.request`:  {t: "call", rid, method, params}
//                                             {t: "abort", rid, reason?}
//   ISOLATED → MAIN, event `events.response`: {t: "reply", rid, result} | {t: "reply", rid, error}
//
// `rid` is the shim's request number (a non-negative safe integer), unique per document. The page
// can dispatch these events too: nothing in a message decides which origin a call acts for (the
// background reads the caller from the browser's sender information).
//
// Defined once here: build.mjs inlines this file into both classic content scripts (they cannot
// import), and Node tests import it. It must stay free of globals (no JSON, Number, Object...):
// in the MAIN world a page script could have replaced them by the time a message is built.

export const WIRE = {
  /**
   * The event names (plain data, so that tests can pass them into a page): `request`, the
   * shim's for a call or an abort; `response`, the relay's for a reply. Both on the document.
   */
  events: { request: 'credwell-request', response: 'credwell-response' },
  /** The longest request `detail` (in UTF-16 code units) the relay reads: 4 MiB. */
  maxDetail: 4 * 1024 * 1024,

  /**
   * A call of `method` (e.g. "credentials.get") with its converted `params`.
   * @param {number} rid
   * @param {string} method
   * @param {object} params
   */
  call: (rid, method, params) => ({ t: 'call', rid, method, params }),

  /**
   * The abort of call `rid`, with the page's `reason` when it has a JSON form.
   * @param {number} rid
   * @param {unknown} [reason]
   */
  abort: (rid, reason) => (reason === undefined ? { t: 'abort', rid } : { t: 'abort', rid, reason }),

  /**
   * The reply to call `rid`: `body` is {result} or {error: {name, message} | {abortReason}}.
   * @param {number} rid
   * @param {object} body
   */
  reply: (rid, body) => ({ t: 'reply', rid, ...body }),

  /**
   * Whether `rid` is a request number: a non-negative safe integer.
   * @param {unknown} rid
   * @returns {rid is number}
   */
  isRid: (rid) => typeof rid === 'number' && rid >= 0 && rid <= 9007199254740991 && rid % 1 === 0,

  /**
   * Whether a parsed message is of kind `t` ("call", "abort" or "reply").
   * @param {unknown} message
   * @param {'call' | 'abort' | 'reply'} t
   * @returns {message is {t: string, rid: unknown, [member: string]: unknown}}
   */
  is: (message, t) => typeof message === 'object' && message !== null && /** @type {any} */ (message).t === t,
};
