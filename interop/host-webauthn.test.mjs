// Independent relying-party verification of credwell-host's passkeys.
//
// Spawns the credwell-host binary (CREDWELL_HOST_BIN) with a throwaway vault, speaks native
// messaging to it as the extension's background does (4-byte little-endian length + UTF-8
// JSON: hello, vault.unlock, credentials.create / credentials.get with publicKey options,
// ui.respond to its ui.show prompts), and verifies every registration and assertion with
// @simplewebauthn/server, a relying-party library written by someone else: signatures, RP ID
// hash, UP / UV / BE / BS flags, the signature counter, packed self attestation and none,
// ES256 and EdDSA; an automatic passkey upgrade (a conditional create after a password
// sign-in) verified with requireUserPresence false.
//
//   CREDWELL_HOST_BIN=target/debug/credwell-host node --test interop/host-webauthn.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST_BIN = process.env.CREDWELL_HOST_BIN
  ? resolve(process.env.CREDWELL_HOST_BIN)
  : join(REPO, 'target', 'debug', 'credwell-host');
const PASSPHRASE = 'interop passphrase';
const ORIGIN = 'https://example.com';
const RP_ID = 'example.com';
const CALLER = { origin: ORIGIN, secureContext: true, fullyActive: true, ancestors: [], client: 1 };

// Authenticator data flags (https://w3c.github.io/webauthn/#authdata-flags).
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

/** credwell-host as the browser runs it, with the extension's side of the protocol. */
class Host {
  /**
   * dir: the vault's directory (a new temp dir when absent); ephemeral: CREDWELL_EPHEMERAL=1.
   */
  constructor({ dir, ephemeral = false } = {}) {
    if (!existsSync(HOST_BIN)) {
      throw new Error(`${HOST_BIN} is missing: cargo build -p credwell-host, or set CREDWELL_HOST_BIN`);
    }
    this.ownDir = !dir;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'credwell-interop-'));
    this.vault = join(this.dir, 'vault.sqlite');
    const env = {
      ...process.env,
      CREDWELL_VAULT: this.vault,
      CREDWELL_DANGER_INSECURE_KDF: '1',
      CREDWELL_IDLE_LOCK_SECS: '0',
      CREDWELL_LOG: 'warn',
    };
    if (ephemeral) env.CREDWELL_EPHEMERAL = '1';
    else delete env.CREDWELL_EPHEMERAL;
    this.child = spawn(HOST_BIN, ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // The host's log (stderr), shown when it exits badly.
    this.log = '';
    this.child.stderr.on('data', (chunk) => { this.log += chunk; });
    this.exited = new Promise((ok) => this.child.on('exit', (code, signal) => ok({ code, signal })));
    this.nextId = 1;
    this.pending = new Map();
    this.prompts = [];
    this.events = [];
    /** How the "user" answers prompts: see answer(). */
    this.user = {};
    this.buffer = Buffer.alloc(0);
    this.child.stdout.on('data', (chunk) => this.receive(chunk));
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32LE(0);
      if (this.buffer.length < 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(4, 4 + length).toString('utf8'));
      this.buffer = this.buffer.subarray(4 + length);
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.event !== undefined) {
      this.events.push(message);
      if (message.event === 'ui.show') {
        this.prompts.push(message);
        const answer = this.answer(message);
        if (answer !== undefined) this.request('ui.respond', { ui: message.ui, answer });
      }
      return;
    }
    const waiter = this.pending.get(message.id);
    if (waiter) {
      this.pending.delete(message.id);
      waiter(message);
    }
  }

  /** The simulated user: approves creation, picks `user.choose` by name, types the passphrase. */
  answer(prompt) {
    switch (prompt.kind) {
      case 'passkey.create':
        return { create: this.user.create ?? true };
      case 'passkey.chooser': {
        const index = this.user.choose === undefined
          ? 0
          : prompt.accounts.findIndex((a) => a.userName === this.user.choose);
        return index < 0 ? { cancel: true } : { choose: index };
      }
      case 'verify':
        return { passphrase: this.user.passphrase ?? PASSPHRASE };
      case 'save':
        return { save: 'save' };
      case 'chooser':
        return { choose: 0 };
      default:
        return undefined; // "unlock": the tests unlock with vault.unlock themselves.
    }
  }

  send(message) {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length, 0);
    this.child.stdin.write(Buffer.concat([header, body]));
  }

  request(method, params = {}) {
    const id = this.nextId++;
    const reply = new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no reply to ${method} (${id})`)), 30_000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        ok(m);
      });
    });
    this.send({ id, method, params });
    return reply;
  }

  async ok(method, params) {
    const reply = await this.request(method, params);
    assert.equal(reply.error, undefined, `${method}: ${JSON.stringify(reply.error)}`);
    return reply.result;
  }

  async open() {
    const hello = await this.ok('hello', { protocol: 1 });
    assert.equal(hello.protocol, 1);
    assert.equal(hello.locked, true);
    assert.deepEqual(await this.ok('vault.unlock', { passphrase: PASSPHRASE }), { locked: false });
    return this;
  }

  /** credentials.create; returns the result and the prompts it showed. */
  async create(publicKey, user = {}) {
    this.user = user;
    const before = this.prompts.length;
    const reply = await this.request('credentials.create', { caller: CALLER, options: { publicKey } });
    return { reply, prompts: this.prompts.slice(before).map((p) => p.kind) };
  }

  async get(publicKey, user = {}) {
    this.user = user;
    const before = this.prompts.length;
    const reply = await this.request('credentials.get', { caller: CALLER, options: { publicKey } });
    return { reply, prompts: this.prompts.slice(before).map((p) => p.kind) };
  }

  async stop() {
    this.child.stdin.end();
    const { code, signal } = await this.exited;
    assert.equal(code, 0, `credwell-host exited with ${code ?? signal}:\n${this.log}`);
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function flagsOf(b64url) {
  return Buffer.from(b64url, 'base64url')[32];
}

function counterOf(b64url) {
  return Buffer.from(b64url, 'base64url').readUInt32BE(33);
}

/** Registers `userName` through the host and verifies the result as an RP would. */
async function register(host, { userName, alg, attestation, uv }) {
  const options = await generateRegistrationOptions({
    rpName: 'Example',
    rpID: RP_ID,
    userName,
    userDisplayName: userName.toUpperCase(),
    attestationType: attestation,
    supportedAlgorithmIDs: [alg],
    authenticatorSelection: { residentKey: 'required', userVerification: uv },
  });
  const { reply, prompts } = await host.create(options);
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  const response = reply.result;
  const verified = uv === 'discouraged' ? false : true;
  assert.deepEqual(prompts, verified ? ['passkey.create', 'verify'] : ['passkey.create']);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: verified,
    supportedAlgorithmIDs: [alg],
  });
  assert.equal(verification.verified, true);
  const info = verification.registrationInfo;
  assert.equal(info.fmt, attestation === 'direct' ? 'packed' : 'none');
  assert.equal(info.userVerified, verified);
  assert.equal(info.credentialDeviceType, 'multiDevice');
  assert.equal(info.credentialBackedUp, true);
  assert.equal(info.credential.counter, 0);
  assert.equal(info.aaguid, '00000000-0000-0000-0000-000000000000');
  assert.equal(info.rpID, RP_ID);
  assert.equal(info.credential.id, response.id);
  assert.equal(response.response.publicKeyAlgorithm, alg);
  assert.equal(flagsOf(response.response.authenticatorData), UP | BE | BS | AT | (verified ? UV : 0));
  assert.equal(response.clientExtensionResults.credProps?.rk, true);
  return { credential: info.credential, userId: options.user.id, userName };
}

/** Signs in through the host and verifies the assertion with the registered credential. */
async function authenticate(host, registered, { uv, allow = true, choose }) {
  const options = await generateAuthenticationOptions({
    rpID: RP_ID,
    userVerification: uv,
    allowCredentials: allow ? [{ id: registered.credential.id }] : [],
  });
  const { reply, prompts } = await host.get(options, { choose });
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  const response = reply.result;
  const verified = uv === 'discouraged' ? false : true;
  assert.deepEqual(prompts, verified ? ['passkey.chooser', 'verify'] : ['passkey.chooser']);
  assert.equal(response.id, registered.credential.id);
  assert.equal(response.response.userHandle, registered.userId);
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: registered.credential,
    requireUserVerification: verified,
  });
  assert.equal(verification.verified, true);
  const info = verification.authenticationInfo;
  assert.equal(info.userVerified, verified);
  assert.equal(info.newCounter, 0);
  assert.equal(info.credentialDeviceType, 'multiDevice');
  assert.equal(info.credentialBackedUp, true);
  assert.equal(info.rpID, RP_ID);
  assert.equal(flagsOf(response.response.authenticatorData), UP | BE | BS | (verified ? UV : 0));
  assert.equal(counterOf(response.response.authenticatorData), 0);
  return { options, response };
}

const MATRIX = [
  { alg: -7, name: 'ES256', attestation: 'direct', uv: 'required' },
  { alg: -7, name: 'ES256', attestation: 'none', uv: 'discouraged' },
  { alg: -8, name: 'EdDSA', attestation: 'direct', uv: 'preferred' },
  { alg: -8, name: 'EdDSA', attestation: 'none', uv: 'discouraged' },
];

for (const { alg, name, attestation, uv } of MATRIX) {
  const fmt = attestation === 'direct' ? 'packed' : 'none';
  test(`${name}, ${fmt} attestation, userVerification ${uv}: registration and assertions verify`, async () => {
    const host = await new Host().open();
    try {
      const user = `user-${name}-${fmt}`;
      const registered = await register(host, { userName: user, alg, attestation, uv });
      // Twice with allowCredentials, once discoverable: the counter stays 0 (synced passkeys).
      await authenticate(host, registered, { uv });
      await authenticate(host, registered, { uv: 'discouraged' });
      await authenticate(host, registered, { uv, allow: false });
    } finally {
      await host.stop();
    }
  });
}

test('a relying party rejects a tampered assertion or the wrong challenge', async () => {
  const host = await new Host().open();
  try {
    const registered = await register(host, { userName: 'alice', alg: -7, attestation: 'none', uv: 'discouraged' });
    const { options, response } = await authenticate(host, registered, { uv: 'discouraged' });
    const rp = { expectedOrigin: ORIGIN, expectedRPID: RP_ID, credential: registered.credential, requireUserVerification: false };
    await assert.rejects(verifyAuthenticationResponse({ ...rp, response, expectedChallenge: 'b3RoZXI' }));
    const signature = Buffer.from(response.response.signature, 'base64url');
    signature[signature.length - 1] ^= 1;
    const tampered = { ...response, response: { ...response.response, signature: signature.toString('base64url') } };
    const result = await verifyAuthenticationResponse({ ...rp, response: tampered, expectedChallenge: options.challenge })
      .catch(() => ({ verified: false }));
    assert.equal(result.verified, false);
    await assert.rejects(verifyAuthenticationResponse({ ...rp, response, expectedChallenge: options.challenge, expectedRPID: 'example.org' }));
  } finally {
    await host.stop();
  }
});

test('two accounts of one RP: the chooser picks, each assertion verifies with its own key', async () => {
  const host = await new Host().open();
  try {
    const alice = await register(host, { userName: 'alice', alg: -7, attestation: 'direct', uv: 'discouraged' });
    await new Promise((ok) => setTimeout(ok, 5));
    const bob = await register(host, { userName: 'bob', alg: -8, attestation: 'none', uv: 'discouraged' });
    for (const account of [alice, bob, alice]) {
      await authenticate(host, account, { uv: 'discouraged', allow: false, choose: account.userName });
    }
    const chooser = host.prompts.filter((p) => p.kind === 'passkey.chooser').at(-1);
    assert.deepEqual(chooser.accounts.map((a) => a.userName), ['bob', 'alice']);
    assert.equal(chooser.rpId, RP_ID);
    assert.equal(chooser.origin, ORIGIN);
  } finally {
    await host.stop();
  }
});

test('passkeys persist in the vault file across host restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'credwell-interop-'));
  try {
    let host = await new Host({ dir }).open();
    const registered = await register(host, { userName: 'carol', alg: -8, attestation: 'direct', uv: 'required' });
    await host.stop();
    assert.ok(existsSync(join(dir, 'vault.sqlite')));
    host = await new Host({ dir }).open();
    await authenticate(host, registered, { uv: 'required' });
    // A wrong passphrase three times: the user is not verified, the RP gets NotAllowedError.
    const options = await generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'required' });
    const { reply, prompts } = await host.get(options, { passphrase: 'not it' });
    assert.equal(reply.error?.name, 'NotAllowedError');
    assert.deepEqual(prompts, ['passkey.chooser', 'verify', 'verify', 'verify']);
    await host.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the ephemeral host serves passkeys too', async () => {
  const host = await new Host({ ephemeral: true }).open();
  try {
    const registered = await register(host, { userName: 'dave', alg: -7, attestation: 'direct', uv: 'preferred' });
    await authenticate(host, registered, { uv: 'preferred' });
    assert.equal(existsSync(host.vault), false, 'no vault file in ephemeral mode');
  } finally {
    await host.stop();
  }
});

test('error names: refusal, excluded credential, foreign RP ID, unknown allowCredentials', async () => {
  const host = await new Host().open();
  try {
    const registered = await register(host, { userName: 'erin', alg: -7, attestation: 'none', uv: 'discouraged' });
    const again = await generateRegistrationOptions({
      rpName: 'Example', rpID: RP_ID, userName: 'erin2', attestationType: 'none',
      excludeCredentials: [{ id: registered.credential.id }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
    });
    assert.equal((await host.create(again)).reply.error?.name, 'InvalidStateError');
    const fresh = await generateRegistrationOptions({
      rpName: 'Example', rpID: RP_ID, userName: 'frank', attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
    });
    assert.equal((await host.create(fresh, { create: false })).reply.error?.name, 'NotAllowedError');
    const foreign = await generateRegistrationOptions({
      rpName: 'Other', rpID: 'example.org', userName: 'frank', attestationType: 'none',
    });
    assert.equal((await host.create(foreign)).reply.error?.name, 'SecurityError');
    const unknown = await generateAuthenticationOptions({
      rpID: RP_ID, userVerification: 'discouraged', allowCredentials: [{ id: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    });
    const { reply, prompts } = await host.get(unknown);
    assert.equal(reply.error?.name, 'NotAllowedError');
    assert.deepEqual(prompts, []);
  } finally {
    await host.stop();
  }
});

test('an automatic passkey upgrade after a password sign-in verifies with requireUserPresence false, and signs in', async () => {
  const host = await new Host().open();
  const upgrade = async (options) => {
    const before = host.prompts.length;
    const reply = await host.request('credentials.create', {
      caller: CALLER,
      options: { publicKey: options, mediation: 'conditional' },
    });
    return { reply, prompts: host.prompts.slice(before).map((p) => p.kind) };
  };
  for (const [alg, attestation] of [[-7, 'direct'], [-8, 'none']]) {
    const userName = `upgrade${alg}@example.com`;
    const options = await generateRegistrationOptions({
      rpName: 'Example',
      rpID: RP_ID,
      userName,
      attestationType: attestation,
      supportedAlgorithmIDs: [alg],
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    // Before any sign-in (the first round; the second's follows one): NotAllowedError, no prompt.
    if (alg === -7) {
      const early = await upgrade(options);
      assert.equal(early.reply.error?.name, 'NotAllowedError', JSON.stringify(early.reply));
      assert.deepEqual(early.prompts, []);
    }
    // The page stores a password and gets it back (one account, no prompt): a sign-in.
    await host.ok('credentials.store', { caller: CALLER, credential: { type: 'password', id: userName, password: 'pw' } });
    const got = await host.ok('credentials.get', { caller: CALLER, options: { password: true, mediation: 'required' } });
    assert.equal(got.type, 'password');
    const { reply, prompts } = await upgrade(options);
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    assert.deepEqual(prompts, [], 'no prompt');
    const response = reply.result;
    assert.equal(flagsOf(response.response.authenticatorData), BE | BS | AT, 'neither UP nor UV');
    await assert.rejects(
      verifyRegistrationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: false }),
      /User presence/i,
      'an RP that requires presence refuses it',
    );
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserPresence: false,
      requireUserVerification: false,
      supportedAlgorithmIDs: [alg],
    });
    assert.equal(verification.verified, true);
    assert.equal(verification.registrationInfo.fmt, attestation === 'direct' ? 'packed' : 'none');
    assert.equal(verification.registrationInfo.userVerified, false);
    // The user is told afterwards (the notice follows the reply).
    const noticed = () => host.events.some((e) => e.event === 'passkey.upgraded' && e.credentialId === response.id);
    for (let i = 0; !noticed() && i < 50; i++) await new Promise((ok) => setTimeout(ok, 20));
    assert.ok(noticed(), 'the passkey.upgraded notice');
    // The passkey signs in like any other (user presence through the chooser).
    const registered = { credential: verification.registrationInfo.credential, userId: options.user.id, userName };
    await authenticate(host, registered, { uv: 'discouraged', allow: true });
  }
  await host.stop();
});
