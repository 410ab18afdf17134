// @ts-check
// credwell's ISOLATED-world relay: MAIN-world shim <-> background. Bundled by build.mjs as
// gen/isolated.js, after src/wire.js (WIRE).
//
// The shim (src/main/, gen/main-world.js) dispatches WIRE.events.request CustomEvents on the
// document whose detail is a JSON string, a WIRE call or abort; this script passes them to the
// background and answers calls with a WIRE.events.response event carrying a WIRE reply. The page
// can dispatch these events too: that is fine, because the background decides who is calling
// from the browser's sender information, never from the message.
//
// Calls and aborts travel over one long-lived port per document (`credwell-document`), opened on
// the first call: a message on an open port is one hop, where runtime.sendMessage opens a new
// channel every time (0.6 ms of a 2 ms passkey sign-in in Chromium). The port also tells the
// background when this document goes away (navigation, frame removal, tab close, back/forward
// cache), so that it can cancel the document's requests. When the port cannot be used, a call
// goes by runtime.sendMessage instead, as it always did.
(() => {
  'use strict';
  const api = globalThis.chrome;
  /** @type {chrome.runtime.Port | null} */
  let lifetime = null;
  // rid → the port its call went over, until the reply.
  /** @type {Map<number, chrome.runtime.Port>} */
  const onPort = new Map();

  const ensureLifetimePort = () => {
    if (lifetime) return lifetime;
    try {
      const port = api.runtime.connect({ name: 'credwell-document' });
      port.onMessage.addListener((message) => {
        // The passkey autofill offers of this document's calls (src/autofill.js, in this same
        // isolated world): over the document's own port where the browser has no document ids.
        if (message?.credwell === 1 && (message.kind === 'autofill.offer' || message.kind === 'autofill.close')) {
          globalThis.credwellAutofill?.(message);
          return;
        }
        // The account the user picked to fill this document's sign-in form (fill.js).
        if (message?.credwell === 1 && message.kind === 'fill.fill') {
          fills?.fill(message);
          return;
        }
        if (!message || message.credwell !== 1 || message.kind !== 'reply') return;
        if (onPort.get(message.rid) !== port) return;
        onPort.delete(message.rid);
        deliver(message.rid, message.reply, null);
      });
      port.onDisconnect.addListener(() => {
        const error = api.runtime.lastError;
        if (lifetime === port) lifetime = null;
        // The background went away with these calls (it was stopped or reloaded).
        for (const [rid, via] of [...onPort]) {
          if (via !== port) continue;
          onPort.delete(rid);
          deliver(rid, null, error ?? { message: 'the extension\'s background went away' });
        }
      });
      lifetime = port;
    } catch {
      lifetime = null;
    }
    return lifetime;
  };

  // The background woken ahead of a sign-in. In Chromium a message from a document to a service
  // worker that is not running waits for the worker to start, and is dropped if the document is
  // gone by then: a sign-in page that calls store() and sets location.href in the same turn
  // lost its save whenever the worker slept (it sleeps after 30 s idle). A message to a running
  // worker arrives. So this document's port, which wakes the worker, is opened before the
  // page's call where a sign-in is likely:
  // - when the document holds a password field: at parse time (the light DOM, a cheap query),
  //   when the browser is next idle (inside open and closed shadow roots too, fields.js's
  //   deepInputs), and when one is added later (watched until one is seen);
  // - when the user focuses, types into or presses a pointer on a field that could hold a user
  //   name or a password, seen through shadow roots (a closed root's host is all the event's
  //   path shows: its focused element is asked for, fill.js's deepFocused);
  // - when the user presses a pointer anywhere in a document known to hold a password field
  //   (the sign-in button, ahead of its click).
  // Nothing of the page's is sent; a port closed because the worker slept is opened again by the
  // next such event. (Firefox's event page does not drop such messages; the port is harmless.)
  // (An input's `type` property is the state the browser uses: lower case, "text" when absent.)
  const CREDENTIAL_INPUTS = new Set(['text', 'email', 'tel', 'password']);
  /** @param {EventTarget | null | undefined} target */
  const mayHoldCredential = (target) => target instanceof HTMLInputElement && CREDENTIAL_INPUTS.has(target.type);
  let holdsPasswordField = false;
  /** @param {Event} e */
  const wakeOnField = (e) => {
    if (lifetime || e.isTrusted !== true) return;
    if (holdsPasswordField && (e.type === 'pointerdown' || e.type === 'mousedown')) {
      ensureLifetimePort();
      return;
    }
    const target = /** @type {Element | null} */ (e.composedPath?.()[0] ?? null);
    if (mayHoldCredential(target) || mayHoldCredential(deepFocused(target))) ensureLifetimePort();
  };
  for (const type of ['focusin', 'keydown', 'pointerdown', 'mousedown']) window.addEventListener(type, wakeOnField, true);
  const PASSWORD_FIELD = 'input[type="password" i]';
  /** @param {Document | ShadowRoot | Element} root */
  const hasPassword = (root) => deepInputs(root).some((el) => el.type === 'password');
  /** @type {MutationObserver | null} */
  let watching = null;
  const passwordFieldSeen = () => {
    holdsPasswordField = true;
    watching?.disconnect();
    watching = null;
    if (!lifetime) ensureLifetimePort();
  };
  /**
   * Whether an added node is a password field or holds one: in its light DOM, or (a custom
   * element, the kind that has a shadow root) in its shadow roots.
   * @param {Node} node
   */
  const addsPasswordField = (node) =>
    node instanceof Element &&
    (node.matches(PASSWORD_FIELD) ||
      !!node.querySelector(PASSWORD_FIELD) ||
      (node.localName.includes('-') && [node, shadowOf(node)].some((root) => !!root && hasPassword(root))));
  /** Watches for a password field added after load, until one is seen. */
  const watchAdded = () => {
    if (holdsPasswordField || typeof MutationObserver !== 'function') return;
    watching = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!addsPasswordField(node)) continue;
          passwordFieldSeen();
          return;
        }
      }
    });
    watching.observe(document, { childList: true, subtree: true });
  };
  const scanAtLoad = () => {
    if (document.querySelector(PASSWORD_FIELD)) {
      passwordFieldSeen();
      return;
    }
    watchAdded();
    // The deep walk costs a full pass over the document (shadow roots are not reached by
    // selectors), so it waits for the browser to be idle rather than delay the page's load.
    const later = typeof requestIdleCallback === 'function' ? requestIdleCallback : (/** @type {() => void} */ fn) => setTimeout(fn, 0);
    later(() => {
      if (!holdsPasswordField && hasPassword(document)) passwordFieldSeen();
    });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scanAtLoad, { once: true });
  else scanAtLoad();

  // What the browser says about this frame, read here in the isolated world where page scripts
  // cannot reach the objects: the permissions policy the embedder gave the frame (its `allow`
  // attribute) and whether the user just interacted with it. Absent where the browser does not
  // expose it (Firefox has no document.featurePolicy): the host then applies the defaults.
  const policy = document.permissionsPolicy ?? document.featurePolicy;
  /** @param {string} feature */
  const allows = (feature) => {
    try {
      return policy && typeof policy.allowsFeature === 'function' ? policy.allowsFeature(feature) : undefined;
    } catch {
      return undefined;
    }
  };

  // Transient activation, consumed as WebAuthn's create() consumes it (a cross-origin iframe's
  // create() "requires and consumes" it: one click, one create()). An extension cannot consume
  // the page's activation, so credwell consumes its own view of it: it counts the trusted
  // activation-triggering events of this document (HTML: keydown other than Escape, mousedown,
  // pointerdown of a mouse, pointerup of another pointer, touchend), seen first at the window
  // in the capture phase (this script runs before any page script, so the page cannot hide them),
  // and a publicKey create() uses up the activation it was called under: a later one needs a new
  // event. An activation that came without an event here (a click in a same-origin child frame)
  // therefore counts once per document until the next event; the page's own
  // navigator.userActivation is left as it is.
  let activations = 0;
  /** @type {number | null} */
  let consumedAt = null;
  /** @param {Event & {key?: string, pointerType?: string}} e */
  const activationTriggering = (e) => {
    if (!e || e.isTrusted !== true) return false;
    switch (e.type) {
      case 'keydown':
        return e.key !== 'Escape';
      case 'mousedown':
      case 'touchend':
        return true;
      case 'pointerdown':
        return e.pointerType === 'mouse';
      case 'pointerup':
        return e.pointerType !== 'mouse';
      default:
        return false;
    }
  };
  for (const type of ['keydown', 'mousedown', 'pointerdown', 'pointerup', 'touchend']) {
    window.addEventListener(type, (e) => {
      if (activationTriggering(e)) activations++;
    }, true);
  }
  /** @param {boolean} consume */
  const transientActivation = (consume) => {
    const active = navigator.userActivation ? navigator.userActivation.isActive : undefined;
    if (active !== true) return active;
    if (consumedAt === activations) return false; // already used by an earlier create()
    if (consume) consumedAt = activations;
    return true;
  };
  /**
   * @param {string} method
   * @param {any} params
   */
  const consumes = (method, params) =>
    method === 'credentials.create' && !!params.options && typeof params.options === 'object' && !!params.options.publicKey;

  /**
   * @param {string} method
   * @param {any} params
   */
  const frameFacts = (method, params) => ({
    publicKeyGetAllowed: allows('publickey-credentials-get'),
    publicKeyCreateAllowed: allows('publickey-credentials-create'),
    transientActivation: transientActivation(consumes(method, params)),
  });

  /**
   * @param {number} rid
   * @param {object} body
   */
  const respond = (rid, body) => {
    const detail = JSON.stringify(WIRE.reply(rid, body));
    document.dispatchEvent(new CustomEvent(WIRE.events.response, { detail }));
  };

  // A call's reply from the background, or the failure to reach it.
  /**
   * @param {number} rid
   * @param {unknown} reply
   * @param {{message?: string} | null | undefined} error
   */
  const deliver = (rid, reply, error) => {
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
  };

  // Over the document's port when it is open, else by sendMessage.
  /** @param {{credwell: 1, kind: string, rid: number, [field: string]: unknown}} message */
  const send = (message) => {
    const port = ensureLifetimePort();
    if (port) {
      try {
        if (message.kind === 'call') onPort.set(message.rid, port);
        port.postMessage(message);
        return;
      } catch {
        // The port closed under us: its onDisconnect has not run yet.
        if (message.kind === 'call') onPort.delete(message.rid);
        if (lifetime === port) lifetime = null;
      }
    }
    if (message.kind === 'call') {
      api.runtime.sendMessage(message, (reply) => deliver(message.rid, reply, api.runtime.lastError));
    } else {
      api.runtime.sendMessage(message, () => void api.runtime.lastError);
    }
  };

  // Ordinary forms (src/content/forms/): a submission that looks successful goes to the
  // background over this document's port, like a call, as {kind: 'form', form: {kind, username,
  // password}}; the background decides the origin from the sender, as for a store(). A watched
  // submission is passed on as `form.pending` as it starts, and `form.drop` ends it unsaved.
  /** @param {object} message */
  const tell = (message) => {
    try {
      send(/** @type {any} */ ({ credwell: 1, rid: 0, ...message }));
    } catch {
      // The extension went away.
    }
  };
  const forms = watchForms((form) => tell({ kind: 'form', form }), {
    pending: (form) => tell({ kind: 'form.pending', form }),
    drop: () => tell({ kind: 'form.drop' }),
  });

  // Filling sign-in forms (src/content/forms/fill.js): a trusted focus of a sign-in field asks
  // the background, over this document's port, for the origin's accounts (nothing of the page's
  // goes with it); the pick comes back as `fill.fill`, to this document only (by its document
  // id, or over its own port).
  const fills = watchFills(() => {
    try {
      send({ credwell: 1, kind: 'fill.ask', rid: 0 });
    } catch {
      // The extension went away.
    }
  });

  // The background asks a frame's document for its origin when the frame is an ancestor of a
  // caller (src/caller.js: a URL does not tell the origin): answer with a message whose sender
  // the browser fills, then let the background's ask settle.
  api.runtime.onMessage.addListener((message, sender, sendResponse) => {
    // The background asks the document a sign-in form led to whether it shows a password field
    // (form-saves.js: the sign-in failed); a boolean, nothing of the page's.
    if (message?.credwell === 1 && message.kind === 'fill.fill' && sender.id === api.runtime.id && !sender.tab) {
      fills.fill(message);
      return false;
    }
    if (message?.credwell === 1 && message.kind === 'forms.probe' && sender.id === api.runtime.id && !sender.tab) {
      try {
        sendResponse({ passwordField: showsPasswordField() });
      } catch {
        sendResponse({});
      }
      return false;
    }
    if (!message || message.credwell !== 1 || message.kind !== 'identify' || sender.id !== api.runtime.id || sender.tab) return false;
    try {
      api.runtime.sendMessage({ credwell: 1, kind: 'identity', nonce: message.nonce }, () => {
        void api.runtime.lastError;
        sendResponse({});
      });
    } catch {
      return false;
    }
    return true;
  });

  document.addEventListener(WIRE.events.request, (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    if (typeof detail !== 'string' || detail.length > WIRE.maxDetail) return;
    let message;
    try {
      message = JSON.parse(detail);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object') return;
    const { rid } = message;
    if (!WIRE.isRid(rid)) return;
    if (WIRE.is(message, 'call')) {
      /** @type {{credential?: {type?: unknown}}} */
      const params = message.params && typeof message.params === 'object' ? message.params : {};
      try {
        const method = String(message.method);
        if (method === 'credentials.store' && params.credential?.type === 'password') forms.pageStored();
        send({ credwell: 1, kind: 'call', rid, method, params, frame: frameFacts(method, params) });
      } catch (e) {
        respond(rid, { error: { name: 'UnknownError', message: `credwell is not available: ${e.message}` } });
      }
    } else if (WIRE.is(message, 'abort')) {
      /** @type {{credwell: 1, kind: string, rid: number, reason?: unknown}} */
      const abort = { credwell: 1, kind: 'abort', rid };
      if (Object.hasOwn(message, 'reason')) abort.reason = message.reason;
      try {
        send(abort);
      } catch {
        // The extension went away; nothing to cancel.
      }
    }
  });
})();
