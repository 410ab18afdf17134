// @ts-check
// The CredentialsContainer methods of credwell's MAIN-world shim (part of gen/main-world.js,
// see build.mjs): get, store, create and preventSilentAccess, replaced in place on the realm's
// CredentialsContainer.prototype, so navigator.credentials stays the browser's [SameObject].
// https://w3c.github.io/webappsec-credential-management/#credentialscontainer

/**
 * Replaces the four methods of `containerProto` for `container` (the realm's
 * navigator.credentials).
 * @param {Intrinsics} I
 * @param {object} deps
 * @param {CredentialsContainer} deps.container
 * @param {{get: Function, store: Function, create: Function, preventSilentAccess: Function}}
 *   deps.native the browser's methods, for the calls that are not credwell's
 * @param {Document} deps.doc the realm's document
 * @param {ReturnType<typeof optionConversions>} deps.conversions
 * @param {CredentialInterfaces} deps.credentials
 * @param {Relay} deps.relay
 */
function containerMethods(I, { container, native, doc, conversions, credentials, relay }) {
  const { TypeError, DOMException, apply, hasOwn, isObject, rejected, defaultView, signalAborted, promiseThen, domExceptionName } = I;
  const { convertRequestOptions, convertCreationOptions } = conversions;
  const { slotsOf, isNativeCredential, fromCredentialJson, credentialJson } = credentials;

  /** @param {string} method */
  const illegalInvocation = (method) =>
    new TypeError(`Failed to execute '${method}' on 'CredentialsContainer': Illegal invocation`);
  // A detached document (not fully active): its content scripts are gone, so it is answered
  // here.
  const isFullyActive = () => {
    try {
      return defaultView(doc) !== null;
    } catch {
      return false;
    }
  };
  /** @param {string} method */
  const notFullyActive = (method) =>
    new DOMException(
      `Failed to execute '${method}' on 'CredentialsContainer': Context is detached`,
      'InvalidStateError',
    );
  const toUndefined = () => undefined;
  /** @param {unknown} e */
  const isNotAllowed = (e) => {
    try {
      return domExceptionName(e) === 'NotAllowedError';
    } catch {
      return false; // not a DOMException
    }
  };
  /**
   * A publicKey request whose hints name credwell and the browser: the first (the browser when
   * `converted.native`, else credwell), then the other when the first ends in NotAllowedError
   * (dismissed, or nothing there) and the page has not aborted. Otherwise credwell alone.
   * @param {Converted} converted
   * @param {() => Promise<unknown>} viaBrowser
   * @param {() => Promise<unknown>} viaCredwell
   * @returns {Promise<unknown>}
   */
  const inOrder = (converted, viaBrowser, viaCredwell) => {
    if (!converted.alternative) return viaCredwell();
    const [first, then] = converted.native ? [viaBrowser, viaCredwell] : [viaCredwell, viaBrowser];
    const signal = converted.signal;
    return promiseThen(first(), undefined, (/** @type {unknown} */ e) => {
      if (!isNotAllowed(e) || (signal !== undefined && signalAborted(signal))) return rejected(e);
      return then();
    });
  };

  return {
    /** @this {unknown} */
    get() {
      try {
        if (this !== container) throw illegalInvocation('get');
        const options = arguments[0];
        const converted = convertRequestOptions(options);
        if (converted.native && !converted.alternative) return apply(native.get, this, [options]);
        if (!isFullyActive()) throw notFullyActive('get');
        const publicKeyResult = converted.publicKeyResult;
        /** @param {any} j */
        const either = (j) => (isObject(j) && j.type === 'public-key' && publicKeyResult ? publicKeyResult(j) : fromCredentialJson(j));
        const toResult = converted.toResult ?? either;
        return inOrder(
          converted,
          () => apply(native.get, container, [options]),
          () => relay('credentials.get', { options: converted.json }, converted.signal, toResult),
        );
      } catch (e) {
        return rejected(e);
      }
    },
    /**
     * @this {unknown}
     * @param {unknown} credential
     */
    store(credential) {
      const fail = "Failed to execute 'store' on 'CredentialsContainer': ";
      try {
        if (this !== container) throw illegalInvocation('store');
        if (arguments.length < 1) throw new TypeError(`${fail}1 argument required, but only 0 present.`);
        const s = slotsOf(credential);
        if (!s) {
          if (isNativeCredential(credential)) return apply(native.store, this, [credential]);
          const hint =
            isObject(credential) && (hasOwn(credential, 'password') || hasOwn(credential, 'username'))
              ? ' Build one first: navigator.credentials.store(new PasswordCredential({id: username, password})).'
              : '';
          throw new TypeError(`${fail}parameter 1 is not of type 'Credential'.${hint}`);
        }
        if (s.type === 'public-key') {
          throw new DOMException(`${fail}PublicKeyCredential cannot be stored.`, 'NotSupportedError');
        }
        if (!isFullyActive()) throw notFullyActive('store');
        return relay('credentials.store', { credential: credentialJson(s) }, undefined, toUndefined);
      } catch (e) {
        return rejected(e);
      }
    },
    /** @this {unknown} */
    create() {
      try {
        if (this !== container) throw illegalInvocation('create');
        const options = arguments[0];
        const converted = convertCreationOptions(options);
        if (converted.native && !converted.alternative) return apply(native.create, this, [options]);
        if (!isFullyActive()) throw notFullyActive('create');
        const toResult = converted.toResult ?? fromCredentialJson;
        return inOrder(
          converted,
          () => apply(native.create, container, [options]),
          () => relay('credentials.create', { options: converted.json }, converted.signal, toResult),
        );
      } catch (e) {
        return rejected(e);
      }
    },
    /** @this {unknown} */
    preventSilentAccess() {
      try {
        if (this !== container) throw illegalInvocation('preventSilentAccess');
        if (!isFullyActive()) throw notFullyActive('preventSilentAccess');
        return relay('credentials.preventSilentAccess', {}, undefined, toUndefined);
      } catch (e) {
        return rejected(e);
      }
    },
  };
}
