// Passkeys in Firefox ESR: PublicKeyCredential through credwell's shim, background and host
// (lib/firefox.mjs, WebDriver BiDi), every registration and assertion verified by an independent
// relying party (@simplewebauthn/server); the WebAuthn error names; and a passkey registered in
// Chromium used from Firefox through the same vault file. The Chromium counterpart is
// tests/passkeys.test.mjs; the prompts are driven by the same helpers (lib/webauthn.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBrowser, settle } from '../lib/firefox.mjs';
import { autofillClickjackingScenario } from '../lib/autofill.mjs';
import { hiddenPasskeysScenario } from '../lib/signals.mjs';
import { withBrowser as withChromium, startServer } from '../lib/harness.mjs';
import {
  answerCreate,
  authenticationOptions,
  choosePasskey,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
  verifyUser,
  unlockVault,
  CREATE,
  GET,
} from '../lib/webauthn.mjs';

const T = { timeout: 180_000 };

// Firefox's own refusal of a WebAuthn request from a document that does not have the focus (a
// background tab; headless Firefox gives the harness's first tab none either): the wording of a
// call that reached Firefox's WebAuthn instead of credwell's. Firefox 153 corrected the interface
// name in it; each ESR is held to its own exact wording.
const firefoxRefusal = (major) => {
  if (!Number.isInteger(major)) throw new Error(`unknown Firefox version ${major}`);
  return major >= 153 ? 'CredentialsContainer request is not allowed.' : 'CredentialContainer request is not allowed.';
};
// authenticatorData flags (WebAuthn §6.1): UP 0x01, UV 0x04.
const UP = 0x01;
const UV = 0x04;

test('firefox passkeys: register, then sign in, verified by @simplewebauthn/server', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    // Registration with user verification required: consent, then the passphrase again.
    const regOptions = await registrationOptions('alice', { userVerification: 'required' });
    const creating = h.page.evaluate(CREATE, regOptions);
    creating.catch(() => {});
    const consent = await answerCreate(h);
    assert.match(consent, /localhost/, 'the consent prompt names the RP ID');
    assert.match(consent, /alice/, 'the consent prompt names the account');
    assert.match(await verifyUser(h), /create a passkey/, 'the verify prompt says what it is for');
    const created = await creating;
    assert.deepEqual(created.proto, [true, true, true, true], 'instanceof PublicKeyCredential, Credential, AuthenticatorAttestationResponse, AuthenticatorResponse');
    assert.equal(created.tag, '[object PublicKeyCredential]');
    assert.equal(created.type, 'public-key');
    assert.equal(created.id, created.rawId);
    assert.equal(created.sameRawId, true, 'rawId and response are [SameObject]');
    assert.equal(created.attachment, 'platform', "credwell's authenticator, not Firefox's (which says cross-platform for a security key)");
    assert.deepEqual(created.transports, ['internal']);
    assert.equal(created.flags & (UP | UV), UP | UV, 'UP and UV set after the passphrase');
    const clientData = JSON.parse(created.clientDataJSON);
    assert.equal(clientData.type, 'webauthn.create');
    assert.equal(clientData.origin, h.origin);
    assert.equal(clientData.challenge, regOptions.challenge);
    // toJSON(): RegistrationResponseJSON.
    const j = created.json;
    assert.deepEqual(Object.keys(j).sort(), ['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
    assert.equal(j.id, created.id);
    assert.equal(j.rawId, created.rawId);
    assert.equal(j.authenticatorAttachment, 'platform');
    assert.equal(j.response.attestationObject, created.attestationObject);
    assert.equal(j.response.authenticatorData, created.authenticatorData);
    assert.equal(j.response.publicKey, created.publicKey);
    assert.equal(j.response.publicKeyAlgorithm, created.alg);
    const reg = await verifyRegistration(j, regOptions, h.origin, { requireUserVerification: true });
    assert.equal(reg.userVerified, true);
    assert.equal(reg.credentialDeviceType, 'multiDevice');
    const credential = reg.credential;

    // Sign in, user verification required: chooser (user presence), then the passphrase.
    const authOptions = await authenticationOptions({ userVerification: 'required' });
    const getting = h.page.evaluate(GET, authOptions);
    getting.catch(() => {});
    const accounts = await choosePasskey(h, 0);
    assert.equal(accounts.length, 1, 'one passkey offered');
    assert.match(accounts[0], /ALICE/);
    assert.match(await verifyUser(h), /sign in/);
    const got = await getting;
    assert.deepEqual(got.proto, [true, true, true], 'instanceof PublicKeyCredential, AuthenticatorAssertionResponse, AuthenticatorResponse');
    assert.equal(got.id, credential.id);
    assert.equal(got.attachment, 'platform');
    assert.equal(got.userHandle, regOptions.user.id);
    assert.equal(got.flags & (UP | UV), UP | UV, 'UP and UV set after the passphrase');
    const getData = JSON.parse(got.clientDataJSON);
    assert.deepEqual([getData.type, getData.origin, getData.challenge], ['webauthn.get', h.origin, authOptions.challenge]);
    assert.deepEqual(Object.keys(got.json).sort(), ['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
    assert.deepEqual(Object.keys(got.json.response).sort(), ['authenticatorData', 'clientDataJSON', 'signature', 'userHandle']);
    const auth = await verifyAuthentication(got.json, authOptions, h.origin, credential, { requireUserVerification: true });
    assert.equal(auth.userVerified, true);

    // Sign in again, user verification discouraged, naming the credential: the chooser only.
    const again = await authenticationOptions({ allow: [credential.id], userVerification: 'discouraged' });
    const getting2 = h.page.evaluate(GET, again);
    getting2.catch(() => {});
    await choosePasskey(h, 0);
    const got2 = await getting2;
    assert.equal(got2.flags & UV, 0, 'no UV without the verify prompt');
    const auth2 = await verifyAuthentication(got2.json, again, h.origin, { ...credential, counter: auth.newCounter });
    assert.equal(auth2.userVerified, false);
    assert.equal(await h.uiOpen('passkey-verify'), false, 'no verify prompt when UV is discouraged');
  }));

test('firefox passkeys: SecurityError, InvalidStateError, NotAllowedError without a prompt, AbortError, cross-origin iframe', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const options = await registrationOptions('bob', { userVerification: 'discouraged' });
    const creating = h.page.evaluate(CREATE, options);
    creating.catch(() => {});
    await answerCreate(h);
    const { credential } = await verifyRegistration((await creating).json, options, h.origin);

    // RP ID not a registrable suffix of the caller's: SecurityError, for get and create.
    const badRp = await settle(h.page, () =>
      navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), rpId: 'example.com' } }));
    assert.deepEqual([badRp.name, badRp.domException], ['SecurityError', true], `get with rpId example.com: ${JSON.stringify(badRp)}`);
    const badRpCreate = await settle(h.page, () =>
      navigator.credentials.create({ publicKey: {
        rp: { id: 'example.com', name: 'x' }, user: { id: new Uint8Array([1]), name: 'u', displayName: 'U' },
        challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } }));
    assert.deepEqual([badRpCreate.name, badRpCreate.domException], ['SecurityError', true], `create with rp.id example.com: ${JSON.stringify(badRpCreate)}`);

    // An excluded credential already in the vault: the prompt says so; confirming →
    // InvalidStateError.
    const exclude = await registrationOptions('bob', { userVerification: 'discouraged', exclude: [credential.id] });
    const excluded = settle(h.page, (json) =>
      navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) }).then(String), exclude);
    assert.match(await answerCreate(h), /already saved/, 'the consent prompt says the account is registered');
    const ex = await excluded;
    assert.deepEqual([ex.name, ex.domException], ['InvalidStateError', true], `excluded credential: ${JSON.stringify(ex)}`);

    // allowCredentials naming no passkey here: NotAllowedError, without a prompt.
    const unknown = await settle(h.page, () =>
      navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), allowCredentials: [{ type: 'public-key', id: new Uint8Array([9, 9, 9]) }] } }));
    assert.deepEqual([unknown.name, unknown.domException], ['NotAllowedError', true], `unknown allowCredentials: ${JSON.stringify(unknown)}`);
    assert.notEqual(unknown.message, firefoxRefusal(h.browserMajor), "credwell's NotAllowedError, not Firefox's");
    for (const ui of ['passkey-chooser', 'passkey-verify', 'unlock']) assert.equal(await h.uiOpen(ui), false, `no ${ui} page for unknown allowCredentials`);

    // Abort before the call: AbortError (a DOMException), then the page's own reason.
    const pre = await settle(h.page, async () => {
      const out = [];
      for (const reason of [undefined, 'CustomError']) {
        const c = new AbortController();
        if (reason === undefined) c.abort();
        else c.abort(reason);
        try {
          await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, signal: c.signal });
          out.push('resolved');
        } catch (e) {
          out.push(typeof e === 'string' ? e : `${e.name}:${e instanceof DOMException}`);
        }
      }
      return out;
    });
    assert.deepEqual(pre.value, ['AbortError:true', 'CustomError'], 'an already aborted signal rejects with its reason');
    assert.equal(await h.uiOpen('passkey-chooser'), false, 'no chooser for an already aborted call');

    // Abort while the chooser is open: the page's reason (the same object), the chooser closes.
    const during = h.page.evaluate(() => {
      const c = new AbortController();
      window.abortNow = (r) => c.abort(r);
      const reason = new Error('changed my mind');
      window.abortReason = reason;
      return navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, signal: c.signal }).then(
        () => 'resolved',
        (e) => (e === reason ? 'the same reason' : String(e)),
      );
    });
    const chooser = await h.waitForUi('passkey-chooser');
    await h.page.evaluate(() => window.abortNow(window.abortReason));
    assert.equal(await during, 'the same reason', 'aborting while the chooser is open rejects with signal.reason');
    await h.waitUiClosed(chooser);
    // And with no reason given: an AbortError DOMException.
    const during2 = h.page.evaluate(() => {
      const c = new AbortController();
      window.abortNow = () => c.abort();
      return navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) }, signal: c.signal }).then(
        () => 'resolved',
        (e) => `${e.name}:${e instanceof DOMException}`,
      );
    });
    const chooser2 = await h.waitForUi('passkey-chooser');
    await h.page.evaluate(() => window.abortNow());
    assert.equal(await during2, 'AbortError:true', 'abort() with no reason while the chooser is open');
    await h.waitUiClosed(chooser2);

    // A cross-origin iframe (a.localhost: another, still secure, origin): credwell's host refuses
    // it by the permissions policy's default allowlist ('self'). Unlike Chromium (tests/
    // passkeys.test.mjs), an allow="publickey-credentials-get" attribute does not help in Firefox:
    // it has no document.featurePolicy, so the extension cannot learn what the embedder allowed.
    for (const allow of [undefined, 'publickey-credentials-get']) {
      const frame = await h.addFrame({ src: `http://a.localhost:${h.port}/blank.html`, allow });
      const cross = await settle(frame, () =>
        navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), rpId: 'a.localhost' } }));
      assert.deepEqual([cross.name, cross.domException], ['NotAllowedError', true], `cross-origin iframe, allow=${allow}: ${JSON.stringify(cross)}`);
      assert.match(cross.message, /permissions policy/, `credwell's refusal names the permissions policy (allow=${allow})`);
    }
  }));

test('firefox passkeys: statics over Firefox’s own PublicKeyCredential; BufferSources (offset view, DataView) copied at the call; store → NotSupportedError', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const statics = await h.page.evaluate(async () => {
      const caps = await PublicKeyCredential.getClientCapabilities();
      const bad = [];
      for (const f of [
        () => PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'not base64url!' }),
        () => PublicKeyCredential.parseCreationOptionsFromJSON({ rp: { name: 'x' }, user: { id: '***', name: 'u', displayName: 'U' }, challenge: 'AAAA', pubKeyCredParams: [] }),
        () => PublicKeyCredential.parseRequestOptionsFromJSON({}),
      ]) {
        try {
          f();
          bad.push('ok');
        } catch (e) {
          bad.push(`${e.name}:${e instanceof DOMException}`);
        }
      }
      return {
        passkeyPlatformAuthenticator: caps.passkeyPlatformAuthenticator,
        uvpaa: await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
        conditional: await PublicKeyCredential.isConditionalMediationAvailable(),
        bad,
      };
    });
    assert.deepEqual(statics, { passkeyPlatformAuthenticator: true, uvpaa: true, conditional: true, bad: ['EncodingError:true', 'EncodingError:true', 'TypeError:false'] },
      "credwell's statics replace Firefox's");

    await unlockVault(h);
    // An offset Uint8Array challenge and a DataView user id, overwritten right after the call:
    // the RP still sees the original bytes.
    const options = await registrationOptions('erin', { userVerification: 'discouraged' });
    const creating = h.page.evaluate(async (json) => {
      const p = PublicKeyCredential.parseCreationOptionsFromJSON(json);
      const challenge = new Uint8Array(p.challenge);
      const padded = new ArrayBuffer(challenge.length + 8);
      new Uint8Array(padded).set(challenge, 4);
      const userId = new Uint8Array(p.user.id);
      const publicKey = { ...p, challenge: new Uint8Array(padded, 4, challenge.length), user: { ...p.user, id: new DataView(userId.buffer) } };
      const promise = navigator.credentials.create({ publicKey });
      new Uint8Array(padded).fill(0);
      userId.fill(0);
      const c = await promise;
      let stored;
      try {
        await navigator.credentials.store(c);
        stored = 'stored';
      } catch (e) {
        stored = e.name;
      }
      return { json: c.toJSON(), text: JSON.stringify(c), stored };
    }, options);
    creating.catch(() => {});
    await answerCreate(h);
    const created = await creating;
    assert.deepEqual(JSON.parse(created.text), created.json, 'JSON.stringify uses toJSON()');
    assert.equal(created.stored, 'NotSupportedError');
    const info = await verifyRegistration(created.json, options, h.origin);
    assert.equal(info.credential.id, created.json.id);
  }));

test('firefox passkeys: a passkey registered in Chromium signs in from Firefox with the same vault file', T, async () => {
  const vaultDir = await mkdtemp(join(tmpdir(), 'credwell-xb-pk-'));
  const server = await startServer();
  const env = { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: join(vaultDir, 'vault.sqlite'), CREDWELL_DANGER_INSECURE_KDF: '1' };
  try {
    // Same server, so the same origin (http://localhost:<port>) in both browsers.
    let registered;
    await withChromium({ env, server }, async (h) => {
      await h.goto('/blank.html');
      await unlockVault(h);
      const options = await registrationOptions('carol', { userVerification: 'discouraged' });
      const creating = h.page.evaluate(CREATE, options);
      await answerCreate(h);
      const created = await creating;
      const info = await verifyRegistration(created.json, options, h.origin);
      registered = { credential: info.credential, userId: options.user.id };
    });
    await withBrowser({ env, server }, async (h) => {
      await h.goto('/blank.html');
      await unlockVault(h);
      const options = await authenticationOptions({ allow: [registered.credential.id], userVerification: 'required' });
      const getting = h.page.evaluate(GET, options);
      getting.catch(() => {});
      const accounts = await choosePasskey(h, 0);
      assert.equal(accounts.length, 1, 'the passkey Chromium registered is offered');
      assert.match(accounts[0], /CAROL/);
      await verifyUser(h);
      const got = await getting;
      assert.equal(got.id, registered.credential.id);
      assert.equal(got.userHandle, registered.userId);
      assert.equal(got.attachment, 'platform');
      const info = await verifyAuthentication(got.json, options, h.origin, registered.credential, { requireUserVerification: true });
      assert.equal(info.userVerified, true);
    });
  } finally {
    await server.close();
    await rm(vaultDir, { recursive: true, force: true });
  }
});

test('firefox passkeys: closing the unlock window ends a ceremony with NotAllowedError; a conditional get() is picked in the page\'s autofill by a real click, confirmed in credwell\'s chooser', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    // Locked vault: a sign-in asks to unlock first; closing that window declines.
    const declined = settle(h.page, () => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8) } }));
    await h.closeUiWindow(await h.waitForUi('unlock'));
    const d = await declined;
    assert.deepEqual([d.name, d.domException], ['NotAllowedError', true], `closing the unlock window: ${JSON.stringify(d)}`);

    await unlockVault(h);
    const options = await registrationOptions('fay', { userVerification: 'discouraged' });
    const creating = h.page.evaluate(CREATE, options);
    creating.catch(() => {});
    await answerCreate(h);
    const { credential } = await verifyRegistration((await creating).json, options, h.origin);

    // The offer is drawn by the ISOLATED-world content script (src/autofill.js) under a field
    // whose autocomplete has the webauthn token, in a closed shadow root.
    await h.page.evaluate(() => {
      const input = document.createElement('input');
      input.id = 'login';
      input.autocomplete = 'username webauthn';
      document.body.append(input);
    });
    const auth = await authenticationOptions({ userVerification: 'discouraged' });
    const getting = h.page.evaluate(async (json) => {
      const c = await navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
      return c.toJSON();
    }, auth);
    getting.catch(() => {});
    await h.page.evaluate(() => document.getElementById('login').focus());
    const deadline = Date.now() + 30_000;
    let box = null;
    while (!box) {
      box = await h.page.evaluate(() => {
        const el = document.querySelector('credwell-autofill');
        if (!el) return null;
        const r = el.getBoundingClientRect();
        return { x: r.x, y: r.y, shadowRoot: el.shadowRoot === null };
      });
      if (!box && Date.now() > deadline) assert.fail('no autofill offer under the webauthn field within 30 s');
      if (!box) await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.equal(box.shadowRoot, true, 'the page cannot open the offer (closed shadow root)');
    assert.equal(await h.uiOpen('passkey-chooser'), false, 'a conditional get() opens no chooser window');
    // A real click (BiDi pointer input, trusted) on the first account: title row 20 px, then 40 px
    // rows, once the list's frame has loaded. Firefox has no IntersectionObserver v2, so the
    // click opens credwell's passkey chooser, where the user picks (e2e/lib/autofill.mjs).
    await new Promise((ok) => setTimeout(ok, 1500));
    await h.bidi.send('input.performActions', {
      context: h.page.context,
      actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: [
        { type: 'pointerMove', x: Math.round(box.x + 30), y: Math.round(box.y + 4 + 20 + 20) },
        { type: 'pointerDown', button: 0 },
        { type: 'pointerUp', button: 0 },
      ] }],
    });
    await choosePasskey(h, 0);
    const json = await getting;
    const info = await verifyAuthentication(json, auth, h.origin, credential);
    assert.equal(info.userVerified, false);
    assert.equal(json.response.userHandle, options.user.id);
  }));

// The Chromium counterpart gives Chromium's own WebAuthn a CDP virtual authenticator; Firefox has
// none over BiDi. What Firefox itself decides is checked instead: it refuses WebAuthn in a
// document that does not have the focus, with its own NotAllowedError message (credwell never
// words one so, and does not look at the focus). So from a background tab, with the vault
// unlocked (credwell would show its prompt at once), security-key-only requests come back with
// Firefox's refusal, while a platform request from the same tab reaches credwell's prompt.
// (The shared core scenario covers a security-key-only get() in the focused tab as well.)
test('firefox passkeys: requests for a security key only go to Firefox’s own WebAuthn', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const tab = await h.newTab(`${h.origin}/blank.html`);
    const securityKey = await tab.evaluate(async () => {
      const outcome = (p) => p.then(
        (c) => ({ resolved: c?.type }),
        (e) => ({ name: e?.name, message: e?.message, domException: e instanceof DOMException }),
      );
      const user = { id: new Uint8Array([1, 2]), name: 'key', displayName: 'Key' };
      const base = { rp: { name: 'e2e' }, user, challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] };
      return {
        focus: document.hasFocus(),
        hint: await outcome(navigator.credentials.create({ publicKey: { ...base, hints: ['security-key'] } })),
        attachment: await outcome(navigator.credentials.create({ publicKey: { ...base, authenticatorSelection: { authenticatorAttachment: 'cross-platform' } } })),
        usbOnly: await outcome(navigator.credentials.get({ publicKey: {
          challenge: new Uint8Array(16), allowCredentials: [{ type: 'public-key', id: new Uint8Array([7, 7]), transports: ['usb', 'nfc'] }] } })),
      };
    });
    assert.equal(securityKey.focus, false, 'a background tab does not have the focus');
    for (const kind of ['hint', 'attachment', 'usbOnly']) {
      assert.deepEqual(securityKey[kind], { name: 'NotAllowedError', message: firefoxRefusal(h.browserMajor), domException: true }, `${kind}: Firefox's own refusal`);
    }
    for (const ui of ['unlock', 'passkey-create', 'passkey-chooser']) assert.equal(await h.uiOpen(ui), false, `no ${ui} page for a security-key-only request`);

    // The same tab, a platform request: credwell's consent prompt; Cancel → credwell's
    // NotAllowedError, not Firefox's wording.
    const platform = settle(tab, () => navigator.credentials.create({ publicKey: {
      rp: { name: 'e2e' }, user: { id: new Uint8Array([3]), name: 'dana', displayName: 'Dana' },
      challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { userVerification: 'discouraged' } } }));
    assert.match(await answerCreate(h, false), /dana/, "credwell's prompt for the platform request");
    const declined = await platform;
    assert.equal(declined.name, 'NotAllowedError', `declined in credwell's prompt: ${JSON.stringify(declined)}`);
    assert.notEqual(declined.message, firefoxRefusal(h.browserMajor), "credwell's own NotAllowedError");
  }));

test('firefox passkeys: the autofill list cannot be clickjacked: a click only opens credwell\'s chooser (no IntersectionObserver v2); the visible list signs in there', T, () =>
  withBrowser({}, (h) => autofillClickjackingScenario(h)));

test('firefox passkeys: signals hide passkeys, never delete them: no get() finds them; the manager restores or purges them', T, () =>
  withBrowser({}, (h) => hiddenPasskeysScenario(h)));
