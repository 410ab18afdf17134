// @ts-check
// The relay of credwell's MAIN-world shim (part of gen/main-world.js, see build.mjs): calls go to
// the ISOLATED-world relay as WIRE messages (src/wire.js) in CustomEvents on the document, and
// come back as replies. A message carries only the method, the converted arguments and the
// shim's request number: the background derives the caller (origin, ancestors) from what the
// browser reports about the sender, never from anything here.

/**
 * A call waiting for its reply.
 * @typedef {{settle: (reply: any) => void}} PendingCall
 */

/**
 * The relay transport of one document: CustomEvents on it to and from the ISOLATED relay, with
 * the calls waiting for replies.
 * @param {Intrinsics} I
 * @param {Document} doc
 */
function documentTransport(I, doc) {
  const { Map, CustomEvent, addEventListener, dispatchEvent, eventDetail, jsonParse } = I;
  const { jsonStringify, mapGet, mapSet, mapDelete } = I;
  let nextRid = 1;
  /** @type {Map<number, PendingCall>} */
  const pending = new Map();
  addEventListener(doc, WIRE.events.response, (/** @type {Event} */ event) => {
    let message;
    try {
      const detail = eventDetail(event);
      if (typeof detail !== 'string') return;
      message = jsonParse(detail);
    } catch {
      return;
    }
    if (!WIRE.is(message, 'reply')) return;
    const call = mapGet(pending, message.rid);
    if (!call) return;
    mapDelete(pending, message.rid);
    call.settle(message);
  });
  return {
    rid: () => nextRid++,
    /**
     * @param {number} rid
     * @param {PendingCall} call
     */
    set: (rid, call) => mapSet(pending, rid, call),
    /** @param {number} rid */
    get: (rid) => mapGet(pending, rid),
    /** @param {number} rid */
    delete: (rid) => mapDelete(pending, rid),
    /** @param {object} message a WIRE call or abort */
    post: (message) => {
      dispatchEvent(doc, new CustomEvent(WIRE.events.request, { detail: jsonStringify(message) }));
    },
  };
}

/** @typedef {ReturnType<typeof documentTransport>} Transport */

/**
 * @callback Relay
 * Sends one call and returns the page's promise. `signal` (an AbortSignal or undefined) rejects
 * the promise with its reason as soon as it aborts, and cancels the host request.
 * @param {string} method
 * @param {{[param: string]: unknown}} params
 * @param {AbortSignal | undefined} signal
 * @param {(result: any) => unknown} toResult
 * @returns {Promise<unknown>}
 */

/**
 * The relay over `transport`, settling in the realm of `I`.
 * @param {Intrinsics} I
 * @param {Transport} transport
 */
function relayCalls(I, transport) {
  const { Promise, TypeError, DOMException, hasOwn, isObject, jsonParse, jsonStringify } = I;
  const { signalAborted, signalReason, addEventListener } = I;

  /**
   * The exception a host error names: a real TypeError, or a DOMException with the name.
   * @param {{name?: unknown, message?: unknown}} error
   */
  const toException = (error) => {
    const name = typeof error.name === 'string' ? error.name : 'UnknownError';
    const message = typeof error.message === 'string' ? error.message : '';
    if (name === 'TypeError') return new TypeError(message);
    if (name === 'ProtocolError') return new DOMException(message, 'UnknownError');
    return new DOMException(message, name);
  };

  /**
   * A JSON-safe copy of an abort reason for the host (which only echoes it back).
   * @param {unknown} value
   */
  const jsonSafe = (value) => {
    try {
      const text = jsonStringify(value);
      return text === undefined ? undefined : jsonParse(text);
    } catch {
      return undefined;
    }
  };

  /** @type {Relay} */
  const relay = (method, params, signal, toResult) =>
    new Promise((resolve, reject) => {
      const rid = transport.rid();
      let abortedAtCall = false;
      /** @type {unknown} */
      let reasonAtCall;
      if (signal !== undefined && signalAborted(signal)) {
        abortedAtCall = true;
        reasonAtCall = signalReason(signal);
        const reason = jsonSafe(reasonAtCall);
        const isDefault = reasonAtCall instanceof DOMException && reasonAtCall.name === 'AbortError';
        params.signal = isDefault || reason === undefined ? { aborted: true } : { aborted: true, reason };
      }
      const call = {
        /** @param {any} reply */
        settle(reply) {
          if (hasOwn(reply, 'error') && isObject(reply.error)) {
            const error = reply.error;
            if (hasOwn(error, 'abortReason')) {
              reject(abortedAtCall ? reasonAtCall : error.abortReason);
            } else if (abortedAtCall && error.name === 'AbortError') {
              reject(reasonAtCall);
            } else {
              reject(toException(error));
            }
            return;
          }
          try {
            resolve(toResult(hasOwn(reply, 'result') ? reply.result : null));
          } catch (e) {
            reject(e);
          }
        },
      };
      transport.set(rid, call);
      if (signal !== undefined && !abortedAtCall) {
        addEventListener(
          signal,
          'abort',
          () => {
            if (transport.get(rid) !== call) return;
            transport.delete(rid);
            const reason = signalReason(signal);
            reject(reason);
            transport.post(WIRE.abort(rid, jsonSafe(reason)));
          },
          { once: true },
        );
      }
      transport.post(WIRE.call(rid, method, params));
    });

  return relay;
}
