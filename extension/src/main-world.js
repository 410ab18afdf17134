// credwell's MAIN-world shim of navigator.credentials (Credential Management Level 1).
//
// Runs at document_start in every frame, before any page script. It installs PasswordCredential
// and FederatedCredential, patches Credential.prototype's attributes and the four
// CredentialsContainer methods, and relays calls to the ISOLATED-world content script as JSON
// strings in CustomEvents (src/isolated.js), which passes them to the background
// (src/background.js), which adds the caller as the *browser* reports it and asks the native
// host. Nothing this file sends decides which origin a call acts for.
//
// Everything the shim needs from the page's realm is captured here, at document_start, so that
// a page overwriting globals later (JSON, Promise, WeakMap, dispatchEvent, TypeError, ...) does
// not change how the shim behaves.
//
// PublicKeyCredential requests (publicKey) go to credwell's passkeys through src/webauthn.js,
// except those asking only for a hardware security key, which go to the browser's own methods
// untouched (as do identity/otp/digital).
//
// The shim is one function, install(global), run for this page's realm; it also installs itself
// in a same-origin child window the page reaches (iframe.contentWindow / contentDocument) before
// the child's own content scripts ran (Firefox runs them in an initial about:blank document only
// after a turn of the event loop), relaying through this document.
(() => {
  'use strict';

  // Set (non-enumerable) on a realm's CredentialsContainer.prototype once a credwell shim has
  // patched it.
  const MARK = Symbol.for('credwell.shim');

  // src/webauthn.js (run just before this file) parks its factory here; take it before any page
  // script runs, so the page never sees it.
  const WEBAUTHN = Symbol.for('credwell.webauthn');
  const webauthnFactory = typeof globalThis[WEBAUTHN] === 'function' ? globalThis[WEBAUTHN] : null;
  delete globalThis[WEBAUTHN];

  // Installs the shim in the realm of `global` (this page's, or a same-origin child window's),
  // using that realm's intrinsics, so its objects, promises and exceptions are the realm's own.
  // `shared`: the relay transport of the document that adopts a child (null for this page).
  const install = (global, shared) => {
    const {
      AbortSignal,
      CustomEvent,
      DOMException,
      Document,
      Element,
      EventTarget,
      FormData,
      HTMLCollection,
      HTMLFormElement,
      JSON,
      Map,
      Object,
      Promise,
      Reflect,
      String,
      Symbol,
      TypeError,
      URL,
      WeakMap,
    } = global;
    const document = global.document;
    // [SecureContext]: in a non-secure context the browser exposes none of this API; leave the
    // page exactly as the browser made it.
    if (global.isSecureContext !== true) return null;
    const ContainerInterface = global.CredentialsContainer;
    if (typeof ContainerInterface !== 'function') return null;
    const container = global.navigator && global.navigator.credentials;
    if (!container) return null;
    const containerProto = ContainerInterface.prototype;
    if (Object.hasOwn(containerProto, MARK)) return null;

    // ---- intrinsics, captured before any page script runs -------------------------------------
    const {
      create: objectCreate,
      defineProperty,
      getOwnPropertyDescriptor,
      getPrototypeOf,
      setPrototypeOf,
    } = Object;
    const hasOwn = Object.hasOwn;
    const apply = Reflect.apply;
    const uncurry = (fn) => (self, ...args) => apply(fn, self, args);
    const getterOf = (proto, name) => uncurry(getOwnPropertyDescriptor(proto, name).get);
    const jsonStringify = JSON.stringify;
    const jsonParse = JSON.parse;
    const $Promise = Promise;
    const $WeakMap = WeakMap;
    const weakGet = uncurry(WeakMap.prototype.get);
    const weakSet = uncurry(WeakMap.prototype.set);
    const $Map = Map;
    const mapGet = uncurry(Map.prototype.get);
    const mapSet = uncurry(Map.prototype.set);
    const mapDelete = uncurry(Map.prototype.delete);
    const $TypeError = TypeError;
    const $DOMException = DOMException;
    const $URL = URL;
    const $CustomEvent = CustomEvent;
    const iteratorSymbol = Symbol.iterator;
    const toStringTagSymbol = Symbol.toStringTag;
    const toWellFormed = String.prototype.toWellFormed
      ? uncurry(String.prototype.toWellFormed)
      : (s) => s;
    const charCodeAt = uncurry(String.prototype.charCodeAt);
    const stringSlice = uncurry(String.prototype.slice);
    const fromCharCode = String.fromCharCode;
    const dispatchEvent = uncurry(EventTarget.prototype.dispatchEvent);
    const addEventListener = uncurry(EventTarget.prototype.addEventListener);
    const eventDetail = getterOf(CustomEvent.prototype, 'detail');
    const doc = document;
    const defaultView = getterOf(Document.prototype, 'defaultView');
    const signalAborted = getterOf(AbortSignal.prototype, 'aborted');
    const signalReason = getterOf(AbortSignal.prototype, 'reason');
    const formElements = getterOf(HTMLFormElement.prototype, 'elements');
    const collectionLength = getterOf(HTMLCollection.prototype, 'length');
    const collectionItem = uncurry(HTMLCollection.prototype.item);
    const localName = getterOf(Element.prototype, 'localName');
    const getAttribute = uncurry(Element.prototype.getAttribute);
    const hasAttribute = uncurry(Element.prototype.hasAttribute);
    const $FormData = FormData;
    const formDataEntries = uncurry(FormData.prototype.entries);
    const formDataIteratorNext = uncurry(getPrototypeOf(new FormData().entries()).next);

    const native = {
      get: containerProto.get,
      store: containerProto.store,
      create: containerProto.create,
      preventSilentAccess: containerProto.preventSilentAccess,
    };

    // ---- small helpers that use only captured intrinsics ---------------------------------------
    const append = (list, value) =>
      defineProperty(list, list.length, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    const rejected = (error) => new $Promise((resolve, reject) => reject(error));
    const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';
    const illegalInvocation = (method) =>
      new $TypeError(`Failed to execute '${method}' on 'CredentialsContainer': Illegal invocation`);
    const isFullyActive = () => {
      try {
        return defaultView(doc) !== null;
      } catch {
        return false;
      }
    };
    const notFullyActive = (method) =>
      new $DOMException(
        `Failed to execute '${method}' on 'CredentialsContainer': Context is detached`,
        'InvalidStateError',
      );

    // WebIDL DOMString / USVString: ECMAScript ToString (a Symbol throws a TypeError), then
    // lone surrogates replaced (USVString; harmless for DOMString, and JSON needs it).
    const toStr = (v) => toWellFormed(`${v}`);

    // WebIDL sequence<DOMString>: only iterables convert.
    const toStringSequence = (v, what) => {
      if (!isObject(v) || typeof v[iteratorSymbol] !== 'function') {
        throw new $TypeError(`${what}: The provided value cannot be converted to a sequence.`);
      }
      const out = [];
      for (const item of v) append(out, toStr(item));
      return out;
    };

    // ASCII whitespace split and ASCII lowercase, as the form algorithm's tokens need (Unicode
    // case mapping would let U+212A KELVIN SIGN match "k").
    const asciiTokens = (s) => {
      const tokens = [];
      let start = -1;
      for (let i = 0; i <= s.length; i++) {
        const c = i < s.length ? charCodeAt(s, i) : 32;
        const space = c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
        if (space && start >= 0) {
          append(tokens, stringSlice(s, start, i));
          start = -1;
        } else if (!space && start < 0) {
          start = i;
        }
      }
      return tokens;
    };
    const asciiLower = (s) => {
      let out = '';
      for (let i = 0; i < s.length; i++) {
        const c = charCodeAt(s, i);
        out += fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
      }
      return out;
    };

    const isForm = (v) => {
      if (!isObject(v)) return false;
      try {
        formElements(v);
        return true;
      } catch {
        return false;
      }
    };

    // The submittable elements whose form owner is form, in tree order (form.elements minus
    // fieldset, object and output, which are listed but not submittable), with their name and
    // autocomplete attributes; and the entry list of new FormData(form).
    const snapshotForm = (form) => {
      const elements = [];
      const collection = formElements(form);
      const n = collectionLength(collection);
      for (let i = 0; i < n; i++) {
        const el = collectionItem(collection, i);
        const tag = localName(el);
        if (tag === 'fieldset' || tag === 'object' || tag === 'output') continue;
        const name = getAttribute(el, 'name');
        append(elements, {
          name: name === null ? '' : toWellFormed(name),
          autocomplete: hasAttribute(el, 'autocomplete')
            ? toWellFormed(getAttribute(el, 'autocomplete'))
            : null,
        });
      }
      const entries = [];
      const iterator = formDataEntries(new $FormData(form));
      for (;;) {
        const step = formDataIteratorNext(iterator);
        if (step.done) break;
        const value = step.value[1];
        append(entries, [
          toWellFormed(step.value[0]),
          typeof value === 'string' ? toWellFormed(value) : '[object File]',
        ]);
      }
      return { elements, entries };
    };

    // «Create a PasswordCredential from an HTMLFormElement», steps 1-6: the data it builds.
    const passwordDataFromForm = (form) => {
      const { elements, entries } = snapshotForm(form);
      const formGet = (name) => {
        for (let i = 0; i < entries.length; i++) if (entries[i][0] === name) return entries[i][1];
        return undefined;
      };
      const data = {};
      let newPasswordObserved = false;
      for (let i = 0; i < elements.length; i++) {
        const field = elements[i];
        if (field.autocomplete === null) continue;
        const value = formGet(field.name);
        if (value === undefined) continue;
        const tokens = asciiTokens(field.autocomplete);
        for (let j = 0; j < tokens.length; j++) {
          switch (asciiLower(tokens[j])) {
            case 'new-password':
              data.password = value;
              newPasswordObserved = true;
              break;
            case 'current-password':
              if (!newPasswordObserved) data.password = value;
              break;
            case 'photo':
              data.iconURL = value;
              break;
            case 'name':
            case 'nickname':
              data.name = value;
              break;
            case 'username':
              data.id = value;
              break;
            default:
              break;
          }
        }
      }
      return data;
    };

    // Reads a dictionary's members in WebIDL order (lexicographic), converting each present one
    // to a string. `required` members that are undefined are a TypeError.
    const readStringDictionary = (value, dictionary, members, required, prefix) => {
      if (value !== undefined && value !== null && !isObject(value)) {
        throw new $TypeError(`${prefix}The provided value is not of type '${dictionary}'.`);
      }
      const out = {};
      for (let i = 0; i < members.length; i++) {
        const member = members[i];
        const v = value === undefined || value === null ? undefined : value[member];
        if (v !== undefined) {
          out[member] = toStr(v);
        } else if (required[member]) {
          throw new $TypeError(
            `${prefix}Failed to read the '${member}' property from '${dictionary}': Required member is undefined.`,
          );
        }
      }
      return out;
    };
    const PASSWORD_DATA_MEMBERS = ['iconURL', 'id', 'name', 'origin', 'password'];
    const FEDERATED_INIT_MEMBERS = ['iconURL', 'id', 'name', 'origin', 'protocol', 'provider'];

    const isUrl = (s) => {
      try {
        new $URL(s);
        return true;
      } catch {
        return false;
      }
    };

    // ---- Credential, PasswordCredential, FederatedCredential -----------------------------------
    // Internal slots of the credentials this shim made: {type, id, password | provider, protocol,
    // name, iconURL}. The WeakMap is the brand: an object not in it is not one of ours.
    const slots = new $WeakMap();
    const slotsOf = (v) => (isObject(v) ? weakGet(slots, v) : undefined);

    // Keep the browser's Credential interface (PublicKeyCredential inherits from it) and teach
    // its `id` and `type` getters about our objects; elsewhere (no native Credential) define one.
    let CredentialInterface = global.Credential;
    if (typeof CredentialInterface !== 'function') {
      CredentialInterface = function Credential() {
        throw new $TypeError("Failed to construct 'Credential': Illegal constructor");
      };
      const proto = objectCreate(Object.prototype);
      defineProperty(proto, 'constructor', {
        value: CredentialInterface,
        writable: true,
        enumerable: false,
        configurable: true,
      });
      defineProperty(proto, toStringTagSymbol, { value: 'Credential', configurable: true });
      defineProperty(CredentialInterface, 'prototype', {
        value: proto,
        writable: false,
        enumerable: false,
        configurable: false,
      });
      defineProperty(CredentialInterface, 'isConditionalMediationAvailable', {
        value: {
          isConditionalMediationAvailable() {
            return new $Promise((resolve) => resolve(false));
          },
        }.isConditionalMediationAvailable,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      defineProperty(global, 'Credential', {
        value: CredentialInterface,
        writable: true,
        enumerable: false,
        configurable: true,
      });
    }
    const credentialProto = CredentialInterface.prototype;
    const nativeGetter = (name) => {
      const d = getOwnPropertyDescriptor(credentialProto, name);
      return d && typeof d.get === 'function' ? d.get : undefined;
    };
    const nativeIdGetter = nativeGetter('id');
    const nativeTypeGetter = nativeGetter('type');
    const defineGetters = (proto, getters) => {
      for (const name of Object.keys(getters)) {
        defineProperty(proto, name, {
          get: getOwnPropertyDescriptor(getters, name).get,
          enumerable: true,
          configurable: true,
        });
      }
    };
    defineGetters(credentialProto, {
      get id() {
        const s = slotsOf(this);
        if (s) return s.id;
        if (nativeIdGetter) return apply(nativeIdGetter, this, []);
        throw new $TypeError('Illegal invocation');
      },
      get type() {
        const s = slotsOf(this);
        if (s) return s.type;
        if (nativeTypeGetter) return apply(nativeTypeGetter, this, []);
        throw new $TypeError('Illegal invocation');
      },
    });
    // A credential the browser made (PublicKeyCredential, ...): the native getter accepts it.
    const isNativeCredential = (v) => {
      if (!isObject(v) || !nativeTypeGetter) return false;
      try {
        apply(nativeTypeGetter, v, []);
        return true;
      } catch {
        return false;
      }
    };

    const slotGetter = (type, slot) =>
      function () {
        const s = slotsOf(this);
        if (!s || s.type !== type) throw new $TypeError('Illegal invocation');
        return s[slot];
      };

    const defineInterface = (name, type, attributes, construct) => {
      // A constructor function with the right name and length: `function` syntax is needed for
      // `new`, so it is built here and its prototype replaced.
      const Ctor = {
        [name]: function (arg) {
          if (new.target === undefined) {
            throw new $TypeError(
              `Failed to construct '${name}': Please use the 'new' operator, this DOM object constructor cannot be called as a function.`,
            );
          }
          if (arguments.length < 1) {
            throw new $TypeError(
              `Failed to construct '${name}': 1 argument required, but only 0 present.`,
            );
          }
          const s = construct(arg, `Failed to construct '${name}': `);
          let proto = new.target.prototype;
          if (!isObject(proto)) proto = Ctor.prototype;
          const object = objectCreate(proto);
          weakSet(slots, object, s);
          return object;
        },
      }[name];
      const proto = objectCreate(credentialProto);
      for (let i = 0; i < attributes.length; i++) {
        const getter = slotGetter(type, attributes[i]);
        defineProperty(getter, 'name', { value: `get ${attributes[i]}`, configurable: true });
        defineProperty(proto, attributes[i], { get: getter, enumerable: true, configurable: true });
      }
      defineProperty(proto, 'constructor', {
        value: Ctor,
        writable: true,
        enumerable: false,
        configurable: true,
      });
      defineProperty(proto, toStringTagSymbol, { value: name, configurable: true });
      defineProperty(Ctor, 'prototype', {
        value: proto,
        writable: false,
        enumerable: false,
        configurable: false,
      });
      setPrototypeOf(Ctor, CredentialInterface);
      defineProperty(global, name, {
        value: Ctor,
        writable: true,
        enumerable: false,
        configurable: true,
      });
      return Ctor;
    };

    // «Create a PasswordCredential from PasswordCredentialData» (validation as credwell-core's
    // PasswordCredential::from_data; messages as Chromium's).
    const passwordSlots = (data, prefix) => {
      if (data.id === '') throw new $TypeError(`${prefix}'id' must not be empty.`);
      if (data.password === '') throw new $TypeError(`${prefix}'password' must not be empty.`);
      const iconURL = data.iconURL === undefined ? '' : data.iconURL;
      if (iconURL !== '' && !isUrl(iconURL)) {
        throw new $DOMException(`${prefix}'${iconURL}' is not a valid URL.`, 'SyntaxError');
      }
      return {
        type: 'password',
        id: data.id,
        password: data.password,
        name: data.name === undefined ? '' : data.name,
        iconURL,
      };
    };

    // «Create a FederatedCredential from FederatedCredentialInit» (as credwell-core's
    // FederatedCredential::from_init: the provider is normalized to its origin).
    const federatedSlots = (init, prefix) => {
      if (init.id === '') throw new $TypeError(`${prefix}'id' must not be empty.`);
      if (init.provider === '') throw new $TypeError(`${prefix}'provider' must not be empty.`);
      let provider;
      try {
        provider = new $URL(init.provider).origin;
      } catch {
        provider = 'null';
      }
      if (provider === 'null') {
        throw new $DOMException(`${prefix}'${init.provider}' is not a valid URL.`, 'SyntaxError');
      }
      const iconURL = init.iconURL === undefined ? '' : init.iconURL;
      if (iconURL !== '' && !isUrl(iconURL)) {
        throw new $DOMException(`${prefix}'${iconURL}' is not a valid URL.`, 'SyntaxError');
      }
      return {
        type: 'federated',
        id: init.id,
        provider,
        protocol: init.protocol === undefined ? null : init.protocol,
        name: init.name === undefined ? '' : init.name,
        iconURL,
      };
    };

    const PasswordCredential = defineInterface(
      'PasswordCredential',
      'password',
      ['password', 'name', 'iconURL'],
      (arg, prefix) => {
        const data = isForm(arg)
          ? passwordDataFromForm(arg)
          : readStringDictionary(arg, 'PasswordCredentialData', PASSWORD_DATA_MEMBERS, { id: true, password: true }, prefix);
        if (data.id === undefined) data.id = '';
        if (data.password === undefined) data.password = '';
        return passwordSlots(data, prefix);
      },
    );
    const FederatedCredential = defineInterface(
      'FederatedCredential',
      'federated',
      ['provider', 'protocol', 'name', 'iconURL'],
      (arg, prefix) =>
        federatedSlots(
          readStringDictionary(arg, 'FederatedCredentialInit', FEDERATED_INIT_MEMBERS, { id: true, provider: true }, prefix),
          prefix,
        ),
    );

    // A credential object from the host's JSON (trusted: no validation).
    const fromCredentialJson = (j) => {
      if (j === null || j === undefined) return null;
      const object = objectCreate(j.type === 'federated' ? FederatedCredential.prototype : PasswordCredential.prototype);
      const s =
        j.type === 'federated'
          ? {
              type: 'federated',
              id: `${j.id}`,
              provider: `${j.provider}`,
              protocol: j.protocol === null || j.protocol === undefined ? null : `${j.protocol}`,
              name: j.name ? `${j.name}` : '',
              iconURL: j.iconURL ? `${j.iconURL}` : '',
            }
          : {
              type: 'password',
              id: `${j.id}`,
              password: `${j.password}`,
              name: j.name ? `${j.name}` : '',
              iconURL: j.iconURL ? `${j.iconURL}` : '',
            };
      weakSet(slots, object, s);
      return object;
    };

    // The credential's slots as the host's credentials.store reads them.
    const credentialJson = (s) => {
      const j = { type: s.type, id: s.id, name: s.name, iconURL: s.iconURL };
      if (s.type === 'password') {
        j.password = s.password;
      } else {
        j.provider = s.provider;
        if (s.protocol !== null) j.protocol = s.protocol;
      }
      return j;
    };

    // ---- relay ----------------------------------------------------------------------------------
    const REQUEST_EVENT = 'credwell-request';
    const RESPONSE_EVENT = 'credwell-response';
    // The relay transport: CustomEvents on this document to and from the ISOLATED relay, with the
    // calls waiting for replies; for an adopted child window, the adopting document's.
    const transport =
      shared ??
      (() => {
        let nextRid = 1;
        const pending = new $Map();
        addEventListener(doc, RESPONSE_EVENT, (event) => {
          let message;
          try {
            const detail = eventDetail(event);
            if (typeof detail !== 'string') return;
            message = jsonParse(detail);
          } catch {
            return;
          }
          if (!isObject(message) || message.t !== 'reply') return;
          const call = mapGet(pending, message.rid);
          if (!call) return;
          mapDelete(pending, message.rid);
          call.settle(message);
        });
        return {
          rid: () => nextRid++,
          set: (rid, call) => mapSet(pending, rid, call),
          get: (rid) => mapGet(pending, rid),
          delete: (rid) => mapDelete(pending, rid),
          post: (message) => {
            dispatchEvent(doc, new $CustomEvent(REQUEST_EVENT, { detail: jsonStringify(message) }));
          },
        };
      })();

    // The exception a host error names: a real TypeError, or a DOMException with the name.
    const toException = (error) => {
      const name = typeof error.name === 'string' ? error.name : 'UnknownError';
      const message = typeof error.message === 'string' ? error.message : '';
      if (name === 'TypeError') return new $TypeError(message);
      if (name === 'ProtocolError') return new $DOMException(message, 'UnknownError');
      return new $DOMException(message, name);
    };

    // A JSON-safe copy of an abort reason for the host (which only echoes it back).
    const jsonSafe = (value) => {
      try {
        const text = jsonStringify(value);
        return text === undefined ? undefined : jsonParse(text);
      } catch {
        return undefined;
      }
    };

    // Sends one call and returns the page's promise. `signal` (an AbortSignal or undefined)
    // rejects the promise with its reason as soon as it aborts, and cancels the host request.
    const relay = (method, params, signal, toResult) =>
      new $Promise((resolve, reject) => {
        const rid = transport.rid();
        let abortedAtCall = false;
        let reasonAtCall;
        if (signal !== undefined && signalAborted(signal)) {
          abortedAtCall = true;
          reasonAtCall = signalReason(signal);
          const reason = jsonSafe(reasonAtCall);
          const isDefault = reasonAtCall instanceof $DOMException && reasonAtCall.name === 'AbortError';
          params.signal = isDefault || reason === undefined ? { aborted: true } : { aborted: true, reason };
        }
        const call = {
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
              const safe = jsonSafe(reason);
              transport.post(safe === undefined ? { t: 'abort', rid } : { t: 'abort', rid, reason: safe });
            },
            { once: true },
          );
        }
        transport.post({ t: 'call', rid, method, params });
      });

    // ---- PublicKeyCredential (src/webauthn.js) ------------------------------------------------
    const webauthn = webauthnFactory
      ? webauthnFactory(global, {
          relay,
          brand: (object, s) => weakSet(slots, object, s),
          slotsOf,
          toStr,
          isObject,
          jsonClone: (v) => jsonParse(jsonStringify(v)),
        })
      : null;

    // ---- option conversion (WebIDL), read once, in lexicographic member order -------------------
    const readSignal = (v, method, dictionary) => {
      if (v === undefined) return undefined;
      try {
        signalAborted(v);
      } catch {
        throw new $TypeError(
          `Failed to execute '${method}' on 'CredentialsContainer': Failed to read the 'signal' property from '${dictionary}': Failed to convert value to 'AbortSignal'.`,
        );
      }
      return v;
    };

    // A publicKey-only request: credwell's passkeys, with the converted options `pk`, or the
    // browser's own WebAuthn when the conversion said so (null: a security key only).
    const publicKeyCall = (pk, mediation, signal) => {
      if (pk === null) return { native: true };
      const json = { publicKey: pk };
      if (mediation !== undefined) json.mediation = toStr(mediation);
      return { json, signal, toResult: webauthn.fromJson };
    };

    // Returns {native: true} when the browser's own method should answer (publicKey, identity,
    // otp, digital alone), else {json, signal}.
    const convertRequestOptions = (options) => {
      const prefix = "Failed to execute 'get' on 'CredentialsContainer': ";
      if (options === undefined || options === null) return { json: {}, signal: undefined };
      if (!isObject(options)) {
        throw new $TypeError(`${prefix}The provided value is not of type 'CredentialRequestOptions'.`);
      }
      const digital = options.digital;
      const federated = options.federated;
      const identity = options.identity;
      const mediation = options.mediation;
      const otp = options.otp;
      const password = options.password;
      const publicKey = options.publicKey;
      const signal = readSignal(options.signal, 'get', 'CredentialRequestOptions');
      const uiMode = options.uiMode;
      const others = publicKey !== undefined || identity !== undefined || otp !== undefined || digital !== undefined;
      const ours = !!password || federated !== undefined;
      if (others && !ours) {
        if (publicKey === undefined || identity !== undefined || otp !== undefined || digital !== undefined || !webauthn) {
          return { native: true };
        }
        return publicKeyCall(webauthn.request(publicKey, prefix), mediation, signal);
      }
      const json = {};
      if (federated !== undefined) {
        if (isObject(federated)) {
          const f = {};
          const protocols = federated.protocols;
          if (protocols !== undefined) {
            f.protocols = toStringSequence(protocols, `${prefix}Failed to read the 'protocols' property from 'FederatedCredentialRequestOptions'`);
          }
          const providers = federated.providers;
          if (providers !== undefined) {
            f.providers = toStringSequence(providers, `${prefix}Failed to read the 'providers' property from 'FederatedCredentialRequestOptions'`);
          }
          json.federated = f;
        } else if (federated === null) {
          json.federated = null;
        } else {
          throw new $TypeError(`${prefix}Failed to read the 'federated' property from 'CredentialRequestOptions': The provided value is not of type 'FederatedCredentialRequestOptions'.`);
        }
      }
      if (mediation !== undefined) json.mediation = toStr(mediation);
      if (password !== undefined) json.password = !!password;
      // Mixed with password/federated: the host answers NotSupportedError (types that cannot be
      // requested together); it only needs to see that the member is there.
      if (others) json.publicKey = { challenge: null };
      if (uiMode !== undefined) json.uiMode = toStr(uiMode);
      return { json, signal };
    };

    const convertCreationOptions = (options) => {
      const prefix = "Failed to execute 'create' on 'CredentialsContainer': ";
      if (options === undefined || options === null) return { json: {}, signal: undefined };
      if (!isObject(options)) {
        throw new $TypeError(`${prefix}The provided value is not of type 'CredentialCreationOptions'.`);
      }
      const digital = options.digital;
      const federated = options.federated;
      const mediation = options.mediation;
      const password = options.password;
      const publicKey = options.publicKey;
      const signal = readSignal(options.signal, 'create', 'CredentialCreationOptions');
      const others = publicKey !== undefined || digital !== undefined;
      const ours = password !== undefined || federated !== undefined;
      if (others && !ours) {
        if (publicKey === undefined || digital !== undefined || !webauthn) return { native: true };
        return publicKeyCall(webauthn.creation(publicKey, prefix), mediation, signal);
      }
      const json = {};
      if (federated !== undefined) {
        json.federated = isObject(federated)
          ? readStringDictionary(federated, 'FederatedCredentialInit', FEDERATED_INIT_MEMBERS, {}, prefix)
          : federated === null
            ? null
            : toStr(federated);
      }
      if (mediation !== undefined) json.mediation = toStr(mediation);
      if (password !== undefined) {
        if (isForm(password)) {
          json.password = { htmlFormElement: snapshotForm(password) };
        } else if (isObject(password)) {
          json.password = readStringDictionary(password, 'PasswordCredentialData', PASSWORD_DATA_MEMBERS, {}, prefix);
        } else {
          json.password = password === null ? null : toStr(password);
        }
      }
      if (others) json.publicKey = { challenge: null };
      return { json, signal };
    };

    // ---- CredentialsContainer methods ---------------------------------------------------------
    const methods = {
      get() {
        try {
          if (this !== container) throw illegalInvocation('get');
          const options = arguments[0];
          const converted = convertRequestOptions(options);
          if (converted.native) return apply(native.get, this, [options]);
          if (!isFullyActive()) throw notFullyActive('get');
          return relay('credentials.get', { options: converted.json }, converted.signal, converted.toResult ?? fromCredentialJson);
        } catch (e) {
          return rejected(e);
        }
      },
      store(credential) {
        try {
          if (this !== container) throw illegalInvocation('store');
          if (arguments.length < 1) {
            throw new $TypeError("Failed to execute 'store' on 'CredentialsContainer': 1 argument required, but only 0 present.");
          }
          const s = slotsOf(credential);
          if (!s) {
            if (isNativeCredential(credential)) return apply(native.store, this, [credential]);
            const hint =
              isObject(credential) && (hasOwn(credential, 'password') || hasOwn(credential, 'username'))
                ? ' Build one first: navigator.credentials.store(new PasswordCredential({id: username, password})).'
                : '';
            throw new $TypeError(`Failed to execute 'store' on 'CredentialsContainer': parameter 1 is not of type 'Credential'.${hint}`);
          }
          if (s.type === 'public-key') {
            throw new $DOMException("Failed to execute 'store' on 'CredentialsContainer': PublicKeyCredential cannot be stored.", 'NotSupportedError');
          }
          if (!isFullyActive()) throw notFullyActive('store');
          return relay('credentials.store', { credential: credentialJson(s) }, undefined, () => undefined);
        } catch (e) {
          return rejected(e);
        }
      },
      create() {
        try {
          if (this !== container) throw illegalInvocation('create');
          const options = arguments[0];
          const converted = convertCreationOptions(options);
          if (converted.native) return apply(native.create, this, [options]);
          if (!isFullyActive()) throw notFullyActive('create');
          return relay('credentials.create', { options: converted.json }, converted.signal, converted.toResult ?? fromCredentialJson);
        } catch (e) {
          return rejected(e);
        }
      },
      preventSilentAccess() {
        try {
          if (this !== container) throw illegalInvocation('preventSilentAccess');
          if (!isFullyActive()) throw notFullyActive('preventSilentAccess');
          return relay('credentials.preventSilentAccess', {}, undefined, () => undefined);
        } catch (e) {
          return rejected(e);
        }
      },
    };
    for (const name of ['get', 'store', 'create', 'preventSilentAccess']) {
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
    const adopt = (w) => {
      try {
        if (w === null || w === undefined) return;
        const ChildContainer = w.CredentialsContainer; // throws for a cross-origin window
        if (typeof ChildContainer !== 'function' || hasOwn(ChildContainer.prototype, MARK)) return;
        install(w, transport);
      } catch {
        // Cross-origin, or gone: nothing to do.
      }
    };
    const IFrame = global.HTMLIFrameElement;
    const windowGetter = IFrame && getOwnPropertyDescriptor(IFrame.prototype, 'contentWindow');
    const documentGetter = IFrame && getOwnPropertyDescriptor(IFrame.prototype, 'contentDocument');
    if (windowGetter && typeof windowGetter.get === 'function' && documentGetter && typeof documentGetter.get === 'function') {
      const getWindow = windowGetter.get;
      const getDocument = documentGetter.get;
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
      for (const name of ['contentWindow', 'contentDocument']) {
        defineProperty(IFrame.prototype, name, {
          get: getOwnPropertyDescriptor(hooks, name).get,
          enumerable: true,
          configurable: true,
        });
      }
    }
    return transport;

  };

  install(globalThis, null);
})();
