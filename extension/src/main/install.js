// @ts-check
// credwell's MAIN-world shim of navigator.credentials (Credential Management Level 1): the last
// part of gen/main-world.js (see build.mjs), which installs the others.
//
// Runs at document_start in every frame, before any page script. It installs PasswordCredential
// and FederatedCredential, patches Credential.prototype's attributes and the four
// CredentialsContainer methods, and relays calls to the ISOLATED-world content script as JSON
// strings in CustomEvents (WIRE, src/wire.js), which passes them to the background, which adds
// the caller as the *browser* reports it and asks the native host. Nothing this shim sends
// decides which origin a call acts for.
//
// PublicKeyCredential requests (publicKey) go to credwell's passkeys (webauthn.js), except those
// asking only for a hardware security key, which go to the browser's own methods untouched (as
// do identity/otp/digital).
//
// The shim installs itself in this page's realm; it also installs itself in a same-origin child
// window the page reaches (iframe.contentWindow / contentDocument) before the child's own content
// scripts ran (Firefox runs them in an initial about:blank document only after a turn of the
// event loop), relaying through this document.

/** Set (non-enumerable) on a realm's CredentialsContainer.prototype once a shim patched it. */
const MARK = Symbol.for('credwell.shim');

/**
 * Installs the shim in the realm of `global` (this page's, or a same-origin child window's),
 * using that realm's intrinsics, so its objects, promises and exceptions are the realm's own.
 * @param {any} global
 * @param {Transport | null} shared the relay transport of the document that adopts a child
 *   (null for this page)
 * @returns {Transport | null} the realm's transport, null when nothing was installed
 */
function installShim(global, shared) {
  // [SecureContext]: in a non-secure context the browser exposes none of this API; leave the
  // page exactly as the browser made it.
  if (global.isSecureContext !== true) return null;
  const ContainerInterface = global.CredentialsContainer;
  if (typeof ContainerInterface !== 'function') return null;
  const container = global.navigator && global.navigator.credentials;
  if (!container) return null;
  const containerProto = ContainerInterface.prototype;
  if (global.Object.hasOwn(containerProto, MARK)) return null;

  const I = realmIntrinsics(global);
  const { apply, defineProperty, getOwnPropertyDescriptor, hasOwn, defaultView } = I;
  const doc = global.document;
  const native = {
    get: containerProto.get,
    store: containerProto.store,
    create: containerProto.create,
    preventSilentAccess: containerProto.preventSilentAccess,
  };

  const idl = idlBasics(I);
  const forms = htmlForms(I);
  const credentials = credentialInterfaces(I, idl, forms);
  const transport = shared ?? documentTransport(I, doc);
  const relay = relayCalls(I, transport);
  const webauthn = passkeys(I, {
    relay,
    brand: credentials.brand,
    slotsOf: credentials.slotsOf,
    toStr: idl.toStr,
  });
  const conversions = optionConversions(I, idl, forms, webauthn);
  const methods = containerMethods(I, { container, native, doc, conversions, credentials, relay });
  // Index loops, not for-of: an adopted child is installed while page scripts run, and the page
  // may have replaced the array iterator by then.
  const names = /** @type {const} */ (['get', 'store', 'create', 'preventSilentAccess']);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    defineProperty(containerProto, name, {
      value: methods[name],
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  defineProperty(containerProto, MARK, { value: true });

  // ---- same-origin child windows the page reaches before their content scripts ran ----------
  // Firefox runs content scripts in a script-made iframe's initial about:blank document only
  // after a turn of the event loop; a parent that uses the child's navigator.credentials at once
  // would get the browser's own container. So when this realm hands out a same-origin child
  // window (iframe.contentWindow / contentDocument) that no shim has patched yet, install the
  // shim there too, relaying through this document. The child is same-origin with this
  // document (else it is unreachable), so the background's caller for this document (origin,
  // ancestors) is what the child's would be. The child's own content scripts, when they run,
  // see the mark and leave it alone. (Chromium injects synchronously: the child is marked.)
  /** @param {any} w */
  const adopt = (w) => {
    try {
      if (w === null || w === undefined) return;
      const ChildContainer = w.CredentialsContainer; // throws for a cross-origin window
      if (typeof ChildContainer !== 'function' || hasOwn(ChildContainer.prototype, MARK)) return;
      installShim(w, transport);
    } catch {
      // Cross-origin, or gone: nothing to do.
    }
  };
  const IFrame = global.HTMLIFrameElement;
  const windowGetter = IFrame && getOwnPropertyDescriptor(IFrame.prototype, 'contentWindow');
  const documentGetter = IFrame && getOwnPropertyDescriptor(IFrame.prototype, 'contentDocument');
  const getWindow = windowGetter && windowGetter.get;
  const getDocument = documentGetter && documentGetter.get;
  if (typeof getWindow === 'function' && typeof getDocument === 'function') {
    const hooks = {
      get contentWindow() {
        const w = apply(getWindow, this, []);
        adopt(w);
        return w;
      },
      get contentDocument() {
        const d = apply(getDocument, this, []);
        if (d !== null) adopt(defaultView(d));
        return d;
      },
    };
    const hooked = ['contentWindow', 'contentDocument'];
    for (let i = 0; i < hooked.length; i++) {
      const name = hooked[i];
      defineProperty(IFrame.prototype, name, {
        get: /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(hooks, name)).get,
        enumerable: true,
        configurable: true,
      });
    }
  }
  return transport;
}

installShim(globalThis, null);
