// Passkeys through credwell's shim, background and host, in both browsers: one list, run by
// tests/passkeys.test.mjs (Chromium) and firefox/passkeys.test.mjs (Firefox ESR). Every
// registration and assertion is verified by an independent relying party
// (@simplewebauthn/server); the prompts are driven by lib/webauthn.mjs's helpers.
//
// Scenarios use the driver-neutral surface of scenarios/core.mjs, plus h.openExtensionPage,
// h.newTab and realClick (lib/autofill.mjs). Where the browsers really differ (what reaches the
// browser's own WebAuthn; Firefox cannot learn a frame's permissions policy) the scenario says
// so and checks each browser's behaviour; `only` marks the few a browser cannot run at all.
import assert from 'node:assert/strict';
import { settle } from '../lib/harness.mjs';
import { autofillClickjackingScenario, realClick } from '../lib/autofill.mjs';
import { hiddenPasskeysScenario, managerRow, waitStatus } from '../lib/signals.mjs';
import {
  CREATE,
  GET,
  answerCreate,
  authenticationOptions,
  choosePasskey,
  registerPasskey,
  registrationOptions,
  unlockVault,
  verifyAuthentication,
  verifyRegistration,
  verifyUser,
  virtualAuthenticator,
} from '../lib/webauthn.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
// authenticatorData flags (WebAuthn §6.1): UP 0x01, UV 0x04.
const UP = 0x01;
const UV = 0x04;
const RESPONSE_KEYS = ['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type'];

// Firefox's own refusal of a WebAuthn request from a document that does not have the focus (a
// background tab; headless Firefox gives the harness's first tab none either): the wording of a
// call that reached Firefox's WebAuthn instead of credwell's. Firefox 153 corrected the interface
// name in it; each ESR is held to its own exact wording.
export const firefoxRefusal = (major) => {
  if (!Number.isInteger(major)) throw new Error(`unknown Firefox version ${major}`);
  return major >= 153 ? 'CredentialsContainer request is not allowed.' : 'CredentialContainer request is not allowed.';
};

/** The iframe last added to the page: where it is drawn (page coordinates). */
const lastFrameBox = (h) =>
  h.page.evaluate(() => {
    const frames = document.querySelectorAll('iframe');
    const r = frames[frames.length - 1].getBoundingClientRect();
    return { x: r.x, y: r.y };
  });

export const scenarios = [
  {
    name: 'passkeys: register, then sign in, verified by @simplewebauthn/server',
    async run(h) {
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
      assert.equal(created.attachment, 'platform', "credwell's authenticator, not the browser's (which says cross-platform for a security key)");
      assert.deepEqual(created.transports, ['internal']);
      assert.equal(created.flags & (UP | UV), UP | UV, 'UP and UV set after the passphrase');
      const clientData = JSON.parse(created.clientDataJSON);
      assert.equal(clientData.type, 'webauthn.create');
      assert.equal(clientData.origin, h.origin);
      assert.equal(clientData.challenge, regOptions.challenge);
      // toJSON(): RegistrationResponseJSON.
      const j = created.json;
      assert.deepEqual(Object.keys(j).sort(), RESPONSE_KEYS);
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
      assert.deepEqual(Object.keys(got.json).sort(), RESPONSE_KEYS);
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
    },
  },
  {
    name: 'passkeys: the WebAuthn errors (SecurityError, InvalidStateError, NotAllowedError without a prompt, AbortError, cross-origin iframe)',
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const { credential } = await registerPasskey(h, 'bob');

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
      if (h.browser === 'firefox') {
        assert.notEqual(unknown.message, firefoxRefusal(h.browserMajor), "credwell's NotAllowedError, not Firefox's");
      }
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

      // A cross-origin iframe (a.localhost: another, still secure, origin) without
      // allow="publickey-credentials-get": NotAllowedError, by the permissions policy's default
      // allowlist ('self'). In Firefox an allow attribute does not help either: it has no
      // document.featurePolicy, so the extension cannot learn what the embedder allowed (in
      // Chromium it does: "a cross-origin iframe the embedder allowed" below).
      const allows = h.browser === 'firefox' ? [undefined, 'publickey-credentials-get'] : [undefined];
      for (const allow of allows) {
        const frame = await h.addFrame({ src: `http://a.localhost:${h.port}/blank.html`, allow });
        const cross = await settle(frame, () =>
          navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), rpId: 'a.localhost' } }));
        assert.deepEqual([cross.name, cross.domException], ['NotAllowedError', true], `cross-origin iframe, allow=${allow}: ${JSON.stringify(cross)}`);
        assert.match(cross.message, /permissions policy/, `credwell's refusal names the permissions policy (allow=${allow})`);
      }
      // A same-origin iframe is fine: it reaches the chooser, then (userVerification defaults to
      // "preferred") the passphrase prompt.
      const same = await h.addFrame({ src: `${h.origin}/blank.html` });
      const sameGet = same.evaluate(() => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } }).then((c) => c.id));
      sameGet.catch(() => {});
      await choosePasskey(h, 0);
      await verifyUser(h);
      assert.equal(await sameGet, credential.id);
    },
  },
  {
    name: 'passkeys: statics, BufferSources copied at the call, toJSON round trips through parse*FromJSON, signals, store → NotSupportedError',
    async run(h) {
      await h.goto('/blank.html');
      const statics = await h.page.evaluate(async () => {
        const caps = await PublicKeyCredential.getClientCapabilities();
        const bad = [];
        for (const f of [
          () => PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'not base64url!' }),
          () => PublicKeyCredential.parseCreationOptionsFromJSON({ rp: { name: 'x' }, user: { id: '***', name: 'u', displayName: 'U' }, challenge: 'AAAA', pubKeyCredParams: [] }),
          () => PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'AAAA', allowCredentials: [{ type: 'public-key', id: 'a+b/' }] }),
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
          keys: Object.keys(caps),
          values: [...new Set(Object.values(caps).map((v) => typeof v))],
          passkeyPlatformAuthenticator: caps.passkeyPlatformAuthenticator,
          uvpaa: await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
          conditional: await PublicKeyCredential.isConditionalMediationAvailable(),
          bad,
        };
      });
      // credwell's statics replace the browser's.
      assert.deepEqual(statics.keys, [...statics.keys].sort());
      assert.ok(statics.keys.includes('passkeyPlatformAuthenticator') && statics.keys.includes('signalUnknownCredential'));
      assert.deepEqual(statics.values, ['boolean']);
      assert.equal(statics.passkeyPlatformAuthenticator, true);
      assert.equal(statics.uvpaa, true);
      assert.equal(statics.conditional, true);
      assert.deepEqual(statics.bad, ['EncodingError:true', 'EncodingError:true', 'EncodingError:true', 'TypeError:false']);

      await unlockVault(h);
      // Every BufferSource kind (an offset Uint8Array challenge, a DataView user id), copied at
      // the call: the page overwrites its buffers right after calling create(), and the RP still
      // sees the original bytes.
      const options = await registrationOptions('carol', { userVerification: 'discouraged' });
      const creating = h.page.evaluate(async (json) => {
        const p = PublicKeyCredential.parseCreationOptionsFromJSON(json);
        const challenge = new Uint8Array(p.challenge);
        const padded = new ArrayBuffer(challenge.length + 8);
        new Uint8Array(padded).set(challenge, 4);
        const userId = new Uint8Array(p.user.id);
        const user = { ...p.user, id: new DataView(userId.buffer) };
        const publicKey = { ...p, challenge: new Uint8Array(padded, 4, challenge.length), user };
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
        // toJSON() → JSON text → parse: the same object.
        return { json: c.toJSON(), text: JSON.stringify(c), ext: c.getClientExtensionResults(), stored };
      }, options);
      creating.catch(() => {});
      await answerCreate(h);
      const created = await creating;
      assert.deepEqual(JSON.parse(created.text), created.json, 'JSON.stringify uses toJSON()');
      assert.deepEqual(created.ext, created.json.clientExtensionResults);
      assert.equal(created.stored, 'NotSupportedError', 'a registration cannot be stored');
      const info = await verifyRegistration(created.json, options, h.origin);
      const credential = info.credential;
      assert.equal(credential.id, created.json.id);

      // parse*FromJSON and back: every BufferSource decodes to the same bytes; defaults filled.
      const round = await h.page.evaluate(({ reg, auth }) => {
        const b64 = (ab) => new Uint8Array(ab).toBase64({ alphabet: 'base64url', omitPadding: true });
        const c = PublicKeyCredential.parseCreationOptionsFromJSON(reg);
        const r = PublicKeyCredential.parseRequestOptionsFromJSON(auth);
        return {
          challenge: b64(c.challenge), userId: b64(c.user.id), isBuffer: c.challenge instanceof ArrayBuffer,
          exclude: c.excludeCredentials.map((d) => b64(d.id)),
          rChallenge: b64(r.challenge), allow: r.allowCredentials.map((d) => b64(d.id)),
          uv: r.userVerification, hints: r.hints,
        };
      }, { reg: await registrationOptions('x', { exclude: [credential.id] }), auth: { challenge: 'AQID', allowCredentials: [{ type: 'public-key', id: credential.id }] } });
      assert.equal(round.isBuffer, true);
      assert.deepEqual(round.exclude, [credential.id]);
      assert.deepEqual([round.rChallenge, round.allow, round.uv, round.hints], ['AQID', [credential.id], 'preferred', []]);

      // A sign-in cannot be stored either (NotSupportedError); its toJSON() parses back.
      const auth = await authenticationOptions({ allow: [credential.id], userVerification: 'discouraged' });
      const getting = h.page.evaluate(async (json) => {
        const c = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
        let stored;
        try {
          await navigator.credentials.store(c);
          stored = 'stored';
        } catch (e) {
          stored = e.name;
        }
        return { json: JSON.parse(JSON.stringify(c)), stored, attachment: c.authenticatorAttachment };
      }, auth);
      getting.catch(() => {});
      await choosePasskey(h, 0);
      const got = await getting;
      assert.equal(got.stored, 'NotSupportedError');
      await verifyAuthentication(got.json, auth, h.origin, credential);

      // Signals: a bad RP ID is SecurityError; signalUnknownCredential removes the passkey, so
      // a sign-in naming it finds nothing.
      const signals = await h.page.evaluate(async (id) => {
        const out = [];
        for (const f of [
          () => PublicKeyCredential.signalUnknownCredential({ rpId: 'example.com', credentialId: id }),
          () => PublicKeyCredential.signalUnknownCredential({ rpId: 'localhost' }),
          () => PublicKeyCredential.signalCurrentUserDetails({ rpId: 'localhost', userId: 'AQID', name: 'n', displayName: 'd' }),
          () => PublicKeyCredential.signalUnknownCredential({ rpId: 'localhost', credentialId: id }),
        ]) {
          try {
            out.push(String(await f()));
          } catch (e) {
            out.push(e.name);
          }
        }
        try {
          await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8), allowCredentials: [{ type: 'public-key', id: Uint8Array.fromBase64(id, { alphabet: 'base64url' }) }] } });
          out.push('found');
        } catch (e) {
          out.push(e.name);
        }
        return out;
      }, credential.id);
      assert.deepEqual(signals, ['SecurityError', 'TypeError', 'undefined', 'undefined', 'NotAllowedError']);
    },
  },
  {
    // Chromium: a CDP virtual authenticator (usb) answers what reaches Chromium's own WebAuthn.
    // Firefox has none over BiDi; what Firefox itself decides is checked instead: it refuses
    // WebAuthn in a document that does not have the focus, with its own NotAllowedError message
    // (credwell never words one so, and does not look at the focus). So from a background tab,
    // with the vault unlocked (credwell would show its prompt at once), security-key-only
    // requests come back with Firefox's refusal, while a platform request from the same tab
    // reaches credwell's prompt. (scenarios/core.mjs covers a security-key-only get() in the
    // focused tab as well.)
    name: "passkeys: requests for a security key only go to the browser's own WebAuthn",
    async run(h) {
      await h.goto('/blank.html');
      if (h.browser === 'chromium') await securityKeyInChromium(h);
      else await securityKeyInFirefox(h);
    },
  },
  {
    name: 'passkeys: the manager page lists passkeys and deletes one; signing in with it then finds nothing',
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const { credential } = await registerPasskey(h, 'dora');
      const manager = await h.openExtensionPage('src/ui/manager.html');
      const row = await managerRow(h, manager, credential.id);
      assert.match(row.text, /localhost/);
      assert.match(row.text, /dora/);
      assert.match(row.text, /passkey/);
      await manager.evaluate(() => {
        window.confirm = () => true;
      });
      await h.uiClick(manager, `#list tbody tr[data-credential-id="${credential.id}"] button.delete`);
      await waitStatus(manager, /No saved sign-ins|Could not/);
      assert.match(await manager.evaluate(() => document.getElementById('status').textContent), /No saved sign-ins/);
      assert.equal(await manager.evaluate(() => document.querySelectorAll('#list tbody tr').length), 0);
      await h.closeTab(manager);
      const gone = await settle(h.page, (id) =>
        navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8), allowCredentials: [{ type: 'public-key', id: Uint8Array.fromBase64(id, { alphabet: 'base64url' }) }] } }), credential.id);
      assert.equal(gone.name, 'NotAllowedError');
    },
  },
  {
    name: 'passkeys: extensions through the shim: credProps, largeBlob write then read, prf outputs as ArrayBuffers',
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const creating = h.page.evaluate(async () => {
        const c = await navigator.credentials.create({ publicKey: {
          rp: { name: 'x' }, user: { id: new Uint8Array([1]), name: 'u', displayName: 'U' }, challenge: new Uint8Array(16),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
          extensions: { largeBlob: { support: 'required' }, credProps: true, prf: {} } } });
        window.rawId = c.rawId;
        return c.getClientExtensionResults();
      });
      creating.catch(() => {});
      await answerCreate(h);
      assert.deepEqual(await creating, { prf: { enabled: true }, largeBlob: { supported: true }, credProps: { rk: true } });
      const writing = h.page.evaluate(async () => {
        // The blob is copied at the call: changing it afterwards changes nothing.
        const blob = new TextEncoder().encode('hello blob');
        const p = navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8), userVerification: 'discouraged',
          allowCredentials: [{ type: 'public-key', id: window.rawId }], extensions: { largeBlob: { write: blob } } } });
        blob.fill(0);
        return (await p).getClientExtensionResults();
      });
      writing.catch(() => {});
      await choosePasskey(h);
      assert.deepEqual(await writing, { largeBlob: { written: true } });
      const reading = h.page.evaluate(async () => {
        const c = await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8), userVerification: 'discouraged',
          allowCredentials: [{ type: 'public-key', id: window.rawId }], extensions: { largeBlob: { read: true }, prf: { eval: { first: new Uint8Array(32) } } } } });
        const x = c.getClientExtensionResults();
        return {
          blob: new TextDecoder().decode(x.largeBlob.blob),
          buffers: [x.largeBlob.blob instanceof ArrayBuffer, x.prf.results.first instanceof ArrayBuffer, x.prf.results.first.byteLength],
          json: c.toJSON().clientExtensionResults,
        };
      });
      reading.catch(() => {});
      await choosePasskey(h);
      const read = await reading;
      assert.equal(read.blob, 'hello blob');
      assert.deepEqual(read.buffers, [true, true, 32]);
      assert.equal(read.json.largeBlob.blob, Buffer.from('hello blob').toString('base64url'));
      assert.match(read.json.prf.results.first, /^[A-Za-z0-9_-]{43}$/);
    },
  },
  {
    // The offer is drawn by the ISOLATED-world content script (src/autofill.js) under a field
    // whose autocomplete has the webauthn token, in a closed shadow root. A real click on the
    // visible list signs in: in Chromium at once (IntersectionObserver v2 says the list was
    // seen), in Firefox (no v2) through credwell's chooser, where the user picks
    // (lib/autofill.mjs: the clickjacking scenario).
    name: "passkeys: closing the unlock window ends a ceremony with NotAllowedError; a conditional get() offers the passkeys in the page's autofill, a real click on the visible list signs in",
    async run(h) {
      await h.goto('/blank.html');
      // Locked vault: a sign-in asks to unlock first; closing that window declines.
      const declined = settle(h.page, () => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8) } }));
      await h.closeUiWindow(await h.waitForUi('unlock'));
      const d = await declined;
      assert.deepEqual([d.name, d.domException], ['NotAllowedError', true], `closing the unlock window: ${JSON.stringify(d)}`);

      await unlockVault(h);
      const { credential, userId } = await registerPasskey(h, 'erin');
      await h.page.evaluate(() => {
        const plain = document.createElement('input');
        plain.id = 'plain';
        plain.autocomplete = 'username';
        const input = document.createElement('input');
        input.id = 'login';
        input.autocomplete = 'username webauthn';
        document.body.append(plain, input);
      });
      const options = await authenticationOptions({ userVerification: 'discouraged' });
      // A conditional get() whose outcome (the response's toJSON()) is the returned promise; a
      // new one aborts the one before.
      const conditional = () => {
        const p = h.page.evaluate(async (json) => {
          window.controller?.abort();
          window.controller = new AbortController();
          const c = await navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json), signal: window.controller.signal });
          return c.toJSON();
        }, options);
        p.catch(() => {});
        return p;
      };
      const listBox = () =>
        h.page.evaluate(() => {
          const el = document.querySelector('credwell-autofill');
          if (!el) return null;
          const r = el.getBoundingClientRect();
          return { x: r.x, y: r.y, shadowRootHidden: el.shadowRoot === null };
        });
      // Not offered in a field without the webauthn token (the offer arrives while it has the
      // focus); offered in the one with it, once it has the focus.
      await h.page.evaluate(() => document.getElementById('plain').focus());
      let getting = conditional();
      await sleep(1000);
      assert.equal(await listBox(), null, 'no offer under a field without the webauthn token');
      await h.page.evaluate(() => document.getElementById('login').focus());
      // Firefox fires no focus events in the harness's tab (headless, its document never has the
      // system focus), and src/autofill.js draws the list on a focus event or for the field that
      // has the focus when an offer arrives: there the request is made again, with the field
      // focused.
      if (h.browser === 'firefox') getting = conditional();
      const deadline = Date.now() + 30_000;
      let box = null;
      while (!box) {
        box = await listBox();
        if (!box && Date.now() > deadline) assert.fail('no autofill offer under the webauthn field within 30 s');
        if (!box) await sleep(50);
      }
      // The page cannot read the accounts (closed shadow root); no chooser window is open.
      assert.equal(box.shadowRootHidden, true, 'the page cannot open the offer (closed shadow root)');
      assert.equal(await h.uiOpen('passkey-chooser'), false, 'a conditional get() opens no chooser window');
      // A real click on the first account (title row 20 px, then 40 px rows), once the list's
      // frame has loaded and been seen for a while.
      await sleep(1500);
      // A pick counts only once the list has been seen visible for a while (the input guard);
      // on a loaded machine the frame can take longer than the wait above, and a click before
      // then is ignored, as it must be. So: click, and click again while nothing settled.
      const settled = getting.then((value) => ({ value }), (error) => ({ error }));
      let outcome = null;
      // (Firefox confirms in credwell's chooser instead: a click that counts opens it, then one
      // pick and the outcome; a click that came too early opens nothing, and is made again.)
      const firefox = h.browser === 'firefox';
      for (let attempt = 1; !outcome; attempt++) {
        await realClick(h, box.x + 30, box.y + 4 + 20 + 20);
        if (firefox) {
          const chooser = await h.waitForUi('passkey-chooser', 5000).catch(() => null);
          if (chooser) {
            await h.clickAndClose(chooser, '#accounts button[data-index="0"]');
            outcome = await settled;
          }
        } else {
          outcome = await Promise.race([settled, sleep(5000).then(() => null)]);
        }
        if (!outcome && attempt >= 6) assert.fail('six real clicks on the visible list signed nothing in');
      }
      if (outcome.error) throw outcome.error;
      const json = outcome.value;
      const info = await verifyAuthentication(json, options, h.origin, credential);
      assert.equal(info.userVerified, false);
      assert.equal(json.response.userHandle, userId);
      const until = Date.now() + 10_000;
      while ((await listBox()) !== null) {
        if (Date.now() > until) assert.fail('the offer stayed after the sign-in');
        await sleep(50);
      }

      // Aborting an open offer closes it and rejects with the reason.
      const aborted = h.page.evaluate(async (json) => {
        const c = new AbortController();
        const p = navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json), signal: c.signal });
        setTimeout(() => c.abort('stop'), 500);
        return p.then(() => 'resolved', (e) => e);
      }, await authenticationOptions({ userVerification: 'discouraged' }));
      assert.equal(await aborted, 'stop');
    },
  },
  {
    // Firefox cannot learn what the embedder allowed (no document.featurePolicy), so it refuses
    // these frames (the errors scenario above).
    name: 'passkeys: a cross-origin iframe the embedder allowed (allow="publickey-credentials-*")',
    only: ['chromium'],
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const frame = await h.addFrame({
        src: `http://a.localhost:${h.port}/blank.html`,
        allow: 'publickey-credentials-create; publickey-credentials-get',
      });
      // With a user gesture, so the frame has transient activation here (the host's tests cover
      // create without one). The consent prompt opens, and the passkey for a.localhost is made
      // from a cross-origin frame: clientData says so, with the top origin.
      const creating = h.withGesture(frame, () =>
        navigator.credentials
          .create({
            publicKey: {
              rp: { name: 'A' },
              user: { id: new Uint8Array([1, 2, 3]), name: 'frame-user', displayName: 'Frame User' },
              challenge: new Uint8Array(16),
              pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
              authenticatorSelection: { userVerification: 'discouraged' },
            },
          })
          .then((c) => new TextDecoder().decode(c.response.clientDataJSON), (e) => e.name));
      await answerCreate(h);
      const clientData = JSON.parse(await creating);
      assert.equal(clientData.crossOrigin, true);
      assert.equal(clientData.topOrigin, h.origin);
      assert.equal(clientData.origin, `http://a.localhost:${h.port}`);
      // get() in the same frame, allowed by publickey-credentials-get: the chooser offers it.
      const getting = frame.evaluate(() =>
        navigator.credentials
          .get({ publicKey: { challenge: new Uint8Array(16), userVerification: 'discouraged' } })
          .then((c) => c.type, (e) => e.name));
      await choosePasskey(h, 0);
      assert.equal(await getting, 'public-key');
    },
  },
  {
    // A cross-origin frame's create() needs the embedder's allow, which Firefox cannot learn.
    name: 'passkeys: one click in a cross-origin iframe allows one create(), not two (the activation is consumed)',
    only: ['chromium'],
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const frame = await h.addFrame({ src: `http://a.localhost:${h.port}/blank.html`, allow: 'publickey-credentials-create' });
      // One real click in the frame, then two create()s in a row from it.
      const box = await lastFrameBox(h);
      await realClick(h, box.x + 10, box.y + 10);
      const results = frame.evaluate(async () => {
        const options = (name) => ({
          publicKey: {
            rp: { name: 'A' },
            user: { id: new TextEncoder().encode(name), name, displayName: name },
            challenge: new Uint8Array(16),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: { userVerification: 'discouraged' },
          },
        });
        const once = (name) => navigator.credentials.create(options(name)).then((c) => c.type, (e) => e.name);
        const first = await once('first');
        const active = navigator.userActivation.isActive;
        const second = await once('second');
        return { first, active, second };
      });
      results.catch(() => {});
      await answerCreate(h);
      // Without consumption the second create() would open a second consent prompt and wait.
      const outcome = await Promise.race([results, sleep(15_000).then(() => 'timeout')]);
      assert.notEqual(outcome, 'timeout', 'the second create() was not refused (a second prompt opened)');
      assert.equal(outcome.first, 'public-key');
      assert.equal(outcome.active, true, 'the browser still reports the activation as active');
      assert.equal(outcome.second, 'NotAllowedError');
      assert.equal(await h.uiOpen('passkey-create'), false);
    },
  },
  {
    // Chromium: the list records the refusal; Firefox (no IntersectionObserver v2): a click only
    // opens credwell's chooser, where the visible list's pick is confirmed.
    name: 'passkeys: the autofill list cannot be clickjacked (opacity, filter, transform, clip, overlay → no sign-in); the visible list signs in',
    // A mask, said plainly: at load averages of 14-17 (several builds beside the suite) this
    // scenario outlasted its time once in about eight runs, on two branches, and passed when run
    // again; at load 10 it passed 2 of 2 without it. A timed-out attempt names the awaited call.
    retries: 1,
    run: (h) => autofillClickjackingScenario(h),
  },
  {
    name: 'passkeys: signals hide passkeys, never delete them: no get() finds them; the manager restores or purges them',
    run: (h) => hiddenPasskeysScenario(h),
  },
];

/** Chromium: security-key-only requests reach Chromium's WebAuthn (a CDP virtual authenticator). */
async function securityKeyInChromium(h) {
  const { cdp, id } = await virtualAuthenticator(h, h.page, { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false });
  const created = await h.page.evaluate(async () => {
    const c = await navigator.credentials.create({ publicKey: {
      rp: { name: 'e2e' }, user: { id: new Uint8Array([1, 2]), name: 'key', displayName: 'Key' },
      challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      hints: ['security-key'], authenticatorSelection: { userVerification: 'discouraged' } } });
    const j = c.toJSON();
    return { id: c.id, attachment: c.authenticatorAttachment, json: j, transports: c.response.getTransports(), proto: c instanceof PublicKeyCredential };
  });
  assert.equal(created.attachment, 'cross-platform');
  assert.equal(created.proto, true);
  assert.deepEqual(created.transports, ['usb']);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
  assert.equal(credentials.length, 1);
  // A get whose allowCredentials list only usb transports: the browser's again.
  const got = await h.page.evaluate(async (rawId) => {
    const c = await navigator.credentials.get({ publicKey: {
      challenge: new Uint8Array(16), userVerification: 'discouraged',
      allowCredentials: [{ type: 'public-key', id: Uint8Array.fromBase64(rawId, { alphabet: 'base64url' }), transports: ['usb'] }] } });
    return { id: c.id, attachment: c.authenticatorAttachment, json: c.toJSON() };
  }, created.id);
  assert.equal(got.id, created.id);
  assert.equal(got.attachment, 'cross-platform');
  assert.equal(got.json.id, created.id);
  // credwell never saw them: no prompt, no unlock.
  for (const ui of ['unlock', 'passkey-create', 'passkey-chooser']) assert.equal(await h.uiOpen(ui), false);
}

/** Firefox: from a background tab, security-key-only requests get Firefox's own refusal. */
async function securityKeyInFirefox(h) {
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
}
