// @ts-check
// The realm intrinsics of credwell's MAIN-world shim (first part of gen/main-world.js, see
// build.mjs): everything the shim and its passkeys layer use from a realm, captured (methods
// uncurried) when the shim installs there, before any page script of that realm ran.
//
// A page script that later replaces JSON, Promise, WeakMap, EventTarget.prototype.dispatchEvent,
// TypeError or a DOM getter does not change what the shim does: it calls only what is captured
// here. The object returned is the bundle's own (one closure, no global), so a page cannot reach
// it to swap an entry.

/**
 * Captures the intrinsics of the realm of `global` (this page's window, or a same-origin child
 * window the shim adopts).
 * @param {Window & typeof globalThis} global the realm's global object
 */
function realmIntrinsics(global) {
  const {
    AbortSignal,
    ArrayBuffer,
    CustomEvent,
    DOMException,
    DataView,
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
    Uint8Array,
    WeakMap,
  } = global;
  const { create, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, setPrototypeOf } =
    Object;
  const apply = Reflect.apply;
  /**
   * `fn` as a function of its receiver: uncurry(f)(self, ...args) = f.call(self, ...args),
   * without the page's Function.prototype.call.
   * @param {Function} fn
   * @returns {(self: any, ...args: any[]) => any}
   */
  const uncurry = (fn) => (self, ...args) => apply(fn, self, args);
  /**
   * The getter of accessor `name` on `proto`, uncurried.
   * @param {object} proto
   * @param {PropertyKey} name
   */
  const getterOf = (proto, name) => {
    const d = /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(proto, name));
    return uncurry(/** @type {Function} */ (d.get));
  };
  const TypedArrayProto = getPrototypeOf(Uint8Array.prototype);
  const stringProto = String.prototype;
  const toWellFormed = stringProto.toWellFormed
    ? uncurry(stringProto.toWellFormed)
    : /** @param {string} s */ (s) => s;
  /**
   * A promise of this realm, settled with `error`.
   * @param {unknown} error
   * @returns {Promise<never>}
   */
  const rejected = (error) => new Promise((_resolve, reject) => reject(error));
  /**
   * A promise of this realm, fulfilled with `value`.
   * @template T
   * @param {T} value
   * @returns {Promise<T>}
   */
  const resolved = (value) => new Promise((resolve) => resolve(value));
  /**
   * Appends `value` to `list` without the page's Array.prototype (push, or an index setter).
   * @param {unknown[]} list
   * @param {unknown} value
   */
  const append = (list, value) =>
    defineProperty(list, list.length, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  /**
   * Whether `v` is an ECMAScript object (functions included).
   * @param {unknown} v
   * @returns {v is any}
   */
  const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';

  return {
    global,
    // constructors (used with `new` or for instanceof)
    CustomEvent,
    DOMException,
    FormData,
    Map,
    Promise,
    TypeError,
    URL,
    Uint8Array,
    WeakMap,
    ObjectPrototype: Object.prototype,
    // Object and Reflect
    apply,
    create,
    defineProperty,
    getOwnPropertyDescriptor,
    getPrototypeOf,
    setPrototypeOf,
    hasOwn: Object.hasOwn,
    objectKeys: Object.keys,
    ownKeys: Reflect.ownKeys,
    uncurry,
    getterOf,
    // JSON
    jsonStringify: JSON.stringify,
    jsonParse: JSON.parse,
    // collections
    weakGet: uncurry(WeakMap.prototype.get),
    weakSet: uncurry(WeakMap.prototype.set),
    mapGet: uncurry(Map.prototype.get),
    mapSet: uncurry(Map.prototype.set),
    mapDelete: uncurry(Map.prototype.delete),
    // symbols
    iteratorSymbol: Symbol.iterator,
    toStringTagSymbol: Symbol.toStringTag,
    // strings
    toWellFormed,
    charCodeAt: uncurry(stringProto.charCodeAt),
    stringSlice: uncurry(stringProto.slice),
    fromCharCode: String.fromCharCode,
    // bytes
    isView: ArrayBuffer.isView,
    abByteLength: getterOf(ArrayBuffer.prototype, 'byteLength'),
    taBuffer: getterOf(TypedArrayProto, 'buffer'),
    taOffset: getterOf(TypedArrayProto, 'byteOffset'),
    taLength: getterOf(TypedArrayProto, 'byteLength'),
    taSlice: uncurry(TypedArrayProto.slice),
    dvBuffer: getterOf(DataView.prototype, 'buffer'),
    dvOffset: getterOf(DataView.prototype, 'byteOffset'),
    dvLength: getterOf(DataView.prototype, 'byteLength'),
    // events and the DOM
    dispatchEvent: uncurry(EventTarget.prototype.dispatchEvent),
    addEventListener: uncurry(EventTarget.prototype.addEventListener),
    eventDetail: getterOf(CustomEvent.prototype, 'detail'),
    defaultView: getterOf(Document.prototype, 'defaultView'),
    signalAborted: getterOf(AbortSignal.prototype, 'aborted'),
    domExceptionName: getterOf(DOMException.prototype, 'name'),
    promiseThen: uncurry(Promise.prototype.then),
    signalReason: getterOf(AbortSignal.prototype, 'reason'),
    formElements: getterOf(HTMLFormElement.prototype, 'elements'),
    collectionLength: getterOf(HTMLCollection.prototype, 'length'),
    collectionItem: uncurry(HTMLCollection.prototype.item),
    localName: getterOf(Element.prototype, 'localName'),
    getAttribute: uncurry(Element.prototype.getAttribute),
    hasAttribute: uncurry(Element.prototype.hasAttribute),
    formDataEntries: uncurry(FormData.prototype.entries),
    formDataIteratorNext: uncurry(getPrototypeOf(new FormData().entries()).next),
    // helpers over the above
    rejected,
    resolved,
    append,
    isObject,
  };
}

/** @typedef {ReturnType<typeof realmIntrinsics>} Intrinsics */
