// @ts-check
// WebIDL conversion of the page's arguments for credwell's MAIN-world shim (part of
// gen/main-world.js, see build.mjs): every dictionary is read once, member by member in WebIDL
// order (lexicographic), and converted to the JSON the host reads. Options with only `publicKey`
// are converted by the passkeys layer (webauthn.js).
// https://webidl.spec.whatwg.org/#js-dictionary

/**
 * @typedef {object} Converted
 * @property {true} [native] the browser's own method answers (the call is not credwell's)
 * @property {object} [json] the options as the host reads them
 * @property {AbortSignal} [signal] the page's signal, brand-checked
 * @property {(result: any) => unknown} [toResult] the reply's result as the page gets it
 * @property {(result: any) => unknown} [publicKeyResult] with a password or federated result
 *   possible too (uiMode "immediate"): how a public-key reply becomes the page's result
 * @property {'browser' | 'credwell'} [alternative] the publicKey hints name both credwell and
 *   the browser: the one tried when the first (`native` or credwell) ends in NotAllowedError
 */

/**
 * The scalar conversions.
 * @param {Intrinsics} I
 */
function idlBasics(I) {
  const { TypeError, append, iteratorSymbol, isObject, toWellFormed, signalAborted } = I;

  /**
   * WebIDL DOMString / USVString: ECMAScript ToString (a Symbol throws a TypeError), then lone
   * surrogates replaced (USVString; harmless for DOMString, and JSON needs it).
   * @param {unknown} v
   * @returns {string}
   */
  const toStr = (v) => toWellFormed(`${/** @type {any} */ (v)}`);

  /**
   * WebIDL sequence<DOMString>: only iterables convert.
   * @param {unknown} v
   * @param {string} what the start of the TypeError's message
   */
  const toStringSequence = (v, what) => {
    if (!isObject(v) || typeof v[iteratorSymbol] !== 'function') {
      throw new TypeError(`${what}: The provided value cannot be converted to a sequence.`);
    }
    /** @type {string[]} */
    const out = [];
    for (const item of v) append(out, toStr(item));
    return out;
  };

  /**
   * Reads a dictionary whose members are all DOMStrings, in WebIDL order (`members` sorted),
   * converting each present one; a `required` member that is undefined is a TypeError.
   * @param {unknown} value
   * @param {string} dictionary its WebIDL name, for messages
   * @param {readonly string[]} members
   * @param {{[member: string]: boolean}} required
   * @param {string} prefix the start of error messages ("Failed to execute ...: ")
   * @returns {{[member: string]: string}}
   */
  const readStringDictionary = (value, dictionary, members, required, prefix) => {
    if (value !== undefined && value !== null && !isObject(value)) {
      throw new TypeError(`${prefix}The provided value is not of type '${dictionary}'.`);
    }
    /** @type {{[member: string]: string}} */
    const out = {};
    for (let i = 0; i < members.length; i++) {
      const member = members[i];
      const v = value === undefined || value === null ? undefined : /** @type {any} */ (value)[member];
      if (v !== undefined) {
        out[member] = toStr(v);
      } else if (required[member]) {
        throw new TypeError(
          `${prefix}Failed to read the '${member}' property from '${dictionary}': ` +
            'Required member is undefined.',
        );
      }
    }
    return out;
  };

  /**
   * An `AbortSignal signal` member: undefined, or an AbortSignal (brand-checked).
   * @param {unknown} v
   * @param {string} method
   * @param {string} dictionary
   * @returns {AbortSignal | undefined}
   */
  const readSignal = (v, method, dictionary) => {
    if (v === undefined) return undefined;
    try {
      signalAborted(v);
    } catch {
      throw new TypeError(
        `Failed to execute '${method}' on 'CredentialsContainer': Failed to read the 'signal' ` +
          `property from '${dictionary}': Failed to convert value to 'AbortSignal'.`,
      );
    }
    return /** @type {AbortSignal} */ (v);
  };

  return { toStr, toStringSequence, readStringDictionary, readSignal };
}

/** @typedef {ReturnType<typeof idlBasics>} IdlBasics */

/** PasswordCredentialData's members, in WebIDL order. */
const PASSWORD_DATA_MEMBERS = ['iconURL', 'id', 'name', 'origin', 'password'];
/** FederatedCredentialInit's members, in WebIDL order. */
const FEDERATED_INIT_MEMBERS = ['iconURL', 'id', 'name', 'origin', 'protocol', 'provider'];

/**
 * The conversions of `get()` and `create()` options.
 * @param {Intrinsics} I
 * @param {IdlBasics} idl
 * @param {HtmlForms} forms
 * @param {Passkeys | null} webauthn null when the passkeys layer is missing
 */
function optionConversions(I, idl, forms, webauthn) {
  const { TypeError, isObject } = I;
  const { toStr, toStringSequence, readStringDictionary, readSignal } = idl;

  /**
   * A publicKey-only request: credwell's passkeys, with the converted options `pk.json`, or the
   * browser's own WebAuthn, or one and then the other, as `pk.route` (the hints) says. A
   * conditional or immediate request has no alternative: it goes to the browser only for the
   * browser alone, else to credwell.
   * @param {Passkeys} passkeys
   * @param {{json: object, route: string}} pk
   * @param {unknown} mediation
   * @param {AbortSignal | undefined} signal
   * @param {unknown} [uiMode]
   * @returns {Converted}
   */
  const publicKeyCall = (passkeys, pk, mediation, signal, uiMode) => {
    if (pk.route === 'browser') return { native: true };
    /** @type {{publicKey: object, mediation?: string, uiMode?: string}} */
    const json = { publicKey: pk.json };
    if (mediation !== undefined) json.mediation = toStr(mediation);
    if (uiMode !== undefined) json.uiMode = toStr(uiMode);
    /** @type {Converted} */
    const out = { json, signal, toResult: passkeys.fromJson };
    if (json.mediation === 'conditional' || json.uiMode === 'immediate') return out;
    if (pk.route === 'credwell-then-browser') out.alternative = 'browser';
    if (pk.route === 'browser-then-credwell') {
      out.native = true;
      out.alternative = 'credwell';
    }
    return out;
  };

  /**
   * CredentialRequestOptions: {native: true} when the browser's own method should answer
   * (publicKey, identity, otp, digital alone), else {json, signal}.
   * @param {any} options
   * @returns {Converted}
   */
  const convertRequestOptions = (options) => {
    const prefix = "Failed to execute 'get' on 'CredentialsContainer': ";
    if (options === undefined || options === null) return { json: {}, signal: undefined };
    if (!isObject(options)) {
      throw new TypeError(`${prefix}The provided value is not of type 'CredentialRequestOptions'.`);
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
    const others =
      publicKey !== undefined || identity !== undefined || otp !== undefined || digital !== undefined;
    const ours = !!password || federated !== undefined;
    if (others && !ours) {
      const onlyPublicKey =
        publicKey !== undefined && identity === undefined && otp === undefined && digital === undefined;
      if (!onlyPublicKey || !webauthn) return { native: true };
      return publicKeyCall(webauthn, webauthn.request(publicKey, prefix), mediation, signal, uiMode);
    }
    /** @type {{[member: string]: unknown}} */
    const json = {};
    if (federated !== undefined) {
      /** @param {string} member */
      const from = (member) =>
        `${prefix}Failed to read the '${member}' property from 'FederatedCredentialRequestOptions'`;
      if (isObject(federated)) {
        /** @type {{protocols?: string[], providers?: string[]}} */
        const f = {};
        const protocols = federated.protocols;
        if (protocols !== undefined) f.protocols = toStringSequence(protocols, from('protocols'));
        const providers = federated.providers;
        if (providers !== undefined) f.providers = toStringSequence(providers, from('providers'));
        json.federated = f;
      } else if (federated === null) {
        json.federated = null;
      } else {
        throw new TypeError(
          `${prefix}Failed to read the 'federated' property from 'CredentialRequestOptions': ` +
            "The provided value is not of type 'FederatedCredentialRequestOptions'.",
        );
      }
    }
    if (mediation !== undefined) json.mediation = toStr(mediation);
    if (password !== undefined) json.password = !!password;
    // Mixed with password/federated: the host answers NotSupportedError (types that cannot be
    // requested together); it only needs to see that the member is there. With uiMode
    // "immediate", password and publicKey may share a request: the options are converted in
    // full (no security-key routing: one chooser of credwell's own passwords and passkeys).
    /** @type {((result: any) => unknown) | undefined} */
    let publicKeyResult;
    if (others) json.publicKey = { challenge: null };
    if (uiMode !== undefined) json.uiMode = toStr(uiMode);
    if (json.uiMode === 'immediate' && publicKey !== undefined && webauthn) {
      json.publicKey = webauthn.request(publicKey, prefix).json;
      publicKeyResult = webauthn.fromJson;
    }
    return { json, signal, publicKeyResult };
  };

  /**
   * CredentialCreationOptions, as convertRequestOptions.
   * @param {any} options
   * @returns {Converted}
   */
  const convertCreationOptions = (options) => {
    const prefix = "Failed to execute 'create' on 'CredentialsContainer': ";
    if (options === undefined || options === null) return { json: {}, signal: undefined };
    if (!isObject(options)) {
      throw new TypeError(`${prefix}The provided value is not of type 'CredentialCreationOptions'.`);
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
      return publicKeyCall(webauthn, webauthn.creation(publicKey, prefix), mediation, signal);
    }
    /** @type {{[member: string]: unknown}} */
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
      if (forms.isForm(password)) {
        json.password = { htmlFormElement: forms.snapshotForm(password) };
      } else if (isObject(password)) {
        json.password = readStringDictionary(password, 'PasswordCredentialData', PASSWORD_DATA_MEMBERS, {}, prefix);
      } else {
        json.password = password === null ? null : toStr(password);
      }
    }
    if (others) json.publicKey = { challenge: null };
    return { json, signal };
  };

  return { convertRequestOptions, convertCreationOptions };
}
