// @ts-check
// The credential interfaces of credwell's MAIN-world shim (part of gen/main-world.js, see
// build.mjs): Credential's `id`/`type` taught about the shim's objects, and PasswordCredential
// and FederatedCredential as new interface objects.
// https://w3c.github.io/webappsec-credential-management/#credential

/**
 * A credential's internal slots. The shim's WeakMap from objects to these is the brand check:
 * an object not in it is not one of ours.
 * @typedef {{type: string, id: string, [slot: string]: any}} Slots
 */

/**
 * Installs the interfaces in the realm of `I.global`.
 * @param {Intrinsics} I
 * @param {IdlBasics} idl
 * @param {HtmlForms} forms
 */
function credentialInterfaces(I, idl, forms) {
  const { global, TypeError, DOMException, URL, WeakMap, apply, create, defineProperty } = I;
  const { getOwnPropertyDescriptor, setPrototypeOf, objectKeys, weakGet, weakSet } = I;
  const { isObject, toStringTagSymbol } = I;
  const { readStringDictionary } = idl;

  // Internal slots of the credentials this shim made: {type, id, password | provider, protocol,
  // name, iconURL}, and the passkeys layer's {type: 'public-key', ...}.
  const slots = new WeakMap();
  /**
   * @param {unknown} v
   * @returns {Slots | undefined}
   */
  const slotsOf = (v) => (isObject(v) ? weakGet(slots, v) : undefined);
  /**
   * @param {object} object
   * @param {Slots} s
   */
  const brand = (object, s) => {
    weakSet(slots, object, s);
  };

  /** @param {string} s */
  const isUrl = (s) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  };

  // Keep the browser's Credential interface (PublicKeyCredential inherits from it) and teach
  // its `id` and `type` getters about our objects; elsewhere (no native Credential) define one.
  /** @type {Function & {prototype: object}} */
  let CredentialInterface = global.Credential;
  if (typeof CredentialInterface !== 'function') {
    CredentialInterface = function Credential() {
      throw new TypeError("Failed to construct 'Credential': Illegal constructor");
    };
    const proto = create(I.ObjectPrototype);
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
          return I.resolved(false);
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
  /** @param {string} name */
  const nativeGetter = (name) => {
    const d = getOwnPropertyDescriptor(credentialProto, name);
    return d && typeof d.get === 'function' ? d.get : undefined;
  };
  const nativeIdGetter = nativeGetter('id');
  const nativeTypeGetter = nativeGetter('type');
  /**
   * @param {object} proto
   * @param {object} getters an object literal of getters
   */
  const defineGetters = (proto, getters) => {
    const names = objectKeys(getters);
    for (let i = 0; i < names.length; i++) {
      const d = /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(getters, names[i]));
      defineProperty(proto, names[i], { get: d.get, enumerable: true, configurable: true });
    }
  };
  defineGetters(credentialProto, {
    get id() {
      const s = slotsOf(this);
      if (s) return s.id;
      if (nativeIdGetter) return apply(nativeIdGetter, this, []);
      throw new TypeError('Illegal invocation');
    },
    get type() {
      const s = slotsOf(this);
      if (s) return s.type;
      if (nativeTypeGetter) return apply(nativeTypeGetter, this, []);
      throw new TypeError('Illegal invocation');
    },
  });
  /**
   * A credential the browser made (PublicKeyCredential, ...): the native getter accepts it.
   * @param {unknown} v
   */
  const isNativeCredential = (v) => {
    if (!isObject(v) || !nativeTypeGetter) return false;
    try {
      apply(nativeTypeGetter, v, []);
      return true;
    } catch {
      return false;
    }
  };

  /**
   * @param {string} type
   * @param {string} slot
   */
  const slotGetter = (type, slot) =>
    /** @this {unknown} */
    function () {
      const s = slotsOf(this);
      if (!s || s.type !== type) throw new TypeError('Illegal invocation');
      return s[slot];
    };

  /**
   * A new interface object `name` inheriting from Credential, whose constructor takes one
   * argument and builds the slots with `construct`.
   * @param {string} name
   * @param {string} type
   * @param {string[]} attributes
   * @param {(arg: unknown, prefix: string) => Slots} construct
   * @returns {Function & {prototype: object}}
   */
  const defineInterface = (name, type, attributes, construct) => {
    // A constructor function with the right name and length: `function` syntax is needed for
    // `new`, so it is built here and its prototype replaced.
    const Ctor = {
      /** @param {unknown} arg */
      [name]: function (arg) {
        if (new.target === undefined) {
          throw new TypeError(
            `Failed to construct '${name}': Please use the 'new' operator, this DOM object ` +
              'constructor cannot be called as a function.',
          );
        }
        if (arguments.length < 1) {
          throw new TypeError(`Failed to construct '${name}': 1 argument required, but only 0 present.`);
        }
        const s = construct(arg, `Failed to construct '${name}': `);
        let proto = new.target.prototype;
        if (!isObject(proto)) proto = Ctor.prototype;
        const object = create(proto);
        weakSet(slots, object, s);
        return object;
      },
    }[name];
    const proto = create(credentialProto);
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

  /**
   * «Create a PasswordCredential from PasswordCredentialData» (validation as credwell-core's
   * PasswordCredential::from_data; messages as Chromium's).
   * https://w3c.github.io/webappsec-credential-management/#construct-passwordcredential-data
   * @param {{[member: string]: string}} data
   * @param {string} prefix
   * @returns {Slots}
   */
  const passwordSlots = (data, prefix) => {
    if (data.id === '') throw new TypeError(`${prefix}'id' must not be empty.`);
    if (data.password === '') throw new TypeError(`${prefix}'password' must not be empty.`);
    const iconURL = data.iconURL === undefined ? '' : data.iconURL;
    if (iconURL !== '' && !isUrl(iconURL)) {
      throw new DOMException(`${prefix}'${iconURL}' is not a valid URL.`, 'SyntaxError');
    }
    return {
      type: 'password',
      id: data.id,
      password: data.password,
      name: data.name === undefined ? '' : data.name,
      iconURL,
    };
  };

  /**
   * «Create a FederatedCredential from FederatedCredentialInit» (as credwell-core's
   * FederatedCredential::from_init: the provider is normalized to its origin).
   * https://w3c.github.io/webappsec-credential-management/#construct-federatedcredential-data
   * @param {{[member: string]: string}} init
   * @param {string} prefix
   * @returns {Slots}
   */
  const federatedSlots = (init, prefix) => {
    if (init.id === '') throw new TypeError(`${prefix}'id' must not be empty.`);
    if (init.provider === '') throw new TypeError(`${prefix}'provider' must not be empty.`);
    let provider;
    try {
      provider = new URL(init.provider).origin;
    } catch {
      provider = 'null';
    }
    if (provider === 'null') {
      throw new DOMException(`${prefix}'${init.provider}' is not a valid URL.`, 'SyntaxError');
    }
    const iconURL = init.iconURL === undefined ? '' : init.iconURL;
    if (iconURL !== '' && !isUrl(iconURL)) {
      throw new DOMException(`${prefix}'${iconURL}' is not a valid URL.`, 'SyntaxError');
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
      const required = { id: true, password: true };
      const data = forms.isForm(arg)
        ? forms.passwordDataFromForm(/** @type {HTMLFormElement} */ (arg))
        : readStringDictionary(arg, 'PasswordCredentialData', PASSWORD_DATA_MEMBERS, required, prefix);
      if (data.id === undefined) data.id = '';
      if (data.password === undefined) data.password = '';
      return passwordSlots(data, prefix);
    },
  );
  const FederatedCredential = defineInterface(
    'FederatedCredential',
    'federated',
    ['provider', 'protocol', 'name', 'iconURL'],
    (arg, prefix) => {
      const required = { id: true, provider: true };
      const init = readStringDictionary(arg, 'FederatedCredentialInit', FEDERATED_INIT_MEMBERS, required, prefix);
      return federatedSlots(init, prefix);
    },
  );

  /**
   * A credential object from the host's JSON (trusted: no validation).
   * @param {any} j
   */
  const fromCredentialJson = (j) => {
    if (j === null || j === undefined) return null;
    const federated = j.type === 'federated';
    const object = create(federated ? FederatedCredential.prototype : PasswordCredential.prototype);
    const s = federated
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

  /**
   * The credential's slots as the host's credentials.store reads them.
   * @param {Slots} s
   */
  const credentialJson = (s) => {
    /** @type {{[member: string]: unknown}} */
    const j = { type: s.type, id: s.id, name: s.name, iconURL: s.iconURL };
    if (s.type === 'password') {
      j.password = s.password;
    } else {
      j.provider = s.provider;
      if (s.protocol !== null) j.protocol = s.protocol;
    }
    return j;
  };

  return { slotsOf, brand, isNativeCredential, fromCredentialJson, credentialJson };
}

/** @typedef {ReturnType<typeof credentialInterfaces>} CredentialInterfaces */
