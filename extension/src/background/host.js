// @ts-check
// The native port: one persistent connection to the host (runtime.connectNative), which says
// `hello` first and multiplexes requests by id (docs/protocol.md). The host's events, the end
// of a request and the host's departure go to the hooks background.js sets (`onHost`).

import { HOST_NAME, PROTOCOL_VERSION } from '../id.js';

const api = globalThis.chrome;

/**
 * The host's reply to a request: `{id, result}` or `{id, error}` (docs/protocol.md).
 * @typedef {{id?: number, result?: any, error?: any}} HostReply
 */
/**
 * An event the host sends (`ui.show`, `wellKnown.fetch`, ...), with its own fields.
 * @typedef {{event: string, [field: string]: any}} HostEvent
 */
/**
 * A request to the host waiting for its reply.
 * @typedef {object} HostEntry
 * @property {string} method
 * @property {(reply: HostReply) => void} onReply
 * @property {{docKey: string, rid: number, tabId?: number}} [page] a page's call: its document,
 *   request number and tab
 * @property {string | null} [rpId] the RP ID a page's call names (well-known.js)
 * @property {boolean} [saved] the user said yes to this store's save / update prompt
 */
/**
 * @typedef {object} HostHooks
 * @property {(event: HostEvent) => Promise<void>} event
 * @property {(id: number, entry: HostEntry) => void} replied
 * @property {() => void} gone
 */

/** @type {chrome.runtime.Port | null} */
let port = null;
export let generation = 0; // one per host process, so UI ids of different hosts never collide
let nextHostId = 1;
/** @type {Map<number, HostEntry>} */
export const hostPending = new Map(); // host request id → {method, onReply, page?}
export let locked = true;

/** @type {HostHooks} */
const hooks = {
  // A host event ({event, ...}).
  event: async () => {},
  // The host answered request `id` (its entry already out of hostPending).
  replied: () => {},
  // The host went away: its pending requests have been answered with an error.
  gone: () => {},
};

/**
 * Sets what the background does with the host's events, replies and departure.
 * @param {HostHooks} hooks
 */
export function onHost({ event, replied, gone }) {
  Object.assign(hooks, { event, replied, gone });
}

/** @param {boolean} value */
export function setLocked(value) {
  locked = value;
}

/** Whether a host process is connected now. */
export function hostConnected() {
  return port !== null;
}

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

/**
 * Sends a request to the host (connecting first if need be); returns its id.
 * @param {string} method
 * @param {object} params
 * @param {(reply: HostReply) => void} onReply
 * @param {Partial<HostEntry>} [extra] what else the entry carries (a page's call, its RP ID)
 * @returns {number}
 */
export function sendToHost(method, params, onReply, extra = {}) {
  const id = nextHostId++;
  if (nextHostId > Number.MAX_SAFE_INTEGER) nextHostId = 1;
  const entry = /** @type {HostEntry} */ (Object.assign(extra, { method, onReply }));
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

/** @param {any} message */
function onHostMessage(message) {
  if (!message || typeof message !== 'object') return;
  if (typeof message.event === 'string') {
    hooks.event(message).catch((e) => console.error('credwell: event', message.event, e));
    return;
  }
  const entry = hostPending.get(message.id);
  if (!entry) {
    if (message.error) console.warn('credwell: host error without a request', message.error);
    return;
  }
  hostPending.delete(message.id);
  entry.onReply(message);
  hooks.replied(message.id, entry);
}

/** @param {string | undefined} why */
function onHostGone(why) {
  const error = {
    name: 'UnknownError',
    message: `credwell's native host is not available${why ? ` (${why})` : ''}`,
  };
  const entries = [...hostPending.values()];
  hostPending.clear();
  for (const entry of entries) entry.onReply({ error });
  locked = true;
  hooks.gone();
}
