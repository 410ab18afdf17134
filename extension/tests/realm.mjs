// A page realm for the MAIN-world shim in Node, no browser: a `vm` context with the few DOM
// interfaces the shim captures (Document, Element, HTMLFormElement, HTMLCollection, FormData,
// CredentialsContainer), Node's EventTarget, CustomEvent, AbortSignal, DOMException and URL, and
// the shim itself as the manifest loads it: build.mjs's gen/main-world.js, made from the sources
// as they are. The context's own intrinsics (Object, JSON, Promise, TypeError...) are its own, as
// a page's are.
import { createContext, runInContext } from 'node:vm';
import { contentScripts } from '../build.mjs';
import { WIRE } from '../src/wire.js';

// Runs in the context before the shim: the page's realm as the browser made it.
const DOM = `
// Private fields, so that a getter on anything but the real thing throws (a brand check),
// touching no property of it (as the browser's internal slots).
class Element {
  #localName;
  #attributes;
  constructor(localName, attributes = {}) { this.#localName = localName; this.#attributes = attributes; }
  get localName() { return this.#localName; }
  getAttribute(name) { return Object.hasOwn(this.#attributes, name) ? this.#attributes[name] : null; }
  hasAttribute(name) { return Object.hasOwn(this.#attributes, name); }
}
class HTMLCollection {
  #items;
  constructor(items) { this.#items = items; }
  get length() { return this.#items.length; }
  item(i) { return this.#items[i] ?? null; }
}
class HTMLFormElement extends Element {
  #fields;
  constructor(fields) { super('form'); this.#fields = fields; }
  get elements() { return new HTMLCollection(this.#fields.map((f) => f.element)); }
  static entries(form) { return form.#fields.filter((f) => f.value !== undefined).map((f) => [f.element.getAttribute('name'), f.value]); }
}
class FormData {
  #entries;
  constructor(form) { this.#entries = form === undefined ? [] : HTMLFormElement.entries(form); }
  entries() { return this.#entries[Symbol.iterator](); }
}
class Document extends EventTarget {
  get defaultView() { return this._detached ? null : globalThis; }
}
const nativeCalls = [];
class CredentialsContainer {
  get(options) { nativeCalls.push(['get', options]); return Promise.resolve('native get'); }
  store(credential) { nativeCalls.push(['store', credential]); return Promise.resolve('native store'); }
  create(options) { nativeCalls.push(['create', options]); return Promise.resolve('native create'); }
  preventSilentAccess() { nativeCalls.push(['preventSilentAccess']); return Promise.resolve(); }
}
// Class declarations are not properties of the global object; interfaces are.
Object.assign(globalThis, { Element, HTMLCollection, HTMLFormElement, FormData, Document, CredentialsContainer });
var isSecureContext = true;
var document = new Document();
var navigator = { credentials: new CredentialsContainer() };
/** A form of {name, autocomplete?, value?, tag?} fields. */
function makeForm(fields) {
  return new HTMLFormElement(fields.map((f) => {
    const attributes = { name: f.name };
    if (f.autocomplete !== undefined) attributes.autocomplete = f.autocomplete;
    return { element: new Element(f.tag ?? 'input', attributes), value: f.value };
  }));
}
`;

// CustomEvent is Node's, shared with the page realm: its getter as it was, for a page that
// replaces it.
const detailOf = Object.getOwnPropertyDescriptor(CustomEvent.prototype, 'detail').get;

/**
 * A fresh page realm with the shim installed. Returns the context (the page's globalThis),
 * `sent` (the WIRE messages the shim dispatched, parsed), `reply(rid, body)` (the relay's
 * answer), `run(code)` (a page script) and `nativeCalls` (what reached the browser's methods).
 */
export function pageRealm({ secure = true } = {}) {
  const context = createContext({ EventTarget, CustomEvent, AbortSignal, AbortController, DOMException, URL });
  runInContext(DOM, context);
  if (!secure) runInContext('isSecureContext = false;', context);
  runInContext(contentScripts()['main-world.js'], context, { filename: 'gen/main-world.js' });
  const sent = [];
  context.document.addEventListener(WIRE.events.request, (e) => sent.push(JSON.parse(detailOf.call(e))));
  const reply = (rid, body) =>
    context.document.dispatchEvent(new CustomEvent(WIRE.events.response, { detail: JSON.stringify(WIRE.reply(rid, body)) }));
  const run = (code) => runInContext(code, context);
  return { context, sent, reply, run, nativeCalls: runInContext('nativeCalls', context) };
}

/** What a call rejected with: {name, message} (the realm's errors are not this realm's). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return { name: e.name, message: e.message };
  }
  throw new Error('the promise was fulfilled');
}

/** What a synchronous call threw: {name, message}. */
export function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return { name: e.name, message: e.message };
  }
  throw new Error('nothing was thrown');
}
