// The scenarios both browsers run: one list, so a difference between Chromium and Firefox shows
// as a failing test. Run by tests/core.test.mjs (Chromium, lib/harness.mjs) and
// firefox/core.test.mjs (Firefox ESR, lib/firefox.mjs).
//
// A scenario only uses the driver-neutral surface both harnesses give `h`:
//   h.origin, h.crossOrigin, h.goto(path, origin), h.page.evaluate(fn, arg), h.addFrame(opts),
//   h.waitForUi(name), h.uiOpen(name), h.uiWait/uiText/uiTexts/uiFill/uiClick(ui, selector...),
//   h.clickAndClose(ui, selector), h.closeUiWindow(ui), h.uiClosed(ui), h.waitUiClosed(ui),
//   h.unlock(), h.answerPrompt(button), h.storePassword(data, opts), h.hostPids(), h.killHost(),
//   h.hostStatus(), h.extensionEval(fn, arg);
// and getCredential/settle from lib/harness.mjs (which only call frame.evaluate).
import assert from 'node:assert/strict';
import { getCredential, settle } from '../lib/harness.mjs';
import { WIRE } from '../../extension/src/wire.js';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const escape = (s) => s.replace(/[.:/]/g, '\\$&');

// Dispatches one raw relay message in `frame` and returns the reply (or null after timeoutMs).
const forge = (frame, message, timeoutMs = 5000) =>
  frame.evaluate(
    ({ message, timeoutMs, events }) =>
      new Promise((ok) => {
        const timer = setTimeout(() => ok(null), timeoutMs);
        document.addEventListener(events.response, function listener(e) {
          const reply = JSON.parse(e.detail);
          if (reply.rid !== message.rid) return;
          document.removeEventListener(events.response, listener);
          clearTimeout(timer);
          ok(reply);
        });
        document.dispatchEvent(new CustomEvent(events.request, { detail: JSON.stringify(message) }));
      }),
    { message, timeoutMs, events: WIRE.events },
  );

export const scenarios = [
  {
    name: "the tutorial's page: store() of a plain object rejects with a TypeError naming PasswordCredential",
    async run(h) {
      await h.goto('/tutorial.html');
      // The page logs the rejection with console.log; keep what it logs.
      await h.page.evaluate(() => {
        window.logged = [];
        const log = console.log;
        console.log = (...args) => {
          window.logged.push(args.map((e) => ({ name: e?.name, message: e?.message, typeError: e instanceof TypeError })));
          return log.apply(console, args);
        };
        document.getElementById('username').value = 'alice';
        document.getElementById('password').value = 'pencil';
        document.querySelector('button').click();
      });
      let error;
      for (let i = 0; i < 100 && !error; i++) {
        error = (await h.page.evaluate(() => window.logged))[0]?.[0];
        if (!error) await sleep(50);
      }
      assert.ok(error, 'the page logged the rejection');
      assert.equal(error.name, 'TypeError');
      assert.equal(error.typeError, true);
      assert.match(error.message, /parameter 1 is not of type 'Credential'/);
      assert.match(error.message, /PasswordCredential/);
      assert.equal((await h.uiOpen('unlock')) || (await h.uiOpen('prompt')), false, 'no UI for a call the page got wrong');
    },
  },
  {
    name: "the tutorial's page with a PasswordCredential: store → unlock → save → silent get",
    async run(h) {
      await h.goto('/tutorial.html');
      const stored = h.page.evaluate(() =>
        navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'pencil', name: 'Alice' })),
      );
      await h.unlock();
      const prompt = await h.waitForUi('prompt');
      const text = await h.uiText(prompt, 'main');
      assert.match(text, new RegExp(escape(h.origin)), 'the prompt names the origin');
      // The account's id and name are the site's words, in the box labelled "The site says".
      const says = await h.uiText(prompt, '.site-says');
      assert.match(says, /the site says/i);
      assert.match(says, /Account\s+“?alice”?\s+Name\s+“?Alice”?/);
      assert.doesNotMatch(text, /pencil/, 'the prompt never shows the password');
      await h.clickAndClose(prompt, '#save');
      assert.equal(await stored, undefined);
      const got = await getCredential(h.page, { password: true, mediation: 'silent' });
      assert.deepEqual(got, {
        type: 'password',
        id: 'alice',
        name: 'Alice',
        iconURL: '',
        password: 'pencil',
        instanceOfInterface: true,
        instanceOfCredential: true,
      });
    },
  },
  {
    name: 'with two credentials an optional get shows the chooser; the picked account is returned',
    async run(h) {
      await h.goto('/tutorial.html');
      await h.storePassword({ id: 'alice', password: 'pencil', name: 'Alice' }, { unlock: true });
      await h.storePassword({ id: 'bob', password: 'hunter2', name: 'Bob' });
      const got = getCredential(h.page, { password: true });
      const chooser = await h.waitForUi('chooser');
      await h.uiWait(chooser, 'button.account');
      assert.equal(await h.uiText(chooser, '#origin'), h.origin, 'the requesting origin is shown');
      const accounts = await h.uiTexts(chooser, 'button.account');
      assert.equal(accounts.length, 2);
      assert.ok(accounts.some((a) => a.includes('Bob') && a.includes('bob')));
      assert.ok(!(await h.uiText(chooser, 'body')).includes('hunter2'), 'no password in the chooser');
      await h.clickAndClose(chooser, 'button.account[data-id="bob"]');
      const c = await got;
      assert.equal(c.id, 'bob');
      assert.equal(c.password, 'hunter2');
    },
  },
  {
    name: "mediation 'required' always asks; Cancel in the chooser resolves null",
    async run(h) {
      await h.goto('/tutorial.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const got = getCredential(h.page, { password: true, mediation: 'required' });
      const chooser = await h.waitForUi('chooser');
      await h.clickAndClose(chooser, 'button.account');
      assert.equal((await got).id, 'alice');
      const declined = getCredential(h.page, { password: true, mediation: 'required' });
      const chooser2 = await h.waitForUi('chooser');
      await h.clickAndClose(chooser2, '#cancel');
      assert.equal(await declined, null);
    },
  },
  {
    name: 'preventSilentAccess() then silent get → null; an optional get asks',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'alice');
      const psa = await settle(h.page, () => navigator.credentials.preventSilentAccess());
      assert.deepEqual(psa, { ok: true, value: '<undefined>' });
      assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null);
      const got = getCredential(h.page, { password: true });
      const chooser = await h.waitForUi('chooser');
      await h.clickAndClose(chooser, 'button.account');
      assert.equal((await got).id, 'alice');
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'alice');
    },
  },
  {
    name: 'storing a new password for a saved id asks to update it',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const kept = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'crayon' })));
      const text = await h.answerPrompt('keep');
      assert.match(text, /Update the saved password/);
      assert.doesNotMatch(text, /crayon|pencil/);
      await kept;
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' })).password, 'pencil');
      const updated = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'crayon' })));
      await h.answerPrompt('update');
      await updated;
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' })).password, 'crayon');
    },
  },
  {
    name: 'a federated credential is saved and returned by provider',
    async run(h) {
      await h.goto('/blank.html');
      const stored = h.page.evaluate(() =>
        navigator.credentials.store(
          new FederatedCredential({ id: 'alice@idp', provider: 'https://idp.example', name: 'Alice', protocol: 'openidconnect' }),
        ),
      );
      await h.unlock();
      const text = await h.answerPrompt('save');
      assert.match(text, /https:\/\/idp\.example/, 'the prompt shows the provider');
      await stored;
      const got = await getCredential(h.page, { federated: { providers: ['https://idp.example/'] }, mediation: 'silent' });
      assert.deepEqual(got, {
        type: 'federated',
        id: 'alice@idp',
        name: 'Alice',
        iconURL: '',
        provider: 'https://idp.example',
        protocol: 'openidconnect',
        instanceOfInterface: true,
        instanceOfCredential: true,
      });
      assert.equal(await getCredential(h.page, { federated: { providers: ['https://other.example'] }, mediation: 'silent' }), null);
      assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null, 'not a password credential');
      assert.equal(
        (await getCredential(h.page, { password: true, federated: { providers: ['https://idp.example'] }, mediation: 'silent' }))?.id,
        'alice@idp',
      );
    },
  },
  {
    name: 'a cross-origin iframe gets NotAllowedError while a same-origin iframe gets the credential',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const same = await h.addFrame({ src: `${h.origin}/blank.html` });
      assert.equal((await getCredential(same, { password: true, mediation: 'silent' }))?.id, 'alice');
      const cross = await h.addFrame({ src: `${h.crossOrigin}/blank.html` });
      const r = await settle(cross, () => navigator.credentials.get({ password: true }));
      assert.equal(r.name, 'NotAllowedError');
      assert.equal(r.domException, true);
      const s = await settle(cross, () => navigator.credentials.store(new PasswordCredential({ id: 'x', password: 'y' })));
      assert.equal(s.name, 'NotAllowedError');
      assert.equal((await settle(cross, async () => (await navigator.credentials.create({ password: { id: 'x', password: 'y' } })).id)).value, 'x');
      const nested = await h.addFrame({ parent: cross, src: `${h.origin}/blank.html` });
      assert.equal((await settle(nested, () => navigator.credentials.get({ password: true }))).name, 'NotAllowedError');
      await h.goto('/blank.html', h.crossOrigin);
      assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null, "the other origin has no credential of this one's");
    },
  },
  {
    name: 'a script-made about:blank iframe, used at once by its parent, acts as its parent',
    // Firefox runs content scripts in the initial about:blank document only after a turn of the
    // event loop; the parent's shim installs itself in the child when the page reaches it
    // (contentWindow / contentDocument). Chromium injects synchronously.
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const fromBlank = await settle(h.page, async () => {
        const f = document.createElement('iframe');
        document.body.append(f);
        const w = f.contentWindow;
        const shimmed = !Function.prototype.toString.call(w.navigator.credentials.get).includes('[native code]');
        const c = await w.navigator.credentials.get({ password: true, mediation: 'silent' });
        const out = [c?.id, c instanceof w.PasswordCredential, c instanceof w.Credential, shimmed];
        // Its own realm's objects and exceptions.
        const e = await w.navigator.credentials.get().catch((x) => x);
        out.push(e instanceof w.DOMException, e.name);
        out.push(w.navigator.credentials.get({ password: true, mediation: 'silent' }) instanceof w.Promise);
        // A nested one, reached through contentDocument.
        const g = f.contentDocument.createElement('iframe');
        f.contentDocument.body.append(g);
        const n = await g.contentDocument.defaultView.navigator.credentials.get({ password: true, mediation: 'silent' });
        out.push(n?.id);
        // Still one working shim after the child's own content scripts had time to run.
        await new Promise((ok) => setTimeout(ok, 300));
        out.push((await w.navigator.credentials.get({ password: true, mediation: 'silent' }))?.id);
        return out;
      });
      assert.deepEqual(fromBlank, { ok: true, value: ['alice', true, true, true, true, 'NotSupportedError', true, 'alice', 'alice'] });
      // A cross-origin iframe's contentWindow is left alone.
      const cross = await settle(
        h.page,
        (src) =>
          new Promise((ok) => {
            const f = document.createElement('iframe');
            f.onload = () => ok(typeof f.contentWindow.postMessage);
            f.src = src;
            document.body.append(f);
          }),
        `${h.crossOrigin}/blank.html`,
      );
      assert.deepEqual(cross, { ok: true, value: 'function' });
    },
  },
  {
    name: 'a script-made about:blank iframe, used after its load event, acts as its parent',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const later = await settle(h.page, async () => {
        const f = document.createElement('iframe');
        const loaded = new Promise((ok) => {
          f.onload = ok;
        });
        document.body.append(f);
        await loaded;
        const w = f.contentWindow;
        const c = await w.navigator.credentials.get({ password: true, mediation: 'silent' });
        return [c?.id, c instanceof w.PasswordCredential, c instanceof w.Credential];
      });
      assert.deepEqual(later, { ok: true, value: ['alice', true, true] });
    },
  },
  {
    name: "forged relay messages learn nothing about another origin's credentials",
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'alice');
      await h.goto('/blank.html', h.crossOrigin);
      const claimed = { origin: h.origin, secureContext: true, fullyActive: true, ancestors: [], client: 1 };
      const reply = await forge(h.page, {
        ...WIRE.call(1, 'credentials.get', {
          caller: claimed,
          origin: h.origin,
          options: { password: true, mediation: 'silent', origin: h.origin },
        }),
        caller: claimed,
        origin: h.origin,
      });
      assert.deepEqual(reply, WIRE.reply(1, { result: null }));
      const optional = await forge(h.page, WIRE.call(2, 'credentials.get', { caller: claimed, options: { password: true } }));
      assert.deepEqual(optional, WIRE.reply(2, { result: null }), 'nothing to choose from: no chooser, null');
      assert.equal(await h.uiOpen('chooser'), false);
      for (const method of ['vault.unlock', 'vault.lock', 'ui.respond', 'cancel', 'hello', 'credwell.echo']) {
        const r = await forge(h.page, WIRE.call(3, method, { passphrase: 'x', ui: 1, answer: { choose: 0 }, target: 1 }));
        assert.equal(r.error?.name, 'NotSupportedError', method);
      }
      // A cross-origin frame tries to abort the page's pending request by guessing its numbers.
      await h.goto('/blank.html');
      await h.storePassword({ id: 'bob', password: 'x' });
      await h.page.evaluate(() => {
        window.result = navigator.credentials.get({ password: true }).then((c) => c.id, (e) => `rejected ${e.name}`);
      });
      const chooser = await h.waitForUi('chooser');
      const frame = await h.addFrame({ src: `${h.crossOrigin}/blank.html` });
      await frame.evaluate(({ events, abort }) => {
        for (let rid = 0; rid < 64; rid++) {
          document.dispatchEvent(new CustomEvent(events.request, { detail: JSON.stringify({ ...abort, rid }) }));
        }
      }, { events: WIRE.events, abort: WIRE.abort(0, 'forged') });
      await sleep(1000);
      assert.equal(await h.uiClosed(chooser), false, 'the chooser is still open');
      await h.clickAndClose(chooser, 'button.account[data-id="alice"]');
      assert.equal(await h.page.evaluate(() => window.result), 'alice');
    },
  },
  {
    name: 'an already-aborted signal rejects with exactly its reason',
    async run(h) {
      await h.goto('/blank.html');
      const r = await h.page.evaluate(async () => {
        const outcome = (p) => p.then((v) => ({ resolved: v }), (e) => ({ rejected: e }));
        const aborted = (reason) => {
          const c = new AbortController();
          c.abort(reason);
          return c.signal;
        };
        const out = {};
        out.string = (await outcome(navigator.credentials.get({ password: true, signal: aborted('why') }))).rejected;
        const reason = { because: 'object' };
        out.objectIdentity = (await outcome(navigator.credentials.get({ password: true, signal: aborted(reason) }))).rejected === reason;
        const error = new RangeError('not JSON-able identity');
        out.errorIdentity = (await outcome(navigator.credentials.get({ password: true, signal: aborted(error) }))).rejected === error;
        const c = new AbortController();
        c.abort();
        const d = (await outcome(navigator.credentials.get({ password: true, signal: c.signal }))).rejected;
        out.default = [d instanceof DOMException, d.name, d === c.signal.reason];
        out.create = (await outcome(navigator.credentials.create({ password: { id: 'a', password: 'b' }, signal: aborted(7) }))).rejected;
        // create(): the abort check comes after the "more than one type" check.
        out.createTooMany = (
          await outcome(
            navigator.credentials.create({
              password: { id: 'a', password: 'b' },
              federated: { id: 'a', provider: 'https://i.example' },
              signal: aborted('x'),
            }),
          )
        ).rejected.name;
        // No type at all but aborted: the reason wins (WPT), for get and create.
        out.getNoType = (await outcome(navigator.credentials.get({ signal: aborted('first') }))).rejected;
        out.createNoType = (await outcome(navigator.credentials.create({ signal: aborted('first') }))).rejected;
        // Aborted right after the call: the reason, not NotSupportedError.
        const late = new AbortController();
        const p = navigator.credentials.get({ signal: late.signal });
        late.abort('late');
        out.lateNoType = (await outcome(p)).rejected;
        return out;
      });
      assert.deepEqual(r, {
        string: 'why',
        objectIdentity: true,
        errorIdentity: true,
        default: [true, 'AbortError', true],
        create: 7,
        createTooMany: 'NotSupportedError',
        getNoType: 'first',
        createNoType: 'first',
        lateNoType: 'late',
      });
      assert.equal(await h.uiOpen('unlock'), false, 'aborted calls never reach the vault');
    },
  },
  {
    name: 'aborting while the chooser is open rejects with the reason and closes the chooser',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      await h.storePassword({ id: 'bob', password: 'x' });
      await h.page.evaluate(() => {
        window.controller = new AbortController();
        window.reason = { why: 'the user went elsewhere' };
        window.result = navigator.credentials.get({ password: true, signal: controller.signal }).then(
          (v) => ({ resolved: v }),
          (e) => ({ rejectedWithReason: e === window.reason, e: String(e) }),
        );
      });
      const chooser = await h.waitForUi('chooser');
      await h.uiWait(chooser, 'button.account');
      const r = await h.page.evaluate(async () => {
        controller.abort(reason);
        return window.result;
      });
      assert.deepEqual(r, { rejectedWithReason: true, e: '[object Object]' });
      await h.waitUiClosed(chooser);
      const again = settle(h.page, () => navigator.credentials.get({ password: true, mediation: 'required' }).then((c) => c.id));
      const chooser2 = await h.waitForUi('chooser');
      await h.clickAndClose(chooser2, 'button.account[data-id="bob"]');
      assert.deepEqual(await again, { ok: true, value: 'bob' });
    },
  },
  {
    name: 'after the host is killed mid-request the call fails, and the next call reconnects and works after unlock',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      const [first] = await h.hostPids();
      assert.ok(first > 0);
      const pending = settle(h.page, () => navigator.credentials.get({ password: true, mediation: 'required' }));
      const chooser = await h.waitForUi('chooser');
      process.kill(first, 'SIGKILL');
      const r = await pending;
      assert.equal(r.name, 'UnknownError');
      assert.equal(r.domException, true);
      await h.waitUiClosed(chooser);
      const got = getCredential(h.page, { password: true, mediation: 'silent' });
      await h.unlock();
      assert.equal(await got, null, 'the ephemeral vault died with the first host');
      const pids = await h.hostPids();
      assert.equal(pids.length, 2);
      assert.notEqual(pids[1], first);
      assert.equal(await h.storePassword({ id: 'bob', password: 'x' }), 'undefined');
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'bob');
    },
  },
  {
    name: 'with a vault file, a request after the host went away and the background idled succeeds after unlock',
    // Firefox: the event page is suspended 1 s after its last event once no native port is open
    // (extensions.background.idle.timeout); Chromium ignores the pref.
    options: (tmp) => ({
      env: { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: `${tmp}/vault.sqlite`, CREDWELL_DANGER_INSECURE_KDF: '1' },
      prefs: { 'extensions.background.idle.timeout': 1000 },
    }),
    async run(h) {
      await h.goto('/blank.html');
      assert.equal(await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true }), 'undefined');
      const before = (await h.hostStatus()).backgroundStarted;
      await h.killHost();
      await sleep(5000);
      const got = getCredential(h.page, { password: true, mediation: 'silent' });
      await h.unlock();
      assert.equal((await got)?.password, 'pencil');
      assert.equal((await h.hostPids()).length, 2);
      const after = (await h.hostStatus()).backgroundStarted;
      if (h.browser === 'firefox') assert.notEqual(after, before, 'the event page was suspended and started again');
    },
  },
  {
    name: 'the bench echo path works only when enabled',
    async run(h) {
      await h.goto('/blank.html');
      const echo = () => forge(h.page, WIRE.call(1, 'credwell.echo', {}));
      assert.equal((await echo()).error?.name, 'NotSupportedError');
      await h.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.set', key: 'benchEcho', value: true }));
      const r = await echo();
      assert.equal(r.result?.protocol, 1);
      assert.equal(r.result?.locked, true);
    },
  },
  {
    name: 'publicKey requests for a security key only go to the browser’s own WebAuthn, not to credwell',
    async run(h) {
      await h.goto('/blank.html');
      const r = await h.page.evaluate(async () => {
        const c = new AbortController();
        const p = navigator.credentials
          .get({ publicKey: { challenge: new Uint8Array(16), timeout: 1000, userVerification: 'discouraged', hints: ['security-key'] }, signal: c.signal })
          .then(
            (v) => ({ resolved: String(v) }),
            (e) => ({ name: e?.name, domException: e instanceof DOMException }),
          );
        setTimeout(() => c.abort(new DOMException('stop', 'AbortError')), 200);
        return [typeof PublicKeyCredential, await p];
      });
      assert.equal(r[0], 'function');
      // The browser's own WebAuthn answers (no authenticator here: it is aborted or refused);
      // credwell never sees it, so no unlock page opens.
      assert.equal(r[1].domException, true, JSON.stringify(r[1]));
      assert.notEqual(r[1].name, 'UnknownError');
      assert.equal(await h.uiOpen('unlock'), false);
    },
  },
];
