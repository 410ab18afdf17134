// Unit tests of the ISOLATED-world relay (extension/src/isolated.js) with a scripted `chrome`
// and document, no browser: calls and aborts go over the document's port, in order; replies come
// back by rid; a port that cannot be used falls back to runtime.sendMessage; a port that closes
// with calls in flight answers them UnknownError; page events that are not well-formed calls are
// ignored.
import test from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { contentScripts } from '../../extension/build.mjs';
import { WIRE } from '../../extension/src/wire.js';

// The relay as the manifest loads it: the bundle of src/content/isolated.js with src/wire.js.
const SOURCE = contentScripts()['isolated.js'];

/** A chrome.* event: addListener, and fire(...) for the test. */
function event() {
  const listeners = [];
  return { addListener: (fn) => listeners.push(fn), fire: (...args) => listeners.forEach((fn) => fn(...args)) };
}

/** A port the background side of the test controls. */
function fakePort() {
  const port = { name: 'credwell-document', sent: [], onMessage: event(), onDisconnect: event(), broken: false };
  port.postMessage = (m) => {
    if (port.broken) throw new Error('Attempting to use a disconnected port object');
    port.sent.push(structuredClone(m));
  };
  return port;
}

/**
 * An element of the scripted document: what isolated.js and fields.js read of one (its
 * descendants, its open or closed shadow root, and for an input its `type`).
 */
class Element {
  constructor(localName = 'div', children = [], { shadow = null, closed = false } = {}) {
    this.localName = localName;
    this.children = children;
    this.shadowRoot = closed ? null : shadow;
    this.closedRoot = closed ? shadow : null;
  }

  /** Descendants in tree order (a shadow root's are not: selectors do not cross into one). */
  descendants() {
    return this.children.flatMap((c) => [c, ...c.descendants()]);
  }

  querySelectorAll(selector) {
    assert.equal(selector, '*');
    return this.descendants();
  }

  querySelector(selector) {
    return this.descendants().find((el) => el.matches(selector)) ?? null;
  }

  matches(selector) {
    assert.equal(selector, PASSWORD_FIELD);
    return this instanceof HTMLInputElement && this.type === 'password';
  }
}
const PASSWORD_FIELD = 'input[type="password" i]';

/** An `<input>` of the scripted document. */
class HTMLInputElement extends Element {
  constructor(type = 'text') {
    super('input');
    this.type = type;
  }
}

/** A shadow root of the scripted document: its elements, and which one has focus. */
class ShadowRoot extends Element {
  constructor(children, activeElement = null) {
    super('#shadow-root', children);
    this.activeElement = activeElement;
  }
}

/**
 * Loads isolated.js into a fresh context; returns the page's side and the extension's.
 * `body`: the document's elements once parsed (`passwordField`: an `<input type=password>`).
 */
function load({ passwordField = false, body = [] } = {}) {
  const document = new EventTarget();
  document.readyState = 'complete';
  const root = new Element('html', passwordField ? [new HTMLInputElement('password'), ...body] : body);
  document.querySelectorAll = (selector) => root.querySelectorAll(selector);
  document.querySelector = (selector) => root.querySelector(selector);
  // The browser's idle callbacks and mutation records, run by the test.
  const idle = [];
  const observers = [];
  class MutationObserver {
    constructor(callback) {
      this.callback = callback;
    }

    observe(target, options) {
      assert.equal(target, document);
      assert.deepEqual({ ...options }, { childList: true, subtree: true });
      observers.push(this);
    }

    disconnect() {
      observers.splice(observers.indexOf(this), 1);
    }
  }
  const added = (...nodes) => [...observers].forEach((o) => o.callback([{ addedNodes: nodes }]));
  // The window's capture listeners, fired by the test with plain objects (a Node Event's
  // isTrusted cannot be set).
  const windowListeners = [];
  const window = { addEventListener: (type, fn, capture) => windowListeners.push({ type, fn, capture }) };
  const userActivation = { isActive: true };
  const userEvent = (e) => windowListeners.filter((l) => l.type === e.type).forEach((l) => l.fn(e));
  const ports = [];
  const sendMessage = [];
  const runtime = {
    id: 'credwell-test',
    onMessage: event(),
    lastError: undefined,
    connect: ({ name }) => {
      assert.equal(name, 'credwell-document');
      const p = fakePort();
      ports.push(p);
      return p;
    },
    sendMessage: (message, callback) => sendMessage.push({ message: structuredClone(message), callback }),
  };
  runInNewContext(SOURCE, {
    chrome: { runtime, dom: { openOrClosedShadowRoot: (el) => el.closedRoot ?? el.shadowRoot } },
    requestIdleCallback: (fn) => idle.push(fn),
    MutationObserver,
    performance,
    Element,
    ShadowRoot,
    document,
    window,
    navigator: { userActivation },
    CustomEvent,
    HTMLInputElement,
    JSON,
    Number,
    String,
    Object,
    Map,
    Error,
  });
  const replies = [];
  document.addEventListener(WIRE.events.response, (e) => replies.push(JSON.parse(e.detail)));
  const page = (message) => document.dispatchEvent(new CustomEvent(WIRE.events.request, { detail: JSON.stringify(message) }));
  const runIdle = () => idle.splice(0).forEach((fn) => fn());
  return { document, runtime, ports, sendMessage, replies, page, userActivation, userEvent, windowListeners, runIdle, added, observers };
}

test('calls and aborts travel over one port per document, in order; replies come back by rid', () => {
  const r = load();
  r.page(WIRE.call(1, 'credentials.get', { options: { password: true } }));
  r.page(WIRE.abort(1, 'stop'));
  r.page(WIRE.call(2, 'credentials.store', {}));
  assert.equal(r.ports.length, 1, 'one port for the document');
  assert.equal(r.sendMessage.length, 0, 'nothing by sendMessage while the port works');
  const [port] = r.ports;
  assert.deepEqual(
    port.sent.map((m) => [m.kind, m.rid]),
    [['call', 1], ['abort', 1], ['call', 2]],
  );
  assert.deepEqual(port.sent[0].params, { options: { password: true } });
  assert.equal(port.sent[0].frame.transientActivation, true, 'frame facts read in the isolated world');
  assert.equal(port.sent[1].reason, 'stop');
  // Replies in any order, by rid; a reply for an unknown rid or of another shape is dropped.
  port.onMessage.fire({ credwell: 1, kind: 'reply', rid: 2, reply: { result: null } });
  port.onMessage.fire({ credwell: 1, kind: 'reply', rid: 9, reply: { result: 'stray' } });
  port.onMessage.fire({ kind: 'reply', rid: 1, reply: { result: 'no brand' } });
  port.onMessage.fire({ credwell: 1, kind: 'reply', rid: 1, reply: { error: { name: 'AbortError', message: 'x' } } });
  port.onMessage.fire({ credwell: 1, kind: 'reply', rid: 1, reply: { result: 'twice' } });
  assert.deepEqual(r.replies, [
    WIRE.reply(2, { result: null }),
    WIRE.reply(1, { error: { name: 'AbortError', message: 'x' } }),
  ]);
});

test('a port that closes with calls in flight answers them UnknownError; the next call opens a new port', () => {
  const r = load();
  r.page(WIRE.call(1, 'credentials.get', {}));
  r.page(WIRE.call(2, 'credentials.get', {}));
  const [first] = r.ports;
  first.onMessage.fire({ credwell: 1, kind: 'reply', rid: 2, reply: { result: null } });
  first.onDisconnect.fire();
  assert.deepEqual(r.replies.map((m) => [m.rid, m.result === null ? 'null' : m.error?.name]), [
    [2, 'null'],
    [1, 'UnknownError'],
  ]);
  assert.match(r.replies[1].error.message, /background went away/);
  r.page(WIRE.call(3, 'credentials.get', {}));
  assert.equal(r.ports.length, 2, 'a new port after the old one closed');
  assert.deepEqual(r.ports[1].sent.map((m) => m.rid), [3]);
  // A late reply on the closed port is not delivered.
  first.onMessage.fire({ credwell: 1, kind: 'reply', rid: 3, reply: { result: 'wrong port' } });
  assert.equal(r.replies.length, 2);
});

test('a port that throws on post falls back to runtime.sendMessage, and its failures are UnknownError', () => {
  const r = load();
  r.page(WIRE.call(1, 'credentials.get', {}));
  r.ports[0].broken = true;
  r.page(WIRE.call(2, 'credentials.get', {}));
  // The broken port is dropped and the call goes by sendMessage instead, once.
  assert.deepEqual(r.sendMessage.map((x) => [x.message.kind, x.message.rid]), [['call', 2]]);
  assert.equal(r.ports.length, 1);
  r.sendMessage[0].callback({ result: 'by message' });
  assert.deepEqual(r.replies.at(-1), WIRE.reply(2, { result: 'by message' }));
  // The next call opens a new port.
  r.page(WIRE.call(3, 'credentials.get', {}));
  assert.equal(r.ports.length, 2);
  assert.deepEqual(r.ports[1].sent.map((m) => m.rid), [3]);
  // sendMessage failing (no background): UnknownError with the browser's message.
  const s = load();
  s.runtime.connect = () => {
    throw new Error('Extension context invalidated.');
  };
  s.page(WIRE.call(7, 'credentials.get', {}));
  assert.equal(s.sendMessage.length, 1);
  s.runtime.lastError = { message: 'Could not establish connection. Receiving end does not exist.' };
  s.sendMessage[0].callback(undefined);
  s.runtime.lastError = undefined;
  assert.equal(s.replies[0].error.name, 'UnknownError');
  assert.match(s.replies[0].error.message, /Receiving end does not exist/);
});

test('page events that are not well-formed calls are ignored', () => {
  const r = load();
  r.document.dispatchEvent(new CustomEvent(WIRE.events.request, { detail: WIRE.call(1, 'credentials.get', {}) })); // not a string
  r.document.dispatchEvent(new CustomEvent(WIRE.events.request, { detail: '{not json' }));
  r.page(WIRE.call(-1, 'credentials.get'));
  r.page(WIRE.call(1.5, 'credentials.get'));
  r.page({ t: 'launch', rid: 1 });
  r.document.dispatchEvent(new CustomEvent(WIRE.events.request, { detail: 'x'.repeat(WIRE.maxDetail + 1) }));
  const sent = r.ports.flatMap((p) => p.sent).length + r.sendMessage.length;
  assert.equal(sent, 0);
  assert.deepEqual(r.replies, []);
});

test('a publicKey create() consumes the transient activation: one user event, one create()', () => {
  const r = load();
  // (The form saving's second `submit` listener, in the bubble phase, is no activation's.)
  const activation = r.windowListeners.filter((l) => ['keydown', 'mousedown', 'pointerdown', 'pointerup', 'touchend'].includes(l.type));
  assert.ok(activation.length >= 5 && activation.every((l) => l.capture === true), 'listened for at the window, capture phase');
  const create = (rid) => r.page(WIRE.call(rid, 'credentials.create', { options: { publicKey: { challenge: {} } } }));
  const facts = () => r.ports[0].sent.at(-1).frame.transientActivation;
  r.userEvent({ type: 'mousedown', isTrusted: true });
  create(1);
  assert.equal(facts(), true, 'the first create() after the click has it');
  create(2);
  assert.equal(facts(), false, 'the second, with the browser still saying isActive, does not');
  // A get() neither needs nor consumes it; a password create() does not consume it.
  r.page(WIRE.call(3, 'credentials.get', { options: { publicKey: {} } }));
  assert.equal(facts(), false);
  // Events the page made (isTrusted false), Escape, and a mouse's pointerup are not activations.
  r.userEvent({ type: 'mousedown', isTrusted: false });
  r.userEvent({ type: 'keydown', key: 'Escape', isTrusted: true });
  r.userEvent({ type: 'pointerup', pointerType: 'mouse', isTrusted: true });
  create(4);
  assert.equal(facts(), false);
  // A new real event: one more create().
  r.userEvent({ type: 'keydown', key: 'Enter', isTrusted: true });
  r.page(WIRE.call(5, 'credentials.create', { options: { password: { id: 'a', password: 'b' } } }));
  assert.equal(facts(), true, 'a password create() reads it without consuming it');
  create(6);
  assert.equal(facts(), true);
  create(7);
  assert.equal(facts(), false);
  // When the browser says there is no activation, there is none, whatever the events.
  r.userEvent({ type: 'touchend', isTrusted: true });
  r.userActivation.isActive = false;
  create(8);
  assert.equal(facts(), false);
});

test('the document\'s port opens ahead of a sign-in: a password field, or the user in a sign-in field; nothing is sent', () => {
  // A password field: the port (which wakes the background) opens as the document is parsed.
  assert.equal(load({ passwordField: true }).ports.length, 1);
  // Without one, not until the user focuses or types into a field that could hold a credential.
  const r = load();
  assert.equal(r.ports.length, 0);
  const at = (type, target, isTrusted = true) => r.userEvent({ type, isTrusted, composedPath: () => [target] });
  at('focusin', new HTMLInputElement('email'), false); // made by the page
  at('focusin', new HTMLInputElement('checkbox'));
  at('keydown', {}); // not an input
  at('keydown', new HTMLInputElement('search'));
  assert.equal(r.ports.length, 0);
  at('focusin', new HTMLInputElement('email'));
  assert.equal(r.ports.length, 1);
  at('keydown', new HTMLInputElement('password'));
  assert.equal(r.ports.length, 1, 'one port while it is open');
  assert.deepEqual(r.ports[0].sent, [], 'opening it sends nothing of the page');
  // The background slept (the port closed): the next keystroke in a sign-in field opens another.
  r.ports[0].onDisconnect.fire();
  at('keydown', new HTMLInputElement('password'));
  assert.equal(r.ports.length, 2);
});

test('a password field in a shadow root or added after load opens the port; a closed root\'s focused field too', () => {
  // In an open shadow root: not seen by the parse-time query, seen when the browser is idle.
  const open = load({ body: [new Element('login-box', [], { shadow: new ShadowRoot([new HTMLInputElement('password')]) })] });
  assert.equal(open.ports.length, 0, 'the deep walk waits for the browser to be idle');
  open.runIdle();
  assert.equal(open.ports.length, 1);
  assert.equal(open.observers.length, 0, 'the watch for added fields ends once one is seen');
  // In a closed one, which the browser opens to extensions.
  const closed = load({ body: [new Element('login-box', [], { shadow: new ShadowRoot([new HTMLInputElement('password')]), closed: true })] });
  closed.runIdle();
  assert.equal(closed.ports.length, 1);
  // None: nothing opens; fields added later are watched.
  const later = load({ body: [new HTMLInputElement('text')] });
  later.runIdle();
  assert.equal(later.ports.length, 0);
  later.added(new HTMLInputElement('email'), new Element('div', [new HTMLInputElement('text')]));
  assert.equal(later.ports.length, 0, 'no password field added');
  later.added(new Element('form', [new Element('p', [new HTMLInputElement('password')])]));
  assert.equal(later.ports.length, 1, 'a form holding a password field added after load');
  assert.equal(later.observers.length, 0);
  // A custom element added with its password field in its own shadow root.
  const custom = load();
  custom.runIdle();
  custom.added(new Element('x-signin', [], { shadow: new ShadowRoot([new HTMLInputElement('password')]), closed: true }));
  assert.equal(custom.ports.length, 1);
  assert.deepEqual(custom.ports[0].sent, [], 'opening it sends nothing of the page');

  // The port closed (the background slept): a pointer pressed anywhere in a document known to
  // hold a password field (the sign-in button) opens it again; in another document it does not.
  custom.ports[0].onDisconnect.fire();
  custom.userEvent({ type: 'pointerdown', isTrusted: false, composedPath: () => [new Element('button')] });
  assert.equal(custom.ports.length, 1, 'an event the page made');
  custom.userEvent({ type: 'pointerdown', isTrusted: true, composedPath: () => [new Element('button')] });
  assert.equal(custom.ports.length, 2);
  const plain = load();
  plain.runIdle();
  plain.userEvent({ type: 'pointerdown', isTrusted: true, composedPath: () => [new Element('button')] });
  assert.equal(plain.ports.length, 0);

  // A focus inside a closed shadow root: the event's path shows only the host; its root's
  // focused element is what counts.
  const field = new HTMLInputElement('password');
  const host = new Element('login-box', [], { shadow: new ShadowRoot([field], field), closed: true });
  plain.userEvent({ type: 'focusin', isTrusted: true, composedPath: () => [host] });
  assert.equal(plain.ports.length, 1);
  const elsewhere = new Element('x-menu', [], { shadow: new ShadowRoot([new Element('button')], null), closed: true });
  const other = load();
  other.userEvent({ type: 'focusin', isTrusted: true, composedPath: () => [elsewhere] });
  assert.equal(other.ports.length, 0, 'a closed root whose focus is not in a sign-in field');
});
