// More scenarios both browsers run (see scenarios/core.mjs for the surface they use): the shim's
// WebIDL surface, argument errors, forms, hostile globals, non-secure contexts; the unlock page,
// the keyboard, "Never for this site", cancellation by tab close and navigation; sandboxed and
// srcdoc frames; the manager page, also over a vault whose list is bigger than one native message.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CREDWELL_BIN, PASSPHRASE, getCredential, settle } from '../lib/harness.mjs';
import { WIRE } from '../../extension/src/wire.js';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export const scenarios = [
  {
    name: 'WebIDL: interfaces, prototype chain, brand checks, read-only attributes, [SameObject]',
    async run(h) {
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
      // Credential.prototype.id defers to the browser's own getter for objects that are not
      // the shim's, so the message is the browser's.
      if (h.browser === 'firefox') assert.match(r.idWrongThis, /^TypeError: 'get id' called on an object that does not implement interface Credential/);
      else assert.equal(r.idWrongThis, 'TypeError: Illegal invocation');
      assert.equal(r.fakeViaCreate, 'TypeError: Illegal invocation');
      assert.equal(r.methodWrongThis, "TypeError: Failed to execute 'get' on 'CredentialsContainer': Illegal invocation");
      assert.equal(r.storeFake, 'TypeError');
      assert.deepEqual(r.lengths, [1, 1, 0, 1, 0]);
      assert.deepEqual(r.protoDescriptor, [false, false, false]);
      assert.deepEqual(r.globalDescriptor, [true, false, true]);
      assert.deepEqual(r.subclass, [true, true, 'sub']);
    },
  },
  {
    name: 'argument errors come back with the exact exception names, without asking to unlock',
    async run(h) {
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
      // A publicKey that is not a dictionary is a TypeError from the WebIDL conversion.
      const pk = await run(() => navigator.credentials.create({ publicKey: 'bogus' }));
      assert.equal(pk.name, 'TypeError');
      // (Firefox words it its own way: "'publicKey' member of CredentialCreationOptions ...".)
      assert.match(pk.message, h.browser === 'firefox' ? /publicKey/ : /Failed to read the 'publicKey' property/);
      // Mixing publicKey with password is the engine's NotSupportedError.
      assert.equal((await run(() => navigator.credentials.get({ password: true, publicKey: { challenge: new Uint8Array(8) } }))).name, 'NotSupportedError');
      // create() of a password credential needs no vault.
      const created = await run(async () => {
        const c = await navigator.credentials.create({ password: { id: 'alice', password: 'pencil' } });
        return [c instanceof PasswordCredential, c.id, c.password, c.name, c.iconURL, c.type];
      });
      assert.deepEqual(created.value, [true, 'alice', 'pencil', '', '', 'password']);
      assert.equal(await h.uiOpen('unlock'), false);
    },
  },
  {
    name: 'PasswordCredential(form) and create({password: form}) follow the autocomplete rules',
    async run(h) {
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
    },
  },
  {
    name: 'the shim keeps working after the page overwrites the globals it uses',
    async run(h) {
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
    },
  },
  {
    name: 'non-secure contexts get nothing: an http page on a non-local name, and a data: iframe',
    async run(h) {
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
      const caller = { origin: 'https://bank.example', secureContext: true, fullyActive: true, client: 1 };
      const forged = await h.page.evaluate(
        ({ events, message }) =>
          new Promise((ok) => {
            document.addEventListener(events.response, (e) => ok(JSON.parse(e.detail)), { once: true });
            document.dispatchEvent(new CustomEvent(events.request, { detail: JSON.stringify(message) }));
          }),
        { events: WIRE.events, message: WIRE.call(1, 'credentials.preventSilentAccess', { caller }) },
      );
      assert.equal(forged.error?.name, 'SecurityError');

      await h.goto('/blank.html');
      const frame = await h.addFrame({ src: 'data:text/html,<p>data</p>' });
      const data = await frame.evaluate(() => ({
        secure: isSecureContext,
        credentials: navigator.credentials === undefined,
        password: typeof PasswordCredential,
      }));
      if (h.browser === 'firefox') {
        // Firefox follows the spec here: a data: URL is potentially trustworthy, so a data:
        // iframe in a secure page is a secure context and has the API (the shim included); its
        // origin is opaque, so a call is refused (SecurityError).
        assert.deepEqual(data, { secure: true, credentials: false, password: 'function' });
        assert.equal((await settle(frame, () => navigator.credentials.get({ password: true }))).name, 'SecurityError');
      } else {
        assert.deepEqual(data, { secure: false, credentials: true, password: 'undefined' });
      }
    },
  },
  {
    name: 'a wrong passphrase is shown on the unlock page; the right one then completes the call',
    async run(h) {
      await h.goto('/blank.html');
      // The ephemeral vault's passphrase is set by the first unlock; lock it again from the popup.
      assert.equal(await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true }), 'undefined');
      const popup = await h.openExtensionPage('src/ui/popup.html');
      await h.uiClick(popup, '#lock');
      await h.uiWait(popup, '#lock');
      for (let i = 0; !/locked/.test(await popup.evaluate(() => document.getElementById('status').textContent)); i++) {
        if (i > 200) throw new Error('the popup does not show "locked"');
        await sleep(50);
      }
      await h.closeTab(popup);

      const got = getCredential(h.page, { password: true, mediation: 'silent' });
      const unlock = await h.waitForUi('unlock');
      await h.uiFill(unlock, '#passphrase', 'wrong passphrase');
      await h.uiClick(unlock, '#unlock');
      for (let i = 0; !/Wrong passphrase/.test(await unlock.evaluate(() => document.getElementById('error').textContent)); i++) {
        if (i > 200) throw new Error('no "Wrong passphrase" on the unlock page');
        await sleep(50);
      }
      assert.equal(await unlock.evaluate(() => document.getElementById('error').getAttribute('data-name')), 'WrongPassphrase');
      await h.uiFill(unlock, '#passphrase', 'correct horse battery staple');
      await h.clickAndClose(unlock, '#unlock');
      assert.equal((await got)?.id, 'alice');
    },
  },
  {
    name: 'the chooser works from the keyboard and never contains a password',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil', name: 'Alice' }, { unlock: true });
      await h.storePassword({ id: 'bob', password: 'hunter2', name: 'Bob' });
      const got = getCredential(h.page, { password: true });
      const chooser = await h.waitForUi('chooser');
      await h.uiWait(chooser, 'button.account');
      // No account has the focus by default (a key press meant for the page must not pick one):
      // the window's <main> has it, and Tab reaches the accounts.
      assert.equal(await chooser.evaluate(() => document.activeElement?.tagName), 'MAIN', 'the chooser itself has the focus, no account');
      assert.ok(!(await chooser.evaluate(() => document.documentElement.outerHTML)).includes('hunter2'), 'no password in the chooser');
      await h.uiPress(chooser, 'button.account[data-id="bob"]', 'Enter');
      await h.waitUiClosed(chooser);
      const c = await got;
      assert.equal(c.id, 'bob');
      assert.equal(c.password, 'hunter2');
      // Escape cancels.
      const declined = getCredential(h.page, { password: true, mediation: 'required' });
      const chooser2 = await h.waitForUi('chooser');
      await h.uiPress(chooser2, 'button.account', 'Escape');
      await h.waitUiClosed(chooser2);
      assert.equal(await declined, null);
    },
  },
  {
    name: "'Never for this site' stops the prompts for that origin",
    async run(h) {
      await h.goto('/blank.html');
      assert.equal(await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true, answer: 'never' }), 'undefined');
      assert.equal(await h.storePassword({ id: 'bob', password: 'x' }, { answer: null }), 'undefined');
      assert.equal(await h.uiOpen('prompt'), false);
      assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null);
    },
  },
  {
    name: 'closing the unlock window declines: get resolves null, store resolves undefined',
    async run(h) {
      await h.goto('/blank.html');
      const got = getCredential(h.page, { password: true });
      const unlock = await h.waitForUi('unlock');
      await h.closeUiWindow(unlock);
      assert.equal(await got, null);
      // The host asks again for the next request; after the user closed the window, the extension
      // opens it again only for a call made with a user gesture (scenarios/prompts.mjs).
      const stored = h.withGesture(h.page, () => navigator.credentials.store(new PasswordCredential({ id: 'a', password: 'b' })).then(String));
      await h.unlock();
      await h.answerPrompt('save');
      assert.equal(await stored, 'undefined');
    },
  },
  {
    name: 'closing the tab or navigating away cancels the request and closes its chooser',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      await h.storePassword({ id: 'bob', password: 'x' });
      // Navigation.
      await h.page.evaluate(() => {
        navigator.credentials.get({ password: true });
      });
      const chooser = await h.waitForUi('chooser');
      await h.goto('/blank.html?next');
      await h.waitUiClosed(chooser);
      // Tab close.
      const tab = await h.newTab(`${h.origin}/blank.html`);
      await tab.evaluate(() => {
        navigator.credentials.get({ password: true });
      });
      const chooser2 = await h.waitForUi('chooser');
      await h.closeTab(tab);
      await h.waitUiClosed(chooser2);
      // The document's requests are gone: it can ask again at once.
      const got = getCredential(h.page, { password: true });
      const chooser3 = await h.waitForUi('chooser');
      await h.clickAndClose(chooser3, 'button.account[data-id="alice"]');
      assert.equal((await got).id, 'alice');
    },
  },
  {
    name: 'a srcdoc iframe inherits the origin and gets the credential',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const srcdoc = await h.addFrame({ srcdoc: '<p>srcdoc</p>' });
      assert.equal((await getCredential(srcdoc, { password: true, mediation: 'silent' }))?.id, 'alice');
    },
  },
  {
    name: 'an opaque origin (sandboxed iframe without allow-same-origin, CSP sandbox) gets SecurityError',
    async run(h) {
      await h.goto('/blank.html');
      const sandboxed = await h.addFrame({ src: `${h.origin}/blank.html`, sandbox: 'allow-scripts' });
      const info = await sandboxed.evaluate(() => [self.origin, isSecureContext, typeof PasswordCredential]);
      assert.deepEqual(info, ['null', true, 'function']);
      for (const call of [
        () => navigator.credentials.get({ password: true }),
        () => navigator.credentials.store(new PasswordCredential({ id: 'a', password: 'b' })),
        () => navigator.credentials.get({ federated: { providers: ['https://idp.example'] } }),
      ]) {
        const r = await settle(sandboxed, call);
        assert.equal(r.name, 'SecurityError', call.toString());
        assert.equal(r.domException, true);
      }
      // A CSP-sandboxed top-level document too.
      await h.goto('/blank.html?csp-sandbox');
      assert.equal(await h.page.evaluate(() => self.origin), 'null');
      assert.equal((await settle(h.page, () => navigator.credentials.get({ password: true }))).name, 'SecurityError');
      // With allow-same-origin the frame keeps its origin: no SecurityError.
      await h.goto('/blank.html');
      const allowed = await h.addFrame({ src: `${h.origin}/blank.html`, sandbox: 'allow-scripts allow-same-origin' });
      const got = getCredential(allowed, { password: true, mediation: 'silent' });
      await h.unlock();
      assert.equal(await got, null);
    },
  },
  {
    name: 'an ancestor\'s origin is the one the browser reports for it: a cross-origin frame\'s about:blank is that frame\'s origin; a CSP-sandboxed parent is opaque',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      // A cross-origin frame navigates itself to about:blank: per HTML that document has its
      // initiator's origin (the cross one), not its parent's. The top's own page framed under it
      // is therefore not same-origin with its ancestors (it used to be taken as the top's).
      const cross = await h.addFrame({ src: `${h.crossOrigin}/blank.html` });
      await cross.evaluate(() => {
        location.href = 'about:blank';
      });
      for (let i = 0; ; i++) {
        const state = await cross.evaluate(() => [location.href, document.readyState, self.origin]).catch(() => null);
        if (state && state[0] === 'about:blank' && state[1] === 'complete') {
          assert.equal(state[2], h.crossOrigin, 'the about:blank has its initiator\'s origin');
          break;
        }
        if (i > 200) throw new Error(`the frame did not reach about:blank: ${JSON.stringify(state)}`);
        await sleep(50);
      }
      const framed = await h.addFrame({ parent: cross, src: `${h.origin}/blank.html` });
      assert.equal((await settle(framed, () => navigator.credentials.get({ password: true, mediation: 'silent' }))).name, 'NotAllowedError');
      // The same page under an about:blank the top made itself (its origin) is same-origin.
      const blank = await h.addFrame({ srcdoc: '<!doctype html><body></body>' });
      const inner = await h.addFrame({ parent: blank, src: `${h.origin}/blank.html` });
      assert.equal((await getCredential(inner, { password: true, mediation: 'silent' }))?.id, 'alice');
      // Under a CSP-sandboxed parent (opaque whatever its URL; HTML sandboxes its frames too).
      await h.goto('/blank.html?csp-sandbox');
      const under = await h.addFrame({ src: `${h.origin}/blank.html` });
      assert.equal((await settle(under, () => navigator.credentials.get({ password: true }))).name, 'SecurityError');
    },
  },
  {
    name: 'the manager page lists, searches and deletes saved sign-ins, never showing passwords',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil', name: 'Alice' }, { unlock: true });
      await h.storePassword({ id: 'bob', password: 'hunter2', name: 'Bob' });
      const manager = await h.openExtensionPage('src/ui/manager.html');
      const rows = () => manager.evaluate(() => document.querySelectorAll('#list tbody tr').length);
      const status = async (text) => {
        for (let i = 0; !(await manager.evaluate(() => document.getElementById('status').textContent)).includes(text); i++) {
          if (i > 200) throw new Error(`the manager's status is not "${text}"`);
          await sleep(50);
        }
      };
      for (let i = 0; (await rows()) < 2; i++) {
        if (i > 200) throw new Error('the manager lists fewer than 2 rows');
        await sleep(50);
      }
      // The entries the page reads (credwell-admin's `entry`) carry their times as RFC 3339
      // strings in UTC with milliseconds.
      const times = await manager.evaluate(async () => {
        const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'list', query: '' });
        return reply.result.items.map((item) => [item.created, item.updated]);
      });
      assert.equal(times.length, 2);
      for (const time of times.flat()) {
        assert.equal(typeof time, 'string', `${time}`);
        assert.equal(new Date(Date.parse(time)).toISOString(), time, 'RFC 3339, UTC, milliseconds');
        assert.ok(Math.abs(Date.now() - Date.parse(time)) < 10 * 60_000, `${time}: stored just now`);
      }
      const text = await h.uiText(manager, 'main');
      assert.match(text, /Alice \(alice\)/);
      assert.match(text, /Bob \(bob\)/);
      assert.ok(text.includes(h.origin), 'rows name their site');
      assert.doesNotMatch(text, /pencil|hunter2/, 'no password on the page');

      await h.uiFill(manager, '#search', 'BOB');
      await status('1 saved sign-in.');
      assert.equal(await rows(), 1);
      // Accept the delete confirmation.
      await manager.evaluate(() => {
        window.confirm = () => true;
      });
      await h.uiClick(manager, '#list tbody tr button.delete');
      await status(`Deleted Bob (bob) on ${h.origin}. Nothing matches.`);
      await h.uiFill(manager, '#search', '');
      await status('1 saved sign-in.');
      await h.closeTab(manager);

      const got = getCredential(h.page, { password: true, mediation: 'required' });
      const chooser = await h.waitForUi('chooser');
      assert.equal((await h.uiTexts(chooser, 'button.account')).length, 1);
      await h.clickAndClose(chooser, 'button.account');
      assert.equal((await got)?.id, 'alice');
    },
  },
  {
    name: "the settings page switches the browser's own password saving off (one save prompt, not two) and gives it back",
    // Firefox's test profile turns its password saving off (browsers/firefox.mjs); a user's is on.
    options: { prefs: { 'signon.rememberSignons': true } },
    async run(h) {
      const setting = () =>
        h.extensionEval(async () => {
          const { value, levelOfControl } = await chrome.privacy.services.passwordSavingEnabled.get({});
          return { value, levelOfControl };
        });
      const text = (page) => page.evaluate(() => document.getElementById('browser-saving').textContent);
      const waitText = async (page, re) => {
        for (let i = 0; !re.test(await text(page)); i++) {
          if (i > 200) throw new Error(`the settings page says "${await text(page)}", not ${re}`);
          await sleep(50);
        }
      };
      const before = await setting();
      assert.equal(before.levelOfControl, 'controllable_by_this_extension', JSON.stringify(before));
      assert.equal(before.value, true, 'a profile saves passwords until told otherwise');
      const options = await h.openExtensionPage('src/ui/options.html');
      await waitText(options, /may be asked twice/);
      // A scripted click changes nothing; a real key press does.
      await options.evaluate(() => document.getElementById('browser-saving-switch').click());
      await sleep(300);
      assert.deepEqual(await setting(), before);
      await h.uiPress(options, '#browser-saving-switch', 'Enter');
      await waitText(options, /off while credwell is installed/);
      assert.deepEqual(await setting(), { value: false, levelOfControl: 'controlled_by_this_extension' });
      // The user's own choice comes back.
      await h.uiPress(options, '#browser-saving-switch', 'Enter');
      await waitText(options, /may be asked twice/);
      assert.deepEqual(await setting(), { value: true, levelOfControl: 'controllable_by_this_extension' });
      assert.match(await options.evaluate(() => document.body.textContent), /credwell import chrome-csv FILE/);
      await h.closeTab(options);
    },
  },
];

// A vault seeded with `credwell import` (1,200 logins of 700-byte usernames, and six of 32,768
// quote characters, as store() could save before the bounds): its list is about 1.8 MB of JSON
// and a native message may hold 1 MB.
const SEEDED = 1200;
const HUGE = 6;

async function seededVault(tmp) {
  const vault = join(tmp, 'vault.sqlite');
  const env = {
    ...process.env,
    CREDWELL_VAULT: vault,
    CREDWELL_PASSPHRASE_FILE: join(tmp, 'passphrase'),
    CREDWELL_DANGER_INSECURE_KDF: '1',
  };
  await writeFile(env.CREDWELL_PASSPHRASE_FILE, PASSPHRASE);
  const rows = ['url,username,password,name'];
  for (let i = 0; i < SEEDED; i++) rows.push(`https://seeded.example/,user-${i}-${'x'.repeat(700)},pw-${i},seeded`);
  // Each quote is written twice in CSV and escaped in JSON: 64 KiB of the list each.
  for (let i = 0; i < HUGE; i++) rows.push(`https://huge.example/,"huge-${i}-${'""'.repeat(32768)}",pw,huge`);
  await writeFile(join(tmp, 'logins.csv'), `${rows.join('\n')}\n`);
  const cli = promisify(execFile);
  for (const args of [['vault', 'init', '--danger-insecure-test-kdf'], ['import', 'chrome-csv', join(tmp, 'logins.csv')]]) {
    await cli(CREDWELL_BIN, args, { env, maxBuffer: 1 << 24 }).catch((e) => {
      throw new Error(`credwell ${args.join(' ')} failed: ${e.stderr || e.message}`);
    });
  }
  return { env: { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: vault, CREDWELL_DANGER_INSECURE_KDF: '1' } };
}

scenarios.push({
  name: 'after store()s of the largest strings are refused, the manager lists a vault bigger than one native message, page by page',
  options: seededVault,
  async run(h) {
    await h.goto('/blank.html');
    // At the bounds (1 KiB id and name, 4 KiB password): saved.
    const bounded = { id: `a${'i'.repeat(1023)}`, password: 'P'.repeat(4096), name: 'n'.repeat(1024) };
    assert.equal(await h.storePassword(bounded, { unlock: true }), 'undefined');
    // The attack: six store()s of 64 KiB strings (the engine's largest). Each is refused before
    // any prompt, its error naming the field and the bound.
    const big = 'q'.repeat(65535);
    for (const [field, data] of [
      ['id', { id: `${big}0`, password: 'p' }],
      ['name', { id: 'mallory', password: 'p', name: big }],
      ['password', { id: 'mallory', password: big }],
      ['id', { id: `${big}1`, password: big, name: big }],
      ['name', { id: 'mallory2', password: 'p', name: `${big}2` }],
      ['password', { id: 'mallory3', password: `${big}3` }],
    ]) {
      const answer = await Promise.race([
        settle(h.page, (d) => navigator.credentials.store(new PasswordCredential(d)), data),
        sleep(15_000).then(() => ({ ok: 'still pending after 15 s (a prompt?)' })),
      ]);
      assert.equal(answer.ok, false, `store() of a 64 KiB ${field}: ${JSON.stringify(answer)}`);
      assert.equal(answer.name, 'QuotaExceededError', `${field}: ${answer.message}`);
      assert.match(answer.message, new RegExp(`credential's ${field} is \\d+ bytes long; credwell stores at most \\d+`));
    }

    const manager = await h.openExtensionPage('src/ui/manager.html');
    const total = SEEDED + HUGE + 1;
    for (let i = 0; ; i++) {
      const text = await manager.evaluate(() => document.getElementById('status').textContent);
      if (text === `${total} saved sign-ins.`) break;
      if (i > 1200 || /Cannot/.test(text)) throw new Error(`the manager's status is "${text}", not ${total} saved`);
      await sleep(50);
    }
    const rows = await manager.evaluate(() =>
      [...document.querySelectorAll('#list tbody tr')].map((tr) => [tr.dataset.record, tr.children[1].textContent]),
    );
    assert.equal(rows.length, total);
    assert.equal(new Set(rows.map(([record]) => record)).size, total, 'each record listed once');
    const huge = rows.filter(([, account]) => account.includes('huge-'));
    assert.equal(huge.length, HUGE);
    for (const [, account] of huge) assert.ok(account.endsWith('…') && account.length < 4096, 'cut and marked');
    assert.ok(rows.some(([, account]) => account === `${bounded.name} (${bounded.id})`), 'the bounded one whole');
    assert.ok(!rows.some(([, account]) => account.includes('mallory')), 'nothing refused was saved');
    const text = await h.uiText(manager, 'main');
    assert.doesNotMatch(text, /PPPP|pw-1\b/, 'no password on the page');

    // Deleting a huge one still works, and the list is read again in pages.
    await manager.evaluate(() => {
      window.confirm = () => true;
    });
    await h.uiFill(manager, '#search', 'huge-3');
    for (let i = 0; (await manager.evaluate(() => document.getElementById('status').textContent)) !== '1 saved sign-in.'; i++) {
      if (i > 400) throw new Error('the search did not narrow the list to one');
      await sleep(50);
    }
    await h.uiClick(manager, '#list tbody tr button.delete');
    await h.uiFill(manager, '#search', '');
    for (let i = 0; !(await manager.evaluate(() => document.getElementById('status').textContent)).endsWith(`${total - 1} saved sign-ins.`); i++) {
      if (i > 1200) throw new Error(`the manager does not list ${total - 1} after a delete`);
      await sleep(50);
    }
    await h.closeTab(manager);
  },
});
