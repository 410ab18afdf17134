// get() with uiMode "immediate" through credwell's shim, background and host, in both browsers:
// run by tests/immediate.test.mjs (Chromium) and firefox/immediate.test.mjs (Firefox ESR).
// NotAllowedError at once and no window when credwell holds nothing (or the vault is locked);
// otherwise one chooser with the caller's passwords and passkeys together, whose passkey pick
// signs without a second chooser (the assertion verified by @simplewebauthn/server); a user
// gesture needed; at most two calls per document in five seconds; getClientCapabilities(). With
// each mediation: silent → NotAllowedError without a window, optional and required → the
// chooser, conditional → NotSupportedError, federated → TypeError.
import assert from 'node:assert/strict';
import { authenticationOptions, registerPasskey, unlockVault, verifyAuthentication, verifyUser } from '../lib/webauthn.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// In the page: get({password, publicKey, uiMode: "immediate"}), the publicKey member from the
// RP's JSON options; the credential or the error, described as plain data.
const IMMEDIATE = async ({ json, password = true }) => {
  const o = { uiMode: 'immediate' };
  if (password) o.password = true;
  if (json) o.publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json);
  try {
    const c = await navigator.credentials.get(o);
    if (c === null) return { value: null };
    if (c.type === 'password') {
      return { type: c.type, id: c.id, password: c.password, instance: c instanceof PasswordCredential };
    }
    return { type: c.type, id: c.id, json: c.toJSON(), instance: c instanceof PublicKeyCredential };
  } catch (e) {
    return { error: e.name, message: e.message, domException: e instanceof DOMException };
  }
};

// The message of every immediate request that ends without a credential (nothing held, a locked
// vault, the chooser dismissed): the page cannot tell them apart.
const NOTHING_CHOSEN = /no credential was chosen/;
const WINDOWS = ['chooser', 'passkey-chooser', 'unlock', 'prompt', 'passkey-verify'];

/** Whether any of credwell's windows is open. */
async function anyWindow(h) {
  for (const name of WINDOWS) if (await h.uiOpen(name)) return name;
  return null;
}

/** An immediate get() with a gesture that must reject at once, without any window. */
async function rejectsWithoutUi(h, arg, what) {
  const started = Date.now();
  const got = await h.withGesture(h.page, IMMEDIATE, arg);
  assert.equal(got.error, 'NotAllowedError', `${what}: ${JSON.stringify(got)}`);
  assert.equal(got.domException, true);
  assert.ok(Date.now() - started < 5_000, `${what}: settled at once`);
  assert.equal(await anyWindow(h), null, `${what}: no window opened`);
  return got;
}

export const scenarios = [
  {
    name: 'immediate: locked or nothing saved → NotAllowedError at once and no window; no gesture, a third call in five seconds → NotAllowedError; immediateGet',
    async run(h) {
      await h.goto('/blank.html');
      const caps = await h.page.evaluate(() => PublicKeyCredential.getClientCapabilities());
      assert.equal(caps.immediateGet, true, JSON.stringify(caps));
      const json = await authenticationOptions();

      // The vault is locked: credwell cannot tell what it holds, and immediate mode must not
      // ask the user to unlock before showing anything.
      const locked = await rejectsWithoutUi(h, { json }, 'locked vault');
      assert.match(locked.message, NOTHING_CHOSEN);
      assert.equal((await h.hostStatus()).locked, true, 'still locked: no unlock page');

      // Unlocked, nothing saved: the same answer, still no window.
      await unlockVault(h);
      await h.goto('/blank.html');
      const nothing = await rejectsWithoutUi(h, { json }, 'nothing saved');
      assert.match(nothing.message, NOTHING_CHOSEN);
      assert.equal(nothing.message, locked.message, 'locked and empty read the same');
      await rejectsWithoutUi(h, { json: undefined }, 'password only, nothing saved');

      // A third call within five seconds from the same document: refused for the rate.
      const third = await rejectsWithoutUi(h, { json }, 'third call');
      assert.match(third.message, /too many uiMode 'immediate' requests/);
      // A new document has its own budget.
      await h.goto('/blank.html');
      assert.match((await rejectsWithoutUi(h, { json }, 'new document')).message, NOTHING_CHOSEN);

      // Without a user gesture: NotAllowedError naming it, whatever is saved.
      await h.storePassword({ id: 'alice', password: 'pw-1' });
      await h.gotoRun(`
        out.activation = navigator.userActivation ? navigator.userActivation.isActive : false;
        navigator.credentials.get({ password: true, uiMode: 'immediate' })
          .then((c) => { out.result = c === null ? null : c.id; }, (e) => { out.result = [e.name, e.message]; })
          .finally(() => history.replaceState(null, '', '#done'));
      `);
      for (let i = 0; !(await h.page.url()).endsWith('#done'); i++) {
        if (i > 100) throw new Error('the call did not settle at once');
        await sleep(100);
      }
      const { activation, result } = await h.page.evaluate(() => out);
      assert.equal(activation, false, 'the call was made without a gesture');
      assert.equal(result[0], 'NotAllowedError', JSON.stringify(result));
      assert.match(result[1], /gesture/);
      assert.equal(await anyWindow(h), null, 'no window without a gesture');
    },
  },
  {
    name: 'immediate: a password and a passkey saved → one chooser with both; the password → PasswordCredential, the passkey → PublicKeyCredential verified by @simplewebauthn/server; cancel → NotAllowedError',
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      await h.storePassword({ id: 'alice', password: 'pw-1' });
      const { credential } = await registerPasskey(h, 'carol');

      // One chooser listing both; pick the password.
      await h.goto('/blank.html');
      const json = await authenticationOptions({ userVerification: 'discouraged' });
      const picking = h.withGesture(h.page, IMMEDIATE, { json });
      picking.catch(() => {});
      let ui = await h.waitForUi('chooser');
      await h.uiWait(ui, '#accounts button');
      const texts = await h.uiTexts(ui, '#accounts button');
      assert.equal(texts.length, 2, JSON.stringify(texts));
      assert.match(texts[0], /alice/);
      assert.match(texts[1], /CAROL/);
      assert.match(texts[1], /passkey for localhost/);
      await h.clickAndClose(ui, '#accounts button[data-type="password"]');
      const password = await picking;
      assert.deepEqual(password, { type: 'password', id: 'alice', password: 'pw-1', instance: true });

      // Again (the second call of this document): pick the passkey. It signs without the
      // passkey chooser (the pick in credwell's chooser was the user's presence); user
      // verification, which the RP requires, is still asked.
      const json2 = await authenticationOptions({ userVerification: 'required' });
      const signing = h.withGesture(h.page, IMMEDIATE, { json: json2 });
      signing.catch(() => {});
      ui = await h.waitForUi('chooser');
      await h.uiWait(ui, '#accounts button');
      await h.clickAndClose(ui, '#accounts button[data-type="public-key"]');
      assert.match(await verifyUser(h), /sign in/);
      const signed = await signing;
      assert.equal(signed.type, 'public-key', JSON.stringify(signed));
      assert.equal(signed.instance, true);
      assert.equal(signed.id, credential.id);
      assert.equal(await h.uiOpen('passkey-chooser'), false, 'no second chooser');
      const auth = await verifyAuthentication(signed.json, json2, h.origin, credential, { requireUserVerification: true });
      assert.equal(auth.credentialID, credential.id);
      assert.equal(auth.userVerified, true);

      // The user closes the chooser: NotAllowedError, as in Chrome.
      await h.goto('/blank.html');
      const cancelling = h.withGesture(h.page, IMMEDIATE, { json: await authenticationOptions() });
      cancelling.catch(() => {});
      ui = await h.waitForUi('chooser');
      await h.clickAndClose(ui, '#cancel');
      const cancelled = await cancelling;
      assert.equal(cancelled.error, 'NotAllowedError', JSON.stringify(cancelled));
      assert.match(cancelled.message, NOTHING_CHOSEN);

      // Without uiMode, password and publicKey still cannot share a request.
      const mixed = await h.withGesture(h.page, async (j) => {
        try {
          await navigator.credentials.get({ password: true, publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(j) });
          return 'resolved';
        } catch (e) {
          return e.name;
        }
      }, json);
      assert.equal(mixed, 'NotSupportedError');
    },
  },
  {
    name: 'immediate with each mediation: silent → NotAllowedError at once, no window, not counted; optional and required → the chooser; conditional → NotSupportedError; federated → TypeError',
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      // Saved through the prompt: the flag is cleared, so an ordinary silent get() signs in.
      await h.storePassword({ id: 'dan', password: 'pw-d' });
      await h.goto('/blank.html');
      const plain = await h.page.evaluate(() => navigator.credentials.get({ password: true, mediation: 'silent' }).then((c) => c?.id ?? null));
      assert.equal(plain, 'dan', 'without uiMode, silent hands the one password over');
      const json = await authenticationOptions();
      // In the page: get({password, uiMode: "immediate", mediation, ...}); the id or the error.
      const call = (arg) =>
        h.withGesture(h.page, async ({ mediation, json, federated }) => {
          const o = { uiMode: 'immediate', mediation };
          if (federated) o.federated = { providers: ['https://idp.example'] };
          else o.password = true;
          if (json) o.publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json);
          try {
            const c = await navigator.credentials.get(o);
            return { id: c?.id ?? null };
          } catch (e) {
            return { error: e.name, message: e.message };
          }
        }, arg);

      for (const arg of [{ mediation: 'silent' }, { mediation: 'silent', json }]) {
        const started = Date.now();
        const got = await call(arg);
        assert.equal(got.error, 'NotAllowedError', JSON.stringify(got));
        assert.match(got.message, /mediation 'silent' forbids the chooser/);
        assert.ok(Date.now() - started < 5_000, 'settled at once');
        assert.equal(await anyWindow(h), null, 'no window');
      }
      assert.equal((await call({ mediation: 'conditional' })).error, 'NotSupportedError');
      const federated = await call({ mediation: 'optional', federated: true });
      assert.equal(federated.error, 'TypeError', JSON.stringify(federated));
      // None of those counted: this document still has its two calls, each with the chooser.
      for (const mediation of ['optional', 'required']) {
        const picking = call({ mediation });
        picking.catch(() => {});
        const ui = await h.waitForUi('chooser');
        await h.uiWait(ui, '#accounts button');
        await h.clickAndClose(ui, '#accounts button[data-type="password"]');
        assert.deepEqual(await picking, { id: 'dan' }, mediation);
      }
    },
  },
];
