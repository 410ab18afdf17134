// credwell's ISOLATED-world relay: MAIN-world shim <-> background.
//
// The shim (src/main-world.js) dispatches `credwell-request` CustomEvents on the document whose
// detail is a JSON string {t: "call", rid, method, params} or {t: "abort", rid, reason?}; this
// script passes them to the background with runtime.sendMessage and answers calls with a
// `credwell-response` event {t: "reply", rid, result | error}. The page can dispatch these events
// too: that is fine, because the background decides who is calling from the browser's sender
// information, never from the message.
//
// A long-lived port, opened on the first call, tells the background when this document goes away
// (navigation, frame removal, tab close, back/forward cache), so that it can cancel the
// document's requests.
(() => {
  'use strict';
  const api = globalThis.chrome;
  const REQUEST_EVENT = 'credwell-request';
  const RESPONSE_EVENT = 'credwell-response';
  const MAX_DETAIL = 4 * 1024 * 1024;
  let lifetime = null;

  const ensureLifetimePort = () => {
    if (lifetime) return;
    try {
      lifetime = api.runtime.connect({ name: 'credwell-document' });
      lifetime.onDisconnect.addListener(() => {
        void api.runtime.lastError;
        lifetime = null;
      });
    } catch {
      lifetime = null;
    }
  };

  // What the browser says about this frame, read here in the isolated world where page scripts
  // cannot reach the objects: the permissions policy the embedder gave the frame (its `allow`
  // attribute) and whether the user just interacted with it. Absent where the browser does not
  // expose it (Firefox has no document.featurePolicy): the host then applies the defaults.
  const policy = document.permissionsPolicy ?? document.featurePolicy;
  const allows = (feature) => {
    try {
      return policy && typeof policy.allowsFeature === 'function' ? policy.allowsFeature(feature) : undefined;
    } catch {
      return undefined;
    }
  };
  const frameFacts = () => ({
    publicKeyGetAllowed: allows('publickey-credentials-get'),
    publicKeyCreateAllowed: allows('publickey-credentials-create'),
    transientActivation: navigator.userActivation ? navigator.userActivation.isActive : undefined,
  });

  const respond = (rid, body) => {
    const detail = JSON.stringify({ t: 'reply', rid, ...body });
    document.dispatchEvent(new CustomEvent(RESPONSE_EVENT, { detail }));
  };

  document.addEventListener(REQUEST_EVENT, (event) => {
    const detail = event.detail;
    if (typeof detail !== 'string' || detail.length > MAX_DETAIL) return;
    let message;
    try {
      message = JSON.parse(detail);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    const { rid } = message;
    if (!Number.isSafeInteger(rid) || rid < 0) return;
    if (message.t === 'call') {
      ensureLifetimePort();
      const params = message.params && typeof message.params === 'object' ? message.params : {};
      try {
        api.runtime.sendMessage(
          { credwell: 1, kind: 'call', rid, method: String(message.method), params, frame: frameFacts() },
          (reply) => {
            const error = api.runtime.lastError;
            if (error || !reply || typeof reply !== 'object') {
              respond(rid, {
                error: {
                  name: 'UnknownError',
                  message: `credwell is not available${error ? `: ${error.message}` : ''}`,
                },
              });
              return;
            }
            respond(rid, reply);
          },
        );
      } catch (e) {
        respond(rid, { error: { name: 'UnknownError', message: `credwell is not available: ${e.message}` } });
      }
    } else if (message.t === 'abort') {
      const abort = { credwell: 1, kind: 'abort', rid };
      if (Object.hasOwn(message, 'reason')) abort.reason = message.reason;
      try {
        api.runtime.sendMessage(abort, () => void api.runtime.lastError);
      } catch {
        // The extension went away; nothing to cancel.
      }
    }
  });
})();
