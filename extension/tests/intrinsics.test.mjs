// Unit tests of the MAIN-world shim's captured intrinsics (src/main/intrinsics.js), on the
// shipped bundle in a Node `vm` page realm: a page script that replaces the globals and
// prototype methods the shim uses, after it installed, changes nothing it does; nothing of the
// shim is reachable from the page; its messages carry no origin.
import test from 'node:test';
import assert from 'node:assert/strict';
import { WIRE } from '../src/wire.js';
import { pageRealm } from './realm.mjs';

// What a hostile page script replaces (each with a function that throws, or a wrong answer).
const TAMPER = `
  const boom = () => { throw new Error('tampered'); };
  JSON.stringify = boom;
  JSON.parse = boom;
  globalThis.Promise = function Promise() { boom(); };
  WeakMap.prototype.get = boom;
  WeakMap.prototype.set = boom;
  Map.prototype.get = boom;
  Map.prototype.set = boom;
  Map.prototype.delete = boom;
  String.prototype.toWellFormed = boom;
  String.prototype.charCodeAt = boom;
  String.prototype.slice = boom;
  String.fromCharCode = boom;
  Uint8Array.prototype.slice = boom;
  Object.getPrototypeOf(Uint8Array.prototype).slice = boom;
  Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'buffer', { get: boom });
  Object.defineProperty(ArrayBuffer.prototype, 'byteLength', { get: boom });
  Object.defineProperty(CustomEvent.prototype, 'detail', { get: boom });
  EventTarget.prototype.dispatchEvent = boom;
  EventTarget.prototype.addEventListener = boom;
  Object.defineProperty(Document.prototype, 'defaultView', { get: boom });
  globalThis.TypeError = function TypeError() { boom(); };
  globalThis.DOMException = function DOMException() { boom(); };
  globalThis.CustomEvent = function CustomEvent() { boom(); };
  Object.defineProperty = boom;
  Object.create = boom;
  Object.hasOwn = boom;
  Object.keys = boom;
  Reflect.apply = boom;
  Function.prototype.call = boom;
  Function.prototype.apply = boom;
`;

test('a page that replaces the intrinsics after the shim installed changes nothing it does', async () => {
  const r = pageRealm();
  // The page's realm shares Node's EventTarget, CustomEvent and the reflection the test uses:
  // kept here and put back after.
  const saved = {
    dispatchEvent: EventTarget.prototype.dispatchEvent,
    addEventListener: EventTarget.prototype.addEventListener,
    detail: Object.getOwnPropertyDescriptor(CustomEvent.prototype, 'detail'),
  };
  const realm = { Promise: r.run('Promise'), TypeError: r.run('TypeError') };
  const restore = () => {
    EventTarget.prototype.dispatchEvent = saved.dispatchEvent;
    EventTarget.prototype.addEventListener = saved.addEventListener;
    Object.defineProperty(CustomEvent.prototype, 'detail', saved.detail);
  };
  let get;
  let made;
  let passkey;
  let failed;
  try {
    // Sanity: the tampering really breaks these for the page itself.
    r.run('(code) => new Function(code)()')(TAMPER);
    assert.throws(() => r.run("JSON.stringify({})"), /tampered/);
    made = r.run("(() => { const c = new PasswordCredential({ id: 'ann\\uD800', password: 'pw' }); return [c.id, c.password, c.type]; })()");
    get = r.run("navigator.credentials.get({ password: true, mediation: 'optional' })");
    passkey = r.run("navigator.credentials.get({ publicKey: { challenge: new Uint8Array([1, 2, 3]) } })");
    failed = r.run("navigator.credentials.get({ publicKey: {} })");
    // The relay answers (with the test's own dispatch: the page broke the realm's).
    restore();
    r.reply(1, { result: { type: 'password', id: 'ann', password: 'pw' } });
  } finally {
    restore();
  }
  assert.deepEqual([...made], ['ann\uFFFD', 'pw', 'password']);
  assert.deepEqual(r.sent, [
    WIRE.call(1, 'credentials.get', { options: { mediation: 'optional', password: true } }),
    WIRE.call(2, 'credentials.get', {
      options: { publicKey: { allowCredentials: [], challenge: 'AQID', hints: [], userVerification: 'preferred' } },
    }),
  ]);
  const credential = await get;
  assert.deepEqual([...r.run('(c) => [c.id, c.password, c instanceof PasswordCredential]')(credential)], ['ann', 'pw', true]);
  // The rejection is the realm's own TypeError (captured), not the page's replacement.
  const error = await Reflect.apply(realm.Promise.prototype.then, failed, [() => null, (e) => e]);
  assert.equal(error.name, 'TypeError');
  assert.match(error.message, /'challenge' property .* Required member is undefined/);
  assert.equal(Object.getPrototypeOf(failed), realm.Promise.prototype);
  assert.ok(error instanceof realm.TypeError);
  assert.equal(Object.getPrototypeOf(passkey), realm.Promise.prototype);
});

test('nothing of the shim is reachable from the page; its messages name no origin', () => {
  const r = pageRealm();
  assert.equal(r.run("Symbol.for('credwell.webauthn') in globalThis"), false);
  const added = [...r.run('Object.getOwnPropertyNames(globalThis)')].filter((n) => /Credential|Authenticator|credwell|WIRE|install|realm/i.test(n));
  assert.deepEqual(added.sort(), [
    'AuthenticatorAssertionResponse',
    'AuthenticatorAttestationResponse',
    'AuthenticatorResponse',
    'Credential',
    'CredentialsContainer',
    'FederatedCredential',
    'PasswordCredential',
    'PublicKeyCredential',
  ]);
  assert.deepEqual([...r.run('Object.getOwnPropertySymbols(CredentialsContainer.prototype).map(String)')], ['Symbol(credwell.shim)']);
  // A page cannot learn or replace the intrinsics through the methods it can reach.
  assert.equal(r.run('navigator.credentials.get.length'), 0);
  r.run("navigator.credentials.store(new PasswordCredential({ id: 'a', password: 'b' }))");
  r.run('navigator.credentials.preventSilentAccess()');
  for (const message of r.sent) assert.deepEqual(Object.keys(message).sort(), ['method', 'params', 't', 'rid'].sort());
  assert.deepEqual(r.sent.map((m) => Object.keys(m.params)), [['credential'], []]);
  assert.equal(JSON.stringify(r.sent).includes('origin'), false);
});

test('outside a secure context the page is left as the browser made it', () => {
  const r = pageRealm({ secure: false });
  assert.equal(r.run('typeof PasswordCredential'), 'undefined');
  assert.equal(r.run('Object.getOwnPropertySymbols(CredentialsContainer.prototype).length'), 0);
});
