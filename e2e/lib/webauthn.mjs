// Passkey helpers for the e2e tests and bench: driving credwell's passkey prompts
// (src/ui/passkey-create, passkey-chooser, passkey-verify) like a user, a relying party's side
// with @simplewebauthn/server, and Chromium's own virtual authenticator over CDP. The prompt
// helpers use only the driver-neutral UI calls both harnesses have (h.waitForUi, h.uiWait,
// h.uiText, h.uiTexts, h.uiFill, h.clickAndClose), so they serve lib/harness.mjs (Chromium) and
// lib/firefox.mjs (Firefox) alike.
import assert from 'node:assert/strict';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { PASSPHRASE } from './harness.mjs';

export const RP_ID = 'localhost';

/** Consents in the passkey.create prompt (`create` false: Cancel); returns the prompt's text. */
export async function answerCreate(h, create = true) {
  const ui = await h.waitForUi('passkey-create');
  await h.uiWait(ui, '#account:not(:empty)');
  // No confirming control has the focus by default (src/ui/guard.js, scenarios/prompts.mjs).
  assert.notEqual(await ui.evaluate(() => document.activeElement?.id), 'create', 'Create is not focused by default');
  const text = await h.uiText(ui, 'main');
  await h.clickAndClose(ui, create ? '#create' : '#cancel');
  return text;
}

/** Picks account `index` in the passkey chooser; returns the accounts' texts. */
export async function choosePasskey(h, index = 0) {
  const ui = await h.waitForUi('passkey-chooser');
  const texts = await h.uiTexts(ui, '#accounts button');
  await h.clickAndClose(ui, `#accounts button[data-index="${index}"]`);
  return texts;
}

/** Answers the verify prompt with `passphrase`; returns the prompt's text. */
export async function verifyUser(h, passphrase = PASSPHRASE) {
  const ui = await h.waitForUi('passkey-verify');
  await h.uiWait(ui, '#purpose:not(:empty)');
  const text = await h.uiText(ui, 'main');
  await h.uiFill(ui, '#passphrase', passphrase);
  await h.clickAndClose(ui, '#verify');
  return text;
}

/** Relying-party options (JSON) from @simplewebauthn/server for `userName` on RP_ID. */
export function registrationOptions(userName, { userVerification = 'preferred', exclude = [] } = {}) {
  return generateRegistrationOptions({
    rpName: 'credwell e2e',
    rpID: RP_ID,
    userName,
    userDisplayName: userName.toUpperCase(),
    attestationType: 'none',
    excludeCredentials: exclude.map((id) => ({ id, transports: ['internal'] })),
    authenticatorSelection: { residentKey: 'required', userVerification },
    supportedAlgorithmIDs: [-7, -8, -257],
  });
}

export function authenticationOptions({ allow = [], userVerification = 'preferred' } = {}) {
  return generateAuthenticationOptions({
    rpID: RP_ID,
    allowCredentials: allow.map((id) => ({ id })),
    userVerification,
  });
}

/**
 * Registers a passkey for `userName` through credwell from the main page: the RP's options
 * (registrationOptions, user verification discouraged unless given), create({publicKey}) in the
 * page (CREATE), consent in the prompt, and the response verified by @simplewebauthn/server.
 * Returns {credential (registrationInfo.credential), userId (base64url), options, created}.
 */
export async function registerPasskey(h, userName, { userVerification = 'discouraged', exclude = [], frame = h.page } = {}) {
  const options = await registrationOptions(userName, { userVerification, exclude });
  const creating = frame.evaluate(CREATE, options);
  creating.catch(() => {});
  await answerCreate(h);
  const created = await creating;
  const info = await verifyRegistration(created.json, options, h.origin);
  return { credential: info.credential, userId: options.user.id, options, created };
}

/**
 * Verifies a RegistrationResponseJSON with @simplewebauthn/server; returns registrationInfo.
 * `requireUserPresence: false` for an automatic upgrade (a conditional create: UP clear).
 */
export async function verifyRegistration(response, options, origin, { requireUserVerification = false, requireUserPresence = true } = {}) {
  const v = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: RP_ID,
    requireUserVerification,
    requireUserPresence,
  });
  assert.equal(v.verified, true);
  return v.registrationInfo;
}

/** Verifies an AuthenticationResponseJSON against a registered credential; returns the info. */
export async function verifyAuthentication(response, options, origin, credential, { requireUserVerification = false } = {}) {
  const v = await verifyAuthenticationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: RP_ID,
    credential,
    requireUserVerification,
  });
  assert.equal(v.verified, true);
  return v.authenticationInfo;
}

/** Chromium's virtual authenticator on `page` (CDP WebAuthn domain); returns {cdp, id}. */
export async function virtualAuthenticator(h, page, options) {
  const cdp = await h.ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { automaticPresenceSimulation: true, isUserVerified: true, ...options },
  });
  return { cdp, id: authenticatorId };
}

/**
 * Unlocks the vault from an extension page (as the unlock page does). A fresh ephemeral vault has
 * no passphrase until its first unlock, so `verify` prompts could not check one before it.
 */
export async function unlockVault(h, passphrase = PASSPHRASE) {
  const reply = await h.extensionEval((p) => chrome.runtime.sendMessage({ credwell: 1, kind: 'unlock', passphrase: p }), passphrase);
  assert.equal(reply.result?.locked, false, JSON.stringify(reply));
}

// In the page (serialized by the harness's evaluate, so self-contained): create({publicKey}) from
// the RP's JSON options through parseCreationOptionsFromJSON; the credential described, with its
// toJSON(). (Chromium and Firefox ESR 140 both have Uint8Array.prototype.toBase64.)
export const CREATE = async (json) => {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json);
  const c = await navigator.credentials.create({ publicKey });
  const r = c.response;
  const b64 = (ab) => new Uint8Array(ab).toBase64({ alphabet: 'base64url', omitPadding: true });
  return {
    json: c.toJSON(),
    proto: [c instanceof PublicKeyCredential, c instanceof Credential, r instanceof AuthenticatorAttestationResponse, r instanceof AuthenticatorResponse],
    tag: Object.prototype.toString.call(c),
    id: c.id,
    type: c.type,
    rawId: b64(c.rawId),
    sameRawId: c.rawId === c.rawId && c.response === c.response,
    attachment: c.authenticatorAttachment,
    clientDataJSON: new TextDecoder().decode(r.clientDataJSON),
    transports: r.getTransports(),
    alg: r.getPublicKeyAlgorithm(),
    publicKey: r.getPublicKey() === null ? null : b64(r.getPublicKey()),
    authenticatorData: b64(r.getAuthenticatorData()),
    flags: new Uint8Array(r.getAuthenticatorData())[32],
    attestationObject: b64(r.attestationObject),
    extensions: c.getClientExtensionResults(),
  };
};

// In the page: get({publicKey}) from the RP's JSON options through parseRequestOptionsFromJSON.
export const GET = async (json) => {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json);
  const c = await navigator.credentials.get({ publicKey });
  const r = c.response;
  const b64 = (ab) => new Uint8Array(ab).toBase64({ alphabet: 'base64url', omitPadding: true });
  return {
    json: c.toJSON(),
    proto: [c instanceof PublicKeyCredential, r instanceof AuthenticatorAssertionResponse, r instanceof AuthenticatorResponse],
    id: c.id,
    rawId: b64(c.rawId),
    attachment: c.authenticatorAttachment,
    userHandle: r.userHandle === null ? null : b64(r.userHandle),
    signature: b64(r.signature),
    authenticatorData: b64(r.authenticatorData),
    flags: new Uint8Array(r.authenticatorData)[32],
    clientDataJSON: new TextDecoder().decode(r.clientDataJSON),
  };
};
