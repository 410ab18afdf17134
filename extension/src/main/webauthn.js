// @ts-check
// The passkeys layer of credwell's MAIN-world shim (part of gen/main-world.js, see build.mjs):
// PublicKeyCredential and the AuthenticatorResponse interfaces over credwell's passkeys (the
// native host's `credentials.create` / `.get` with `publicKey`, and `credentials.signal`).
//
// installShim (install.js) calls `passkeys(I, ctx)` once per realm it installs in (this page's,
// or an adopted same-origin child window's), with that realm's captured intrinsics `I` (the
// same ones the rest of the shim uses) and ctx = {relay, brand, slotsOf, toStr}:
//
// - relay(method, params, signal, toResult): the shim's relay to the background (relay.js);
// - brand(object, slots): registers a credential's slots ({type: 'public-key', id, ...}) in the
//   shim's credential WeakMap, so Credential.prototype.id/type answer for it;
// - slotsOf(v): those slots (or undefined);
// - toStr(v): WebIDL DOMString conversion (idl.js).
//
// It returns {request(publicKey, prefix), creation(publicKey, prefix), fromJson(result)}:
// request/creation convert the page's PublicKeyCredentialRequestOptions / ...CreationOptions
// (WebIDL, members read once in lexicographic order, every BufferSource copied at call time)
// to the JSON the host reads (BufferSources as unpadded base64url), with the request's route
// (its hints, in order): credwell, the browser's own WebAuthn (a security key or a phone; the
// container methods keep the native methods), or one of them and then the other.
//
// The browser's own interfaces (PublicKeyCredential, AuthenticatorAttestationResponse, ...) are
// kept when they exist, so `instanceof` holds for credwell's objects and the browser's alike;
// their members are replaced by ones that answer for credwell's objects (a private WeakMap is
// the brand) and defer to the native members for the browser's own.
// https://w3c.github.io/webauthn/#iface-pkcredential

/**
 * A WebIDL type as the conversion reads it: 'str', 'bool', 'long', 'ulong', 'bytes',
 * {seq: type}, {record: type} or {dict: name, members: [[key, type, required, default]]}.
 * @typedef {'str' | 'bool' | 'long' | 'ulong' | 'bytes' | {seq: IdlType} | {record: IdlType}
 *   | {dict: string, members: IdlMember[]}} IdlType
 * @typedef {[string, IdlType, boolean?, unknown?]} IdlMember
 */

/**
 * The passkeys layer for the realm of `I.global`.
 * @param {Intrinsics} I
 * @param {{relay: Relay, brand: CredentialInterfaces['brand'],
 *   slotsOf: CredentialInterfaces['slotsOf'], toStr: IdlBasics['toStr']}} ctx
 */
function passkeys(I, ctx) {
  const { global, TypeError, DOMException, Uint8Array, WeakMap } = I;
  const { create: objectCreate, defineProperty, getOwnPropertyDescriptor, setPrototypeOf } = I;
  const { apply, ownKeys, objectKeys, weakGet, weakSet, charCodeAt, iteratorSymbol } = I;
  const { isView, abByteLength, taBuffer, taOffset, taLength, taSlice } = I;
  const { dvBuffer, dvOffset, dvLength, resolved, rejected, append, isObject } = I;
  const { relay, brand, slotsOf, toStr } = ctx;
  /** @param {unknown} v */
  const jsonClone = (v) => I.jsonParse(I.jsonStringify(v));

  // ---- bytes ----------------------------------------------------------------------------------
  /** @param {unknown} v */
  const isArrayBuffer = (v) => {
    try {
      abByteLength(v); // throws for anything but an ArrayBuffer (a SharedArrayBuffer included)
      return true;
    } catch {
      return false;
    }
  };
  // WebIDL BufferSource: a copy of the bytes as they are now (ArrayBuffer, any TypedArray or
  // DataView, not backed by a SharedArrayBuffer).
  /**
   * @param {unknown} v
   * @param {string} what
   * @returns {Uint8Array}
   */
  const bytesOf = (v, what) => {
    if (isObject(v)) {
      if (isArrayBuffer(v)) return taSlice(new Uint8Array(v));
      if (isView(v)) {
        let buffer;
        let offset;
        let length;
        try {
          buffer = taBuffer(v);
          offset = taOffset(v);
          length = taLength(v);
        } catch {
          buffer = dvBuffer(v);
          offset = dvOffset(v);
          length = dvLength(v);
        }
        if (isArrayBuffer(buffer)) return taSlice(new Uint8Array(buffer, offset, length));
      }
    }
    throw new TypeError(`${what}: The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.`);
  };
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const B64_INDEX = (() => {
    /** @type {number[]} */
    const t = [];
    for (let i = 0; i < 128; i++) append(t, -1);
    for (let i = 0; i < 64; i++) t[charCodeAt(B64, i)] = i;
    return t;
  })();
  /** @param {Uint8Array} bytes */
  const b64url = (bytes) => {
    let out = '';
    const n = bytes.length;
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const x = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      out += B64[(x >> 18) & 63] + B64[(x >> 12) & 63] + B64[(x >> 6) & 63] + B64[x & 63];
    }
    if (n - i === 1) {
      const x = bytes[i] << 16;
      out += B64[(x >> 18) & 63] + B64[(x >> 12) & 63];
    } else if (n - i === 2) {
      const x = (bytes[i] << 16) | (bytes[i + 1] << 8);
      out += B64[(x >> 18) & 63] + B64[(x >> 12) & 63] + B64[(x >> 6) & 63];
    }
    return out;
  };
  // base64url (padding tolerated) → a new ArrayBuffer, or null when it is not base64url.
  /**
   * @param {string} s
   * @returns {ArrayBuffer | null}
   */
  const unb64url = (s) => {
    let end = s.length;
    while (end > 0 && charCodeAt(s, end - 1) === 61) end--; // '='
    if (end % 4 === 1) return null;
    const out = new Uint8Array((end * 3) >> 2);
    let acc = 0;
    let bits = 0;
    let j = 0;
    for (let i = 0; i < end; i++) {
      const c = charCodeAt(s, i);
      const v = c < 128 ? B64_INDEX[c] : -1;
      if (v < 0) return null;
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[j++] = (acc >> bits) & 0xff;
      }
    }
    return taBuffer(out);
  };
  /**
   * @param {unknown} s
   * @returns {ArrayBuffer}
   */
  const bufferFrom = (s) => {
    const b = typeof s === 'string' ? unb64url(s) : null;
    return b === null ? taBuffer(new Uint8Array(0)) : b;
  };
  /** @param {ArrayBuffer} ab */
  const copyBuffer = (ab) => taBuffer(taSlice(new Uint8Array(ab)));

  // ---- WebIDL dictionaries as schemas ------------------------------------------------------------
  // A type is 'str', 'bool', 'long', 'ulong', 'bytes', {seq: type}, {record: type} or
  // {dict: name, members: [[key, type, required, default]]}, members in WebIDL order (inherited
  // first, then lexicographic).
  /**
   * @param {IdlType} type
   * @returns {IdlType}
   */
  const seq = (type) => ({ seq: type });
  /**
   * @param {string} name
   * @param {IdlMember[]} members
   * @returns {{dict: string, members: IdlMember[]}}
   */
  const dict = (name, members) => ({ dict: name, members });
  const DESCRIPTOR = dict('PublicKeyCredentialDescriptor', [
    ['id', 'bytes', true],
    ['transports', seq('str')],
    ['type', 'str', true],
  ]);
  const PRF_VALUES = dict('AuthenticationExtensionsPRFValues', [
    ['first', 'bytes', true],
    ['second', 'bytes'],
  ]);
  const EXTENSIONS = dict('AuthenticationExtensionsClientInputs', [
    ['appid', 'str'],
    ['appidExclude', 'str'],
    ['credProps', 'bool'],
    ['credentialProtectionPolicy', 'str'],
    ['enforceCredentialProtectionPolicy', 'bool'],
    ['largeBlob', dict('AuthenticationExtensionsLargeBlobInputs', [['read', 'bool'], ['support', 'str'], ['write', 'bytes']])],
    ['minPinLength', 'bool'],
    ['prf', dict('AuthenticationExtensionsPRFInputs', [['eval', PRF_VALUES], ['evalByCredential', { record: PRF_VALUES }]])],
  ]);
  const CREATION = dict('PublicKeyCredentialCreationOptions', [
    ['attestation', 'str', false, 'none'],
    ['attestationFormats', seq('str'), false, []],
    [
      'authenticatorSelection',
      dict('AuthenticatorSelectionCriteria', [
        ['authenticatorAttachment', 'str'],
        ['requireResidentKey', 'bool', false, false],
        ['residentKey', 'str'],
        ['userVerification', 'str', false, 'preferred'],
      ]),
    ],
    ['challenge', 'bytes', true],
    ['excludeCredentials', seq(DESCRIPTOR), false, []],
    ['extensions', EXTENSIONS],
    ['hints', seq('str'), false, []],
    ['pubKeyCredParams', seq(dict('PublicKeyCredentialParameters', [['alg', 'long', true], ['type', 'str', true]])), true],
    ['rp', dict('PublicKeyCredentialRpEntity', [['name', 'str', true], ['id', 'str']]), true],
    ['timeout', 'ulong'],
    ['user', dict('PublicKeyCredentialUserEntity', [['name', 'str', true], ['displayName', 'str', true], ['id', 'bytes', true]]), true],
  ]);
  const REQUEST = dict('PublicKeyCredentialRequestOptions', [
    ['allowCredentials', seq(DESCRIPTOR), false, []],
    ['challenge', 'bytes', true],
    ['extensions', EXTENSIONS],
    ['hints', seq('str'), false, []],
    ['rpId', 'str'],
    ['timeout', 'ulong'],
    ['userVerification', 'str', false, 'preferred'],
  ]);

  /** @param {unknown} d */
  const cloneDefault = (d) => {
    if (typeof d !== 'object' || d === null) return d;
    return []; // the only object defaults are empty sequences
  };

  // Converts a page value of `type` to its JSON form (fromJson false: IDL value → JSON, bytes
  // to base64url) or a JSON value to the IDL value parse*FromJSON returns (fromJson true:
  // base64url → ArrayBuffer, EncodingError when it is not base64url).
  /**
   * @param {any} value
   * @param {IdlType} type
   * @param {string} what the start of error messages
   * @param {boolean} fromJson
   * @returns {any}
   */
  const convert = (value, type, what, fromJson) => {
    switch (type) {
      case 'str':
        return toStr(value);
      case 'bool':
        return !!value;
      case 'long': {
        const n = +value;
        return n !== n || n === Infinity || n === -Infinity ? 0 : (n - (n % 1)) | 0;
      }
      case 'ulong': {
        const n = +value;
        return n !== n || n === Infinity || n === -Infinity ? 0 : ((n - (n % 1)) >>> 0);
      }
      case 'bytes': {
        if (!fromJson) return b64url(bytesOf(value, what));
        const text = toStr(value);
        const buffer = unb64url(text);
        if (buffer === null) throw new DOMException(`${what}: '${text}' is not valid base64url.`, 'EncodingError');
        return buffer;
      }
      default:
        break;
    }
    if ('seq' in type) {
      if (!isObject(value) || typeof value[iteratorSymbol] !== 'function') {
        throw new TypeError(`${what}: The provided value cannot be converted to a sequence.`);
      }
      /** @type {unknown[]} */
      const out = [];
      for (const item of value) append(out, convert(item, type.seq, what, fromJson));
      return out;
    }
    if ('record' in type) {
      if (value === undefined || value === null) return {};
      if (!isObject(value)) throw new TypeError(`${what}: The provided value is not an object.`);
      /** @type {{[key: string]: unknown}} */
      const out = {};
      const keys = ownKeys(value);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (typeof k !== 'string') continue;
        const d = getOwnPropertyDescriptor(value, k);
        if (!d || !d.enumerable) continue;
        out[toStr(k)] = convert(value[k], type.record, what, fromJson);
      }
      return out;
    }
    // A dictionary.
    if (value !== undefined && value !== null && !isObject(value)) {
      throw new TypeError(`${what}: The provided value is not of type '${type.dict}'.`);
    }
    /** @type {{[key: string]: unknown}} */
    const out = {};
    const members = type.members;
    for (let i = 0; i < members.length; i++) {
      const [key, memberType, required, fallback] = members[i];
      const v = value === undefined || value === null ? undefined : value[key];
      if (v !== undefined) {
        out[key] = convert(v, memberType, `${what}: Failed to read the '${key}' property from '${type.dict}'`, fromJson);
      } else if (required) {
        throw new TypeError(`${what}: Failed to read the '${key}' property from '${type.dict}': Required member is undefined.`);
      } else if (fallback !== undefined) {
        out[key] = cloneDefault(fallback);
      }
    }
    return out;
  };

  /**
   * @param {readonly unknown[]} list
   * @param {unknown} x
   */
  const includes = (list, x) => {
    for (let i = 0; i < list.length; i++) if (list[i] === x) return true;
    return false;
  };
  // Where a modal request goes ("PublicKeyCredentialHint", https://w3c.github.io/webauthn/#enum-hints:
  // the RP's hints in decreasing order of preference). "client-device" names credwell's own
  // passkeys; "security-key" and "hybrid" name what only the browser's own WebAuthn reaches (a
  // roaming key; a phone, as credwell has no hybrid transport). The first of them decides which
  // is tried first; when the hints name both, the other is the alternative, tried when the first
  // ends in NotAllowedError (the user dismissed it, or it had nothing). Without hints: the
  // browser for a credential list whose every entry lists transports, none "internal" or
  // "hybrid", or (creation) attachment "cross-platform"; credwell otherwise.
  /** @typedef {'credwell' | 'browser' | 'credwell-then-browser' | 'browser-then-credwell'} Route */
  /**
   * @param {string[]} hints
   * @param {{transports?: string[]}[]} list
   * @param {string | undefined} attachment
   * @returns {Route}
   */
  const route = (hints, list, attachment) => {
    const credwell = includes(hints, 'client-device');
    const browser = includes(hints, 'security-key') || includes(hints, 'hybrid');
    for (let i = 0; i < hints.length; i++) {
      if (hints[i] === 'client-device') return browser ? 'credwell-then-browser' : 'credwell';
      if (hints[i] === 'security-key' || hints[i] === 'hybrid') return credwell ? 'browser-then-credwell' : 'browser';
    }
    if (attachment === 'cross-platform') return 'browser';
    if (list.length === 0) return 'credwell';
    for (let i = 0; i < list.length; i++) {
      const t = list[i].transports;
      if (t === undefined || t.length === 0 || includes(t, 'internal') || includes(t, 'hybrid')) return 'credwell';
    }
    return 'browser';
  };

  /**
   * @param {string} prefix
   * @param {string} dictionary
   * @param {string} parent
   */
  const publicKeyWhat = (prefix, dictionary, parent) =>
    `${prefix}Failed to read the 'publicKey' property from '${parent}'`;

  /**
   * @param {unknown} publicKey
   * @param {string} prefix
   * @param {string} dictionary
   * @param {string} parent
   */
  const checkObject = (publicKey, prefix, dictionary, parent) => {
    if (!isObject(publicKey)) {
      throw new TypeError(`${publicKeyWhat(prefix, dictionary, parent)}: The provided value is not of type '${dictionary}'.`);
    }
  };

  /**
   * PublicKeyCredentialCreationOptions as the host reads them, and where the request goes.
   * @param {unknown} publicKey
   * @param {string} prefix
   * @returns {{json: any, route: Route}}
   */
  const creation = (publicKey, prefix) => {
    checkObject(publicKey, prefix, 'PublicKeyCredentialCreationOptions', 'CredentialCreationOptions');
    const json = convert(publicKey, CREATION, publicKeyWhat(prefix, 'PublicKeyCredentialCreationOptions', 'CredentialCreationOptions'), false);
    const attachment = json.authenticatorSelection ? json.authenticatorSelection.authenticatorAttachment : undefined;
    return { json, route: route(json.hints, json.excludeCredentials, attachment) };
  };
  /**
   * PublicKeyCredentialRequestOptions as the host reads them, and where the request goes.
   * @param {unknown} publicKey
   * @param {string} prefix
   * @returns {{json: any, route: Route}}
   */
  const request = (publicKey, prefix) => {
    checkObject(publicKey, prefix, 'PublicKeyCredentialRequestOptions', 'CredentialRequestOptions');
    const json = convert(publicKey, REQUEST, publicKeyWhat(prefix, 'PublicKeyCredentialRequestOptions', 'CredentialRequestOptions'), false);
    return { json, route: route(json.hints, json.allowCredentials, undefined) };
  };

  // ---- interfaces -----------------------------------------------------------------------------
  const responses = new WeakMap(); // response object → its slots {kind, ...}
  const illegal = () => new TypeError('Illegal invocation');

  // The realm's interface `name` (the browser's when it has one, else a new one inheriting from
  // `Parent`), with `attributes` (getters) and `operations` answering for credwell's objects
  // (found by `lookup`) and deferring to the native members otherwise.
  /**
   * @param {string} name
   * @param {any} Parent
   * @param {(v: unknown) => any} lookup the slots of credwell's objects, undefined for others
   * @param {{[attribute: string]: (s: any) => unknown}} attributes
   * @param {{[operation: string]: (s: any) => unknown}} operations
   * @returns {any}
   */
  const adoptInterface = (name, Parent, lookup, attributes, operations) => {
    /** @type {any} */
    let Ctor = /** @type {any} */ (global)[name];
    if (typeof Ctor !== 'function') {
      Ctor = {
        [name]: function () {
          throw new TypeError(`Failed to construct '${name}': Illegal constructor`);
        },
      }[name];
      const proto = objectCreate(Parent ? Parent.prototype : I.ObjectPrototype);
      defineProperty(proto, 'constructor', { value: Ctor, writable: true, enumerable: false, configurable: true });
      defineProperty(proto, I.toStringTagSymbol, { value: name, configurable: true });
      defineProperty(Ctor, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false });
      if (Parent) setPrototypeOf(Ctor, Parent);
      defineProperty(global, name, { value: Ctor, writable: true, enumerable: false, configurable: true });
    }
    const proto = Ctor.prototype;
    const attributeNames = objectKeys(attributes);
    for (let i = 0; i < attributeNames.length; i++) {
      const attr = attributeNames[i];
      const d = getOwnPropertyDescriptor(proto, attr);
      const nativeGet = d && typeof d.get === 'function' ? d.get : undefined;
      const impl = attributes[attr];
      const getter = /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(
        {
          get [attr]() {
            const s = lookup(this);
            if (s) return impl(s);
            if (nativeGet) return apply(nativeGet, this, []);
            throw illegal();
          },
        },
        attr,
      )).get;
      defineProperty(proto, attr, { get: getter, enumerable: true, configurable: true });
    }
    const operationNames = objectKeys(operations);
    for (let i = 0; i < operationNames.length; i++) {
      const op = operationNames[i];
      const d = getOwnPropertyDescriptor(proto, op);
      const nativeOp = d && typeof d.value === 'function' ? d.value : undefined;
      const impl = operations[op];
      const fn = {
        [op]() {
          const s = lookup(this);
          if (s) return impl(s);
          if (nativeOp) return apply(nativeOp, this, arguments);
          throw illegal();
        },
      }[op];
      defineProperty(proto, op, { value: fn, writable: true, enumerable: true, configurable: true });
    }
    return Ctor;
  };

  /** @param {string | undefined} kind */
  const responseOf = (kind) => (/** @type {unknown} */ v) => {
    if (!isObject(v)) return undefined;
    const s = weakGet(responses, v);
    return s && (kind === undefined || s.kind === kind) ? s : undefined;
  };
  const AuthenticatorResponse = adoptInterface('AuthenticatorResponse', null, responseOf(undefined), {
    clientDataJSON: (s) => s.clientDataJSON,
  }, {});
  const AttestationResponse = adoptInterface('AuthenticatorAttestationResponse', AuthenticatorResponse, responseOf('attestation'), {
    attestationObject: (s) => s.attestationObject,
  }, {
    getTransports: (s) => {
      /** @type {string[]} */
      const out = [];
      for (let i = 0; i < s.transports.length; i++) append(out, s.transports[i]);
      return out;
    },
    getAuthenticatorData: (s) => copyBuffer(s.authenticatorData),
    getPublicKey: (s) => (s.publicKey === null ? null : copyBuffer(s.publicKey)),
    getPublicKeyAlgorithm: (s) => s.publicKeyAlgorithm,
  });
  const AssertionResponse = adoptInterface('AuthenticatorAssertionResponse', AuthenticatorResponse, responseOf('assertion'), {
    authenticatorData: (s) => s.authenticatorData,
    signature: (s) => s.signature,
    userHandle: (s) => s.userHandle,
  }, {});

  /** @param {unknown} v */
  const credentialOf = (v) => {
    const s = slotsOf(v);
    return s && s.type === 'public-key' ? s : undefined;
  };
  // Client extension outputs as the page sees them: binary outputs (prf results, largeBlob
  // blob) as ArrayBuffers; a fresh object each time.
  /**
   * @param {any} json
   * @returns {{[output: string]: any}}
   */
  const extensionOutputs = (json) => {
    /** @type {{[output: string]: any}} */
    const out = {};
    if (!isObject(json)) return out;
    const keys = objectKeys(json);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = json[k];
      if (k === 'prf' && isObject(v)) {
        /** @type {{enabled?: boolean, results?: {first: ArrayBuffer, second?: ArrayBuffer}}} */
        const prf = {};
        if (v.enabled !== undefined) prf.enabled = !!v.enabled;
        if (isObject(v.results)) {
          prf.results = { first: bufferFrom(v.results.first) };
          if (v.results.second !== undefined) prf.results.second = bufferFrom(v.results.second);
        }
        out.prf = prf;
      } else if (k === 'largeBlob' && isObject(v)) {
        /** @type {{supported?: boolean, blob?: ArrayBuffer, written?: boolean}} */
        const lb = {};
        if (v.supported !== undefined) lb.supported = !!v.supported;
        if (v.blob !== undefined) lb.blob = bufferFrom(v.blob);
        if (v.written !== undefined) lb.written = !!v.written;
        out.largeBlob = lb;
      } else if (isObject(v)) {
        out[k] = jsonClone(v);
      } else {
        out[k] = v;
      }
    }
    return out;
  };
  const PublicKeyCredential = adoptInterface('PublicKeyCredential', global.Credential, credentialOf, {
    rawId: (s) => s.rawId,
    response: (s) => s.response,
    authenticatorAttachment: (s) => s.attachment,
  }, {
    getClientExtensionResults: (s) => extensionOutputs(s.json.clientExtensionResults),
    toJSON: (s) => {
      const j = jsonClone(s.json);
      j.id = s.id;
      j.rawId = b64url(new Uint8Array(s.rawId));
      j.type = 'public-key';
      if (s.attachment === null) delete j.authenticatorAttachment;
      else j.authenticatorAttachment = s.attachment;
      if (!isObject(j.clientExtensionResults)) j.clientExtensionResults = {};
      if (isObject(j.response)) {
        if (j.response.userHandle === null) delete j.response.userHandle;
        if (j.response.publicKey === null) delete j.response.publicKey;
      }
      return j;
    },
  });

  // A PublicKeyCredential from the host's toJSON() form (trusted).
  /** @param {any} j */
  const fromJson = (j) => {
    if (!isObject(j)) return null;
    const r = isObject(j.response) ? j.response : {};
    let response;
    let slots;
    if (r.attestationObject !== undefined) {
      slots = {
        kind: 'attestation',
        clientDataJSON: bufferFrom(r.clientDataJSON),
        attestationObject: bufferFrom(r.attestationObject),
        authenticatorData: bufferFrom(r.authenticatorData),
        transports: [],
        publicKey: typeof r.publicKey === 'string' ? bufferFrom(r.publicKey) : null,
        publicKeyAlgorithm: typeof r.publicKeyAlgorithm === 'number' ? r.publicKeyAlgorithm : 0,
      };
      if (r.transports && r.transports.length) for (let i = 0; i < r.transports.length; i++) append(slots.transports, `${r.transports[i]}`);
      response = objectCreate(AttestationResponse.prototype);
    } else {
      slots = {
        kind: 'assertion',
        clientDataJSON: bufferFrom(r.clientDataJSON),
        authenticatorData: bufferFrom(r.authenticatorData),
        signature: bufferFrom(r.signature),
        userHandle: typeof r.userHandle === 'string' ? bufferFrom(r.userHandle) : null,
      };
      response = objectCreate(AssertionResponse.prototype);
    }
    weakSet(responses, response, slots);
    const credential = objectCreate(PublicKeyCredential.prototype);
    brand(credential, {
      type: 'public-key',
      id: `${j.id}`,
      rawId: bufferFrom(j.rawId),
      response,
      attachment: typeof j.authenticatorAttachment === 'string' ? j.authenticatorAttachment : null,
      json: j,
    });
    return credential;
  };

  // ---- statics --------------------------------------------------------------------------------
  /** @type {[string, boolean][]} */
  const CAPABILITIES = [
    // Automatic passkey upgrades: create({publicKey, mediation: "conditional"}) right after a
    // sign-in with a password credwell holds (the host decides; docs/architecture.md).
    ['conditionalCreate', true],
    ['conditionalGet', true],
    ['extension:credProps', true],
    ['extension:largeBlob', true],
    ['extension:prf', true],
    ['hybridTransport', false],
    // uiMode "immediate" (w3c/webauthn PR #2291): one chooser of what credwell holds, or
    // NotAllowedError at once.
    ['immediateGet', true],
    ['passkeyPlatformAuthenticator', true],
    ['relatedOrigins', true],
    ['signalAllAcceptedCredentials', true],
    ['signalCurrentUserDetails', true],
    ['signalUnknownCredential', true],
    ['userVerifyingPlatformAuthenticator', true],
  ];
  /** @type {{[method: string]: IdlType}} */
  const SIGNALS = {
    signalUnknownCredential: dict('UnknownCredentialOptions', [['credentialId', 'str', true], ['rpId', 'str', true]]),
    signalAllAcceptedCredentials: dict('AllAcceptedCredentialsOptions', [
      ['allAcceptedCredentialIds', seq('str'), true],
      ['rpId', 'str', true],
      ['userId', 'str', true],
    ]),
    signalCurrentUserDetails: dict('CurrentUserDetailsOptions', [
      ['displayName', 'str', true],
      ['name', 'str', true],
      ['rpId', 'str', true],
      ['userId', 'str', true],
    ]),
  };
  /** @type {{[method: string]: Function}} */
  const statics = {
    isUserVerifyingPlatformAuthenticatorAvailable() {
      return resolved(true);
    },
    isConditionalMediationAvailable() {
      return resolved(true);
    },
    getClientCapabilities() {
      /** @type {{[capability: string]: boolean}} */
      const out = {};
      for (let i = 0; i < CAPABILITIES.length; i++) out[CAPABILITIES[i][0]] = CAPABILITIES[i][1];
      return resolved(out);
    },
    /** @param {unknown} options */
    parseCreationOptionsFromJSON(options) {
      const what = "Failed to execute 'parseCreationOptionsFromJSON' on 'PublicKeyCredential'";
      if (arguments.length < 1) throw new TypeError(`${what}: 1 argument required, but only 0 present.`);
      return convert(options, { ...CREATION, dict: 'PublicKeyCredentialCreationOptionsJSON' }, what, true);
    },
    /** @param {unknown} options */
    parseRequestOptionsFromJSON(options) {
      const what = "Failed to execute 'parseRequestOptionsFromJSON' on 'PublicKeyCredential'";
      if (arguments.length < 1) throw new TypeError(`${what}: 1 argument required, but only 0 present.`);
      return convert(options, { ...REQUEST, dict: 'PublicKeyCredentialRequestOptionsJSON' }, what, true);
    },
  };
  const signalNames = objectKeys(SIGNALS);
  for (let i = 0; i < signalNames.length; i++) {
    const method = signalNames[i];
    statics[method] = {
      /** @param {unknown} options */
      [method](options) {
        try {
          const what = `Failed to execute '${method}' on 'PublicKeyCredential'`;
          if (arguments.length < 1) throw new TypeError(`${what}: 1 argument required, but only 0 present.`);
          const json = convert(options, SIGNALS[method], what, false);
          return relay('credentials.signal', { method, options: json }, undefined, () => undefined);
        } catch (e) {
          return rejected(e);
        }
      },
    }[method];
  }
  const staticNames = objectKeys(statics);
  for (let i = 0; i < staticNames.length; i++) {
    const name = staticNames[i];
    defineProperty(PublicKeyCredential, name, { value: statics[name], writable: true, enumerable: true, configurable: true });
  }

  return { creation, request, fromJson };
}

/** @typedef {ReturnType<typeof passkeys>} Passkeys */
