// WebAuthn hints ("security-key", "client-device", "hybrid", in the RP's order of preference)
// through credwell's shim, in both browsers: run by tests/hints.test.mjs (Chromium) and
// firefox/hints.test.mjs (Firefox ESR). "client-device" names credwell's own passkeys,
// "security-key" the browser's own WebAuthn; the first hint is tried first and, when the hints
// name both, the other is the alternative after a NotAllowedError.
//
// Chromium: a CDP virtual authenticator (usb) answers what reaches Chromium's WebAuthn, so which
// one signed shows in authenticatorAttachment ("cross-platform" for the key, "platform" for
// credwell). Firefox has no virtual authenticator over BiDi; from a background tab it refuses
// WebAuthn with its own message (scenarios/passkeys.mjs), which shows that the browser was
// asked, and credwell's prompt shows that credwell was.
import assert from 'node:assert/strict';
import { settle } from '../lib/harness.mjs';
import { answerCreate, choosePasskey, registerPasskey, unlockVault, virtualAuthenticator } from '../lib/webauthn.mjs';
import { firefoxRefusal } from './passkeys.mjs';

// In the page: get() naming `ids` (base64url) with `hints`; which authenticator answered, or
// the error.
const GET_WITH_HINTS = async ({ ids, hints }) => {
  const allowCredentials = ids.map((id) => ({ type: 'public-key', id: Uint8Array.fromBase64(id, { alphabet: 'base64url' }) }));
  try {
    const c = await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16), userVerification: 'discouraged', allowCredentials, hints, timeout: 15000 } });
    return { id: c.id, attachment: c.authenticatorAttachment };
  } catch (e) {
    return { name: e.name, message: e.message };
  }
};

// In the page: create() with `hints`; which authenticator made the credential.
const CREATE_WITH_HINTS = async (hints) => {
  const c = await navigator.credentials.create({ publicKey: {
    rp: { name: 'e2e' }, user: { id: crypto.getRandomValues(new Uint8Array(8)), name: 'made', displayName: 'Made' },
    challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], hints,
    authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' } } });
  return c.authenticatorAttachment;
};

/** A credential on Chromium's virtual usb key for this page's RP; returns its id. */
async function securityKeyCredential(h) {
  await virtualAuthenticator(h, h.page, { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false });
  return h.page.evaluate(async () => {
    const c = await navigator.credentials.create({ publicKey: {
      rp: { name: 'e2e' }, user: { id: new Uint8Array([9]), name: 'key', displayName: 'Key' },
      challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      hints: ['security-key'], authenticatorSelection: { userVerification: 'discouraged' } } });
    return c.id;
  });
}

export const scenarios = [
  {
    name: 'hints (Chromium): the first hint is tried first, the other after a NotAllowedError',
    only: ['chromium'],
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const key = await securityKeyCredential(h);
      const { credential } = await registerPasskey(h, 'erin');
      const both = [key, credential.id];

      // ["security-key", "client-device"]: the browser first; its key signs.
      let got = await h.page.evaluate(GET_WITH_HINTS, { ids: both, hints: ['security-key', 'client-device'] });
      assert.deepEqual(got, { id: key, attachment: 'cross-platform' }, JSON.stringify(got));
      assert.equal(await h.uiOpen('passkey-chooser'), false, 'credwell was not asked');

      // ["client-device", "security-key"]: credwell first; its chooser, its passkey.
      let getting = h.page.evaluate(GET_WITH_HINTS, { ids: both, hints: ['client-device', 'security-key'] });
      getting.catch(() => {});
      await choosePasskey(h, 0);
      assert.deepEqual(await getting, { id: credential.id, attachment: 'platform' });

      // ["client-device", "security-key"], credwell holding none of the list: credwell says
      // NotAllowedError without a prompt, and the browser's key is the alternative.
      got = await h.page.evaluate(GET_WITH_HINTS, { ids: [key], hints: ['client-device', 'security-key'] });
      assert.deepEqual(got, { id: key, attachment: 'cross-platform' }, JSON.stringify(got));

      // ["security-key", "client-device"], the key holding none of it: after the browser's
      // NotAllowedError, credwell's chooser.
      getting = h.page.evaluate(GET_WITH_HINTS, { ids: [credential.id], hints: ['security-key', 'client-device'] });
      getting.catch(() => {});
      await choosePasskey(h, 0);
      assert.deepEqual(await getting, { id: credential.id, attachment: 'platform' });

      // "hybrid" names the browser too (credwell has no hybrid transport).
      got = await h.page.evaluate(GET_WITH_HINTS, { ids: both, hints: ['hybrid', 'client-device'] });
      assert.deepEqual(got, { id: key, attachment: 'cross-platform' }, JSON.stringify(got));

      // create() follows the same order: the key first, or credwell's consent prompt first.
      assert.equal(await h.page.evaluate(CREATE_WITH_HINTS, ['security-key', 'client-device']), 'cross-platform');
      const creating = h.page.evaluate(CREATE_WITH_HINTS, ['client-device', 'security-key']);
      creating.catch(() => {});
      await answerCreate(h);
      assert.equal(await creating, 'platform');

      // One hint alone has no alternative: ["client-device"] with only the key's credential
      // ends in credwell's NotAllowedError; ["security-key"] with only credwell's, in the
      // browser's.
      got = await h.page.evaluate(GET_WITH_HINTS, { ids: [key], hints: ['client-device'] });
      assert.equal(got.name, 'NotAllowedError', JSON.stringify(got));
      got = await h.page.evaluate(GET_WITH_HINTS, { ids: [credential.id], hints: ['security-key'] });
      assert.equal(got.name, 'NotAllowedError', JSON.stringify(got));
      assert.equal(await h.uiOpen('passkey-chooser'), false);
    },
  },
  {
    name: "hints (Firefox): the first hint is tried first, the other after a NotAllowedError (Firefox's own refusal in a background tab)",
    only: ['firefox'],
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      const { credential } = await registerPasskey(h, 'erin');
      const tab = await h.newTab(`${h.origin}/blank.html`);
      assert.equal(await tab.evaluate(() => document.hasFocus()), false, 'a background tab does not have the focus');
      const refusal = { name: 'NotAllowedError', message: firefoxRefusal(h.browserMajor) };

      // ["security-key", "client-device"]: Firefox refuses first, then credwell's chooser.
      const getting = tab.evaluate(GET_WITH_HINTS, { ids: [credential.id], hints: ['security-key', 'client-device'] });
      getting.catch(() => {});
      await choosePasskey(h, 0);
      assert.deepEqual(await getting, { id: credential.id, attachment: 'platform' });

      // ["client-device", "security-key"], credwell holding none of the list: credwell's
      // NotAllowedError (no prompt), then the browser, which refuses in its own words.
      let got = await tab.evaluate(GET_WITH_HINTS, { ids: ['BwcHBwcH'], hints: ['client-device', 'security-key'] });
      assert.deepEqual(got, refusal, 'the browser was asked second');
      // ["client-device"] alone: credwell's own NotAllowedError, not Firefox's wording.
      got = await tab.evaluate(GET_WITH_HINTS, { ids: ['BwcHBwcH'], hints: ['client-device'] });
      assert.equal(got.name, 'NotAllowedError');
      assert.notEqual(got.message, refusal.message, 'the browser was not asked');
      // ["security-key"] alone: the browser only.
      got = await tab.evaluate(GET_WITH_HINTS, { ids: [credential.id], hints: ['security-key'] });
      assert.deepEqual(got, refusal);
      assert.equal(await h.uiOpen('passkey-chooser'), false);
      // An abort is not a NotAllowedError: no alternative after it.
      const aborted = await settle(tab, async (id) => {
        const c = new AbortController();
        const p = navigator.credentials.get({ signal: c.signal, publicKey: { challenge: new Uint8Array(16), hints: ['client-device', 'security-key'],
          allowCredentials: [{ type: 'public-key', id: Uint8Array.fromBase64(id, { alphabet: 'base64url' }) }] } });
        c.abort();
        return p;
      }, credential.id);
      assert.equal(aborted.name, 'AbortError', JSON.stringify(aborted));
    },
  },
];
