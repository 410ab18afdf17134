// Passkeys in the browser: PublicKeyCredential through credwell's shim, background and host in
// headless Chromium, every registration and assertion verified by an independent relying party
// (@simplewebauthn/server); the WebAuthn error cases; and requests for a hardware security key
// reaching Chromium's own WebAuthn (a CDP virtual authenticator, transport usb).
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, settle, addFrame } from '../lib/harness.mjs';
import { autofillClickjackingScenario } from '../lib/autofill.mjs';
import { hiddenPasskeysScenario } from '../lib/signals.mjs';
import {
  RP_ID,
  answerCreate,
  authenticationOptions,
  choosePasskey,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
  verifyUser,
  virtualAuthenticator,
  unlockVault,
  CREATE,
  GET,
} from '../lib/webauthn.mjs';

const T = { timeout: 180_000 };

test('passkeys: register, then sign in, verified by @simplewebauthn/server', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    // Registration with user verification required: consent, then the passphrase again.
    const regOptions = await registrationOptions('alice', { userVerification: 'required' });
    const creating = h.page.evaluate(CREATE, regOptions);
    const consent = await answerCreate(h);
    assert.match(consent, /localhost/);
    assert.match(consent, /alice/);
    const verifyText = await verifyUser(h);
    assert.match(verifyText, /create a passkey/);
    const created = await creating;
    assert.deepEqual(created.proto, [true, true, true, true]);
    assert.equal(created.tag, '[object PublicKeyCredential]');
    assert.equal(created.type, 'public-key');
    assert.equal(created.id, created.rawId);
    assert.equal(created.sameRawId, true);
    assert.equal(created.attachment, 'platform');
    assert.deepEqual(created.transports, ['internal']);
    const clientData = JSON.parse(created.clientDataJSON);
    assert.equal(clientData.type, 'webauthn.create');
    assert.equal(clientData.origin, h.origin);
    assert.equal(clientData.challenge, regOptions.challenge);
    // toJSON(): RegistrationResponseJSON.
    const j = created.json;
    assert.deepEqual(Object.keys(j).sort(), ['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
    assert.equal(j.id, created.id);
    assert.equal(j.rawId, created.rawId);
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
    const accounts = await choosePasskey(h, 0);
    assert.equal(accounts.length, 1);
    assert.match(accounts[0], /ALICE/);
    assert.match(await verifyUser(h), /sign in/);
    const got = await getting;
    assert.deepEqual(got.proto, [true, true, true]);
    assert.equal(got.id, credential.id);
    assert.equal(got.userHandle, regOptions.user.id);
    assert.equal(JSON.parse(got.clientDataJSON).type, 'webauthn.get');
    assert.deepEqual(Object.keys(got.json).sort(), ['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
    assert.deepEqual(Object.keys(got.json.response).sort(), ['authenticatorData', 'clientDataJSON', 'signature', 'userHandle']);
    const auth = await verifyAuthentication(got.json, authOptions, h.origin, credential, { requireUserVerification: true });
    assert.equal(auth.userVerified, true);

    // Sign in again, user verification discouraged, naming the credential: the chooser only.
    const again = await authenticationOptions({ allow: [credential.id], userVerification: 'discouraged' });
    const getting2 = h.page.evaluate(GET, again);
    await choosePasskey(h, 0);
    const got2 = await getting2;
    const auth2 = await verifyAuthentication(got2.json, again, h.origin, { ...credential, counter: auth.newCounter });
    assert.equal(auth2.userVerified, false);
    assert.equal(h.uiOpen('passkey-verify'), false);
  }));

// A registration through credwell with no prompts but consent (UV discouraged); returns the
// verified credential {id, publicKey, counter} and the user id (base64url).
async function register(h, userName, { exclude = [] } = {}) {
  const options = await registrationOptions(userName, { userVerification: 'discouraged', exclude });
  const creating = h.page.evaluate(CREATE, options);
  await answerCreate(h);
  const created = await creating;
  const info = await verifyRegistration(created.json, options, h.origin);
  return { credential: info.credential, userId: options.user.id, created };
}

test('passkeys: the WebAuthn errors (SecurityError, InvalidStateError, NotAllowedError, abort, cross-origin iframe)', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const { credential } = await register(h, 'bob');

    // RP ID not the caller's: SecurityError, for create and get.
    const badRp = await settle(h.page, () =>
      navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), rpId: 'example.com' } }));
    assert.deepEqual([badRp.name, badRp.domException], ['SecurityError', true]);
    const badRpCreate = await settle(h.page, () =>
      navigator.credentials.create({ publicKey: {
        rp: { id: 'example.com', name: 'x' }, user: { id: new Uint8Array([1]), name: 'u', displayName: 'U' },
        challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } }));
    assert.equal(badRpCreate.name, 'SecurityError');

    // An excluded credential already in the vault: the prompt says so; confirming →
    // InvalidStateError.
    const options = await registrationOptions('bob', { userVerification: 'discouraged', exclude: [credential.id] });
    const excluded = settle(h.page, async (json) => navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) }).then(String), options);
    const text = await answerCreate(h);
    assert.match(text, /already saved/);
    const ex = await excluded;
    assert.deepEqual([ex.name, ex.domException], ['InvalidStateError', true]);

    // allowCredentials naming no passkey here: NotAllowedError, without a prompt.
    const unknown = await settle(h.page, () =>
      navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), allowCredentials: [{ type: 'public-key', id: new Uint8Array([9, 9, 9]) }] } }));
    assert.deepEqual([unknown.name, unknown.domException], ['NotAllowedError', true]);
    assert.equal(h.uiOpen('passkey-chooser'), false);

    // Abort: before the call (AbortError, then the page's reason), and while the chooser is open.
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
    assert.deepEqual(pre.value, ['AbortError:true', 'CustomError']);
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
    assert.equal(await during, 'the same reason');
    await h.waitUiClosed(chooser);

    // A cross-origin iframe (a.localhost is another, still secure, origin) without
    // allow="publickey-credentials-get": NotAllowedError.
    const frame = await addFrame(h.page, { src: `http://a.localhost:${h.port}/blank.html` });
    const cross = await settle(frame, () =>
      navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), rpId: 'a.localhost' } }));
    assert.deepEqual([cross.name, cross.domException], ['NotAllowedError', true]);
    // A same-origin iframe is fine: it reaches the chooser, then (userVerification defaults to
    // "preferred") the passphrase prompt.
    const same = await addFrame(h.page, { src: `${h.origin}/blank.html` });
    const sameGet = same.evaluate(() => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } }).then((c) => c.id));
    await choosePasskey(h, 0);
    await verifyUser(h);
    assert.equal(await sameGet, credential.id);
  }));

test('passkeys: statics, BufferSources, toJSON round trips through parse*FromJSON, signals, store', T, () =>
  withBrowser({}, async (h) => {
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
        uvpaa: await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable(),
        conditional: await PublicKeyCredential.isConditionalMediationAvailable(),
        bad,
      };
    });
    assert.deepEqual(statics.keys, [...statics.keys].sort());
    assert.ok(statics.keys.includes('passkeyPlatformAuthenticator') && statics.keys.includes('signalUnknownCredential'));
    assert.deepEqual(statics.values, ['boolean']);
    assert.equal(statics.uvpaa, true);
    assert.equal(statics.conditional, true);
    assert.deepEqual(statics.bad, ['EncodingError:true', 'EncodingError:true', 'EncodingError:true', 'TypeError:false']);

    await unlockVault(h);
    // Every BufferSource kind, copied at the call: the page overwrites its buffers right after
    // calling create(), and the RP still sees the original challenge and user id.
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
      const json2 = c.toJSON();
      // toJSON() → JSON text → parse: the same object.
      return { json: json2, text: JSON.stringify(c), ext: c.getClientExtensionResults() };
    }, options);
    await answerCreate(h);
    const created = await creating;
    assert.deepEqual(JSON.parse(created.text), created.json);
    assert.deepEqual(created.ext, created.json.clientExtensionResults);
    const info = await verifyRegistration(created.json, options, h.origin);
    const credential = info.credential;

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

    // A credential cannot be stored (NotSupportedError); a sign-in's toJSON() parses back.
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
  }));

test('passkeys: a request for a security key only goes to Chromium’s own WebAuthn', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
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
    for (const ui of ['unlock', 'passkey-create', 'passkey-chooser']) assert.equal(h.uiOpen(ui), false);
  }));

test('passkeys: the manager page lists passkeys and deletes one; signing in with it then finds nothing', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const { credential } = await register(h, 'dora');
    const manager = await h.openExtensionPage('src/ui/manager.html');
    const row = manager.locator(`#list tbody tr[data-credential-id="${credential.id}"]`);
    await row.waitFor({ state: 'visible' });
    const text = await row.innerText();
    assert.match(text, /localhost/);
    assert.match(text, /dora/);
    assert.match(text, /passkey/);
    await manager.evaluate(() => {
      window.confirm = () => true;
    });
    await row.locator('button.delete').click();
    await manager.waitForFunction(() => /No saved sign-ins|Could not/.test(document.getElementById('status').textContent));
    assert.match(await manager.locator('#status').innerText(), /No saved sign-ins/);
    assert.equal(await manager.locator('#list tbody tr').count(), 0);
    const gone = await settle(h.page, (id) =>
      navigator.credentials.get({ publicKey: { challenge: new Uint8Array(8), allowCredentials: [{ type: 'public-key', id: Uint8Array.fromBase64(id, { alphabet: 'base64url' }) }] } }), credential.id);
    assert.equal(gone.name, 'NotAllowedError');
  }));

test('passkeys: extensions through the shim: credProps, largeBlob write then read, prf outputs as ArrayBuffers', T, () =>
  withBrowser({}, async (h) => {
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
    await choosePasskey(h);
    const read = await reading;
    assert.equal(read.blob, 'hello blob');
    assert.deepEqual(read.buffers, [true, true, 32]);
    assert.equal(read.json.largeBlob.blob, Buffer.from('hello blob').toString('base64url'));
    assert.match(read.json.prf.results.first, /^[A-Za-z0-9_-]{43}$/);
  }));

test('passkeys: a conditional get() offers the passkeys in the page\'s autofill (an extension frame); a trusted click on the visible list signs in', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const { credential, userId } = await register(h, 'erin');
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
    const getting = h.page.evaluate(async (json) => {
      window.controller = new AbortController();
      const c = await navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json), signal: window.controller.signal });
      return c.toJSON();
    }, options);
    const list = h.page.locator('credwell-autofill');
    // Not offered in a field without the webauthn token; offered in the one with it.
    await h.page.focus('#plain');
    await new Promise((ok) => setTimeout(ok, 300));
    assert.equal(await list.count(), 0);
    await h.page.focus('#login');
    await list.waitFor({ state: 'attached' });
    // The page cannot read the accounts (closed shadow root), nor pick one with a synthetic click.
    assert.equal(await h.page.evaluate(() => document.querySelector('credwell-autofill').shadowRoot), null);
    assert.equal(h.uiOpen('passkey-chooser'), false);
    // A real click on the first account (title row 20 px, then 40 px rows), once the list's frame
    // has loaded and been seen for a while (e2e/lib/autofill.mjs: the clickjacking tests).
    await new Promise((ok) => setTimeout(ok, 1500));
    const box = await list.boundingBox();
    await h.page.mouse.click(box.x + 30, box.y + 4 + 20 + 20);
    const json = await getting;
    const info = await verifyAuthentication(json, options, h.origin, credential);
    assert.equal(info.userVerified, false);
    assert.equal(json.response.userHandle, userId);
    assert.equal(await list.count(), 0);

    // Aborting an open offer closes it and rejects with the reason.
    const aborted = h.page.evaluate(async (json) => {
      const c = new AbortController();
      const p = navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json), signal: c.signal });
      setTimeout(() => c.abort('stop'), 500);
      return p.then(() => 'resolved', (e) => e);
    }, await authenticationOptions({ userVerification: 'discouraged' }));
    assert.equal(await aborted, 'stop');
  }));

test('passkeys: a cross-origin iframe the embedder allowed (allow="publickey-credentials-*")', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const frame = await addFrame(h.page, {
      src: `http://a.localhost:${h.port}/blank.html`,
      allow: 'publickey-credentials-create; publickey-credentials-get',
    });
    // Playwright evaluates with a user gesture, so the frame has transient activation here (the
    // host's tests cover create without one). The consent prompt opens, and the passkey for
    // a.localhost is made from a cross-origin frame: clientData says so, with the top origin.
    const creating = frame.evaluate(() =>
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
  }));

test('passkeys: one click in a cross-origin iframe allows one create(), not two (the activation is consumed)', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const frame = await addFrame(h.page, { src: `http://a.localhost:${h.port}/blank.html`, allow: 'publickey-credentials-create' });
    // One real click in the frame, then two create()s in a row from it.
    const box = await h.page.locator('iframe').last().boundingBox();
    await h.page.mouse.click(box.x + 10, box.y + 10);
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
    await answerCreate(h);
    // Without consumption the second create() would open a second consent prompt and wait.
    const outcome = await Promise.race([results, new Promise((ok) => setTimeout(() => ok('timeout'), 15_000))]);
    assert.notEqual(outcome, 'timeout', 'the second create() was not refused (a second prompt opened)');
    assert.equal(outcome.first, 'public-key');
    assert.equal(outcome.active, true, 'the browser still reports the activation as active');
    assert.equal(outcome.second, 'NotAllowedError');
    assert.equal(h.uiOpen('passkey-create'), false);
  }));

test('passkeys: the autofill list cannot be clickjacked (opacity, filter, transform, clip, overlay → no sign-in); the visible list signs in', T, () =>
  withBrowser({}, (h) => autofillClickjackingScenario(h)));

test('passkeys: signals hide passkeys, never delete them: no get() finds them; the manager restores or purges them', T, () =>
  withBrowser({}, (h) => hiddenPasskeysScenario(h)));
