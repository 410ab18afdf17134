// The shim's WebIDL surface, the tutorial's page, non-secure contexts, and calls that the host
// answers without the vault.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, settle, addFrame } from '../lib/harness.mjs';

const T = { timeout: 120_000 };

test("the tutorial's page: store() of a plain object rejects with a TypeError naming PasswordCredential", T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/tutorial.html');
    const logged = new Promise((ok) =>
      h.page.on('console', async (msg) => {
        const arg = msg.args()[0];
        if (arg) ok(await arg.evaluate((e) => ({ name: e?.name, message: e?.message, typeError: e instanceof TypeError })));
      }),
    );
    await h.page.fill('#username', 'alice');
    await h.page.fill('#password', 'pencil');
    await h.page.click('text=Save credentials');
    const error = await logged;
    assert.equal(error.name, 'TypeError');
    assert.equal(error.typeError, true);
    assert.match(error.message, /parameter 1 is not of type 'Credential'/);
    assert.match(error.message, /PasswordCredential/);
    assert.equal(h.uiOpen('unlock') || h.uiOpen('prompt'), false, 'no UI for a call the page got wrong');
  }),
);

test('WebIDL: interfaces, prototype chain, brand checks, read-only attributes, [SameObject]', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const r = await h.page.evaluate(async () => {
      const out = {};
      const grab = (f) => {
        try {
          f();
          return 'no exception';
        } catch (e) {
          return `${e.name}: ${e.message}`;
        }
      };
      const native = (f) => /\[native code\]/.test(Function.prototype.toString.call(f));
      out.shimmed = !native(CredentialsContainer.prototype.get) && !native(PasswordCredential);
      out.sameObject = navigator.credentials === navigator.credentials && navigator.credentials instanceof CredentialsContainer;
      const p = new PasswordCredential({ id: 'alice', password: 'pencil', name: 'Alice', iconURL: 'https://example.com/a.png' });
      out.p = [p.id, p.type, p.password, p.name, p.iconURL];
      out.instance = [p instanceof PasswordCredential, p instanceof Credential, Object.getPrototypeOf(PasswordCredential) === Credential];
      out.tag = Object.prototype.toString.call(p);
      out.ownKeys = Object.keys(p).length;
      out.json = JSON.stringify(p);
      out.newCredential = grab(() => new Credential());
      out.callWithoutNew = grab(() => PasswordCredential({ id: 'a', password: 'b' }));
      out.noArgument = grab(() => new PasswordCredential());
      out.emptyId = grab(() => new PasswordCredential({ id: '', password: 'b' }));
      out.emptyPassword = grab(() => new PasswordCredential({ id: 'a', password: '' }));
      out.missingPassword = grab(() => new PasswordCredential({ id: 'a' }));
      out.badIcon = grab(() => new PasswordCredential({ id: 'a', password: 'b', iconURL: 'not a url' }));
      out.badIconIsDOMException = (() => { try { new PasswordCredential({ id: 'a', password: 'b', iconURL: 'nope' }); } catch (e) { return e instanceof DOMException; } })();
      out.emptyProvider = grab(() => new FederatedCredential({ id: 'a', provider: '' }));
      out.badProvider = grab(() => new FederatedCredential({ id: 'a', provider: 'nope' }));
      const f = new FederatedCredential({ id: 'bob', provider: 'https://idp.example/', protocol: 'openidconnect' });
      out.f = [f.id, f.type, f.provider, f.protocol, f.name, f.iconURL, f instanceof FederatedCredential, f instanceof Credential];
      out.fNoProtocol = new FederatedCredential({ id: 'bob', provider: 'https://idp.example' }).protocol;
      // Read-only: assignment is ignored (sloppy) or throws (strict); the getters live on the prototypes.
      p.id = 'mallory';
      p.password = 'x';
      out.afterAssign = [p.id, p.password];
      out.strictAssign = grab(() => { 'use strict'; p.id = 'mallory'; });
      out.getterPlaces = [
        typeof Object.getOwnPropertyDescriptor(Credential.prototype, 'id').get,
        typeof Object.getOwnPropertyDescriptor(Credential.prototype, 'type').get,
        typeof Object.getOwnPropertyDescriptor(PasswordCredential.prototype, 'password').get,
        Object.getOwnPropertyDescriptor(PasswordCredential.prototype, 'password').set,
      ];
      // Brand checks.
      out.getterWrongThis = grab(() => Object.getOwnPropertyDescriptor(PasswordCredential.prototype, 'password').get.call({}));
      out.passwordOfFederated = grab(() => Object.getOwnPropertyDescriptor(PasswordCredential.prototype, 'password').get.call(f));
      out.idWrongThis = grab(() => Object.getOwnPropertyDescriptor(Credential.prototype, 'id').get.call({}));
      out.fakeViaCreate = grab(() => Object.create(PasswordCredential.prototype).password);
      out.methodWrongThis = await CredentialsContainer.prototype.get.call({}, { password: true }).then(
        () => 'resolved',
        (e) => `${e.name}: ${e.message}`,
      );
      out.storeFake = await navigator.credentials.store(Object.create(PasswordCredential.prototype)).then(
        () => 'resolved',
        (e) => e.name,
      );
      out.lengths = [PasswordCredential.length, FederatedCredential.length, navigator.credentials.get.length, navigator.credentials.store.length, navigator.credentials.create.length];
      out.protoDescriptor = (() => { const d = Object.getOwnPropertyDescriptor(PasswordCredential, 'prototype'); return [d.writable, d.enumerable, d.configurable]; })();
      out.globalDescriptor = (() => { const d = Object.getOwnPropertyDescriptor(window, 'PasswordCredential'); return [d.writable, d.enumerable, d.configurable]; })();
      class Sub extends PasswordCredential {}
      const s = new Sub({ id: 'sub', password: 'x' });
      out.subclass = [s instanceof Sub, s instanceof PasswordCredential, s.id];
      return out;
    });
    assert.equal(r.shimmed, true);
    assert.equal(r.sameObject, true);
    assert.deepEqual(r.p, ['alice', 'password', 'pencil', 'Alice', 'https://example.com/a.png']);
    assert.deepEqual(r.instance, [true, true, true]);
    assert.equal(r.tag, '[object PasswordCredential]');
    assert.equal(r.ownKeys, 0);
    assert.equal(r.json, '{}');
    assert.match(r.newCredential, /^TypeError: .*Illegal constructor/);
    assert.match(r.callWithoutNew, /^TypeError: .*'new' operator/);
    assert.match(r.noArgument, /^TypeError: .*1 argument required/);
    assert.match(r.emptyId, /^TypeError: .*'id' must not be empty/);
    assert.match(r.emptyPassword, /^TypeError: .*'password' must not be empty/);
    assert.match(r.missingPassword, /^TypeError: .*'password'.*Required member is undefined/);
    assert.match(r.badIcon, /^SyntaxError: .*not a valid URL/);
    assert.equal(r.badIconIsDOMException, true);
    assert.match(r.emptyProvider, /^TypeError: /);
    assert.match(r.badProvider, /^SyntaxError: /);
    assert.deepEqual(r.f, ['bob', 'federated', 'https://idp.example', 'openidconnect', '', '', true, true]);
    assert.equal(r.fNoProtocol, null);
    assert.deepEqual(r.afterAssign, ['alice', 'pencil']);
    assert.match(r.strictAssign, /^TypeError: /);
    assert.deepEqual(r.getterPlaces, ['function', 'function', 'function', undefined]);
    assert.equal(r.getterWrongThis, 'TypeError: Illegal invocation');
    assert.equal(r.passwordOfFederated, 'TypeError: Illegal invocation');
    assert.equal(r.idWrongThis, 'TypeError: Illegal invocation');
    assert.equal(r.fakeViaCreate, 'TypeError: Illegal invocation');
    assert.equal(r.methodWrongThis, "TypeError: Failed to execute 'get' on 'CredentialsContainer': Illegal invocation");
    assert.equal(r.storeFake, 'TypeError');
    assert.deepEqual(r.lengths, [1, 1, 0, 1, 0]);
    assert.deepEqual(r.protoDescriptor, [false, false, false]);
    assert.deepEqual(r.globalDescriptor, [true, false, true]);
    assert.deepEqual(r.subclass, [true, true, 'sub']);
  }),
);

test('argument errors come back with the exact exception names, without asking to unlock', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const run = (f, a) => settle(h.page, f, a);
    const noTypes = await run(() => navigator.credentials.get());
    assert.equal(noTypes.name, 'NotSupportedError');
    assert.equal(noTypes.domException, true);
    assert.equal((await run(() => navigator.credentials.get({}))).name, 'NotSupportedError');
    assert.equal((await run(() => navigator.credentials.get({ password: false }))).name, 'NotSupportedError');
    const conditional = await run(() => navigator.credentials.get({ password: true, mediation: 'conditional' }));
    assert.equal(conditional.name, 'TypeError');
    assert.equal(conditional.typeError, true);
    assert.equal((await run(() => navigator.credentials.get({ password: true, mediation: 'sometimes' }))).name, 'TypeError');
    assert.equal((await run(() => navigator.credentials.get({ password: true, signal: 5 }))).name, 'TypeError');
    assert.equal((await run(() => navigator.credentials.store())).name, 'TypeError');
    assert.equal((await run(() => navigator.credentials.create())).name, 'NotSupportedError');
    assert.equal((await run(() => navigator.credentials.create({ password: { id: 'a', password: 'b' }, federated: { id: 'a', provider: 'https://idp.example' } }))).name, 'NotSupportedError');
    assert.equal((await run(() => navigator.credentials.create({ password: 'bogus' }))).name, 'TypeError');
    assert.equal((await run(() => navigator.credentials.create({ password: { id: '', password: 'b' } }))).name, 'TypeError');
    assert.equal((await run(() => navigator.credentials.create({ password: { id: 'a', password: 'b', iconURL: 'nope' } }))).name, 'SyntaxError');
    // publicKey goes to the browser's own method untouched (its own message format).
    const pk = await run(() => navigator.credentials.create({ publicKey: 'bogus' }));
    assert.equal(pk.name, 'TypeError');
    assert.match(pk.message, /Failed to read the 'publicKey' property/);
    // Mixing publicKey with password is the engine's NotSupportedError.
    assert.equal((await run(() => navigator.credentials.get({ password: true, publicKey: { challenge: new Uint8Array(8) } }))).name, 'NotSupportedError');
    // create() of a password credential needs no vault.
    const created = await run(async () => {
      const c = await navigator.credentials.create({ password: { id: 'alice', password: 'pencil' } });
      return [c instanceof PasswordCredential, c.id, c.password, c.name, c.iconURL, c.type];
    });
    assert.deepEqual(created.value, [true, 'alice', 'pencil', '', '', 'password']);
    assert.equal(h.uiOpen('unlock'), false);
  }),
);

test('PasswordCredential(form) and create({password: form}) follow the autocomplete rules', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/form.html');
    const r = await h.page.evaluate(async () => {
      const describe = (c) => [c.id, c.password, c.name, c.iconURL];
      const form = document.getElementById('signin');
      const local = describe(new PasswordCredential(form));
      const created = describe(await navigator.credentials.create({ password: form }));
      let noUser;
      try {
        new PasswordCredential(document.getElementById('nouser'));
      } catch (e) {
        noUser = e.name;
      }
      const createdNoUser = await navigator.credentials.create({ password: document.getElementById('nouser') }).then(() => 'resolved', (e) => e.name);
      return { local, created, noUser, createdNoUser };
    });
    const expected = ['alice', 'fresh-pencil', 'Alice A.', 'https://example.com/alice.png'];
    assert.deepEqual(r.local, expected);
    assert.deepEqual(r.created, expected);
    assert.equal(r.noUser, 'TypeError');
    assert.equal(r.createdNoUser, 'TypeError');
  }),
);

test('the shim keeps working after the page overwrites the globals it uses', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const r = await h.page.evaluate(async () => {
      const credentials = navigator.credentials;
      const SavedPromise = Promise;
      window.JSON = { stringify: () => '"hijacked"', parse: () => ({}) };
      window.Promise = function Hijacked() {};
      WeakMap.prototype.get = () => undefined;
      Map.prototype.get = () => undefined;
      window.CustomEvent = function () {};
      EventTarget.prototype.dispatchEvent = () => true;
      EventTarget.prototype.addEventListener = () => {};
      window.TypeError = function Fake() {};
      window.DOMException = function Fake() {};
      const c = await credentials.create({ password: { id: 'alice', password: 'pencil' } });
      const rejected = await credentials.get().then(() => 'resolved', (e) => e.name);
      const p = new PasswordCredential({ id: 'x', password: 'y' });
      return [c instanceof PasswordCredential, c.id, c.password, rejected, p.id, credentials.get() instanceof SavedPromise];
    });
    assert.deepEqual(r, [true, 'alice', 'pencil', 'NotSupportedError', 'x', true]);
  }),
);

test('non-secure contexts get nothing: an http page on a non-local name, and a data: iframe', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html', h.insecureOrigin);
    const insecure = await h.page.evaluate(() => ({
      secure: isSecureContext,
      credentials: 'credentials' in navigator,
      password: typeof PasswordCredential,
      federated: typeof FederatedCredential,
    }));
    assert.deepEqual(insecure, { secure: false, credentials: false, password: 'undefined', federated: 'undefined' });
    // A page that talks to the relay itself from a non-secure context is refused by the
    // background, which decides secure-context-ness from the sender (SecurityError from the host).
    const forged = await h.page.evaluate(
      () =>
        new Promise((ok) => {
          document.addEventListener('credwell-response', (e) => ok(JSON.parse(e.detail)), { once: true });
          document.dispatchEvent(new CustomEvent('credwell-request', {
            detail: JSON.stringify({ t: 'call', rid: 1, method: 'credentials.preventSilentAccess', params: { caller: { origin: 'https://bank.example', secureContext: true, fullyActive: true, client: 1 } } }),
          }));
        }),
    );
    assert.equal(forged.error?.name, 'SecurityError');

    await h.goto('/blank.html');
    const frame = await addFrame(h.page, { src: 'data:text/html,<p>data</p>' });
    const data = await frame.evaluate(() => ({
      secure: isSecureContext,
      credentials: navigator.credentials === undefined,
      password: typeof PasswordCredential,
    }));
    assert.deepEqual(data, { secure: false, credentials: true, password: 'undefined' });
  }),
);
