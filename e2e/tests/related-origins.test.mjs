// WebAuthn related origin requests in headless Chromium, end to end: a page on
// https://shop.co.uk uses RP ID shop.com; credwell's host asks the extension to fetch
// https://shop.com/.well-known/webauthn; the host admits the caller only when the document lists
// its origin (credwell-core's related origins validation procedure). Both names resolve to one
// loopback TLS server (Chromium's --host-resolver-rules) with a throwaway certificate for both,
// made by openssl (--ignore-certificate-errors accepts it).
// The registration and the assertion are verified by @simplewebauthn/server.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBrowser } from '../lib/harness.mjs';
import { answerCreate, choosePasskey, unlockVault } from '../lib/webauthn.mjs';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

const T = { timeout: 180_000 };
const RP_ID = 'shop.com';
const CALLER_HOST = 'shop.co.uk';

/**
 * The HTTPS server for both names: on CALLER_HOST a blank page, on RP_ID /.well-known/webauthn
 * answering `serve(...)`'s document; the RP's requests are recorded.
 */
async function wellKnownServer() {
  const dir = mkdtempSync(join(tmpdir(), 'credwell-ror-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${RP_ID}`, '-addext', `subjectAltName=DNS:${RP_ID},DNS:${CALLER_HOST}`,
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const state = {
    answer: { status: 404, type: 'text/plain', body: 'not found' },
    requests: [],
  };
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    if (req.headers.host === CALLER_HOST) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>shop.co.uk</title><p>related origins</p>');
      return;
    }
    state.requests.push({ url: req.url, host: req.headers.host, cookie: req.headers.cookie, referer: req.headers.referer, origin: req.headers.origin });
    const a = req.url === '/.well-known/webauthn' ? state.answer : { status: 404, type: 'text/plain', body: 'not found' };
    res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store' });
    res.end(a.body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    state,
    port: server.address().port,
    serve(status, type, body) {
      state.answer = { status, type, body: typeof body === 'string' ? body : JSON.stringify(body) };
    },
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => { rmSync(dir, { recursive: true, force: true }); ok(); }); }),
  };
}

test('related origins: a listed origin registers and signs in with a foreign RP ID; anything else is SecurityError', T, async () => {
  const tls = await wellKnownServer();
  const caller = `https://${CALLER_HOST}`;
  const args = [
    `--host-resolver-rules=MAP insecure.test 127.0.0.1, MAP ${CALLER_HOST} 127.0.0.1:${tls.port}, MAP ${RP_ID} 127.0.0.1:${tls.port}`,
    '--ignore-certificate-errors',
  ];
  try {
    await withBrowser({ args }, async (h) => {
      await h.page.goto(`${caller}/`);
      assert.equal(await h.page.evaluate(() => window.isSecureContext), true);
      assert.equal(await h.page.evaluate(async () => (await PublicKeyCredential.getClientCapabilities()).relatedOrigins), true);
      await unlockVault(h);
      // A cookie for the RP's site, which the well-known fetch must not send.
      await h.ctx.addCookies([{ name: 'session', value: 'secret', domain: RP_ID, path: '/', secure: true, sameSite: 'None' }]);

      const create = (json) =>
        h.page.evaluate(async (j) => {
          try {
            const c = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(j) });
            return { json: c.toJSON(), clientData: new TextDecoder().decode(c.response.clientDataJSON) };
          } catch (e) {
            return { error: e.name, message: e.message };
          }
        }, json);
      const options = () =>
        generateRegistrationOptions({
          rpName: 'Shop',
          rpID: RP_ID,
          userName: 'alice',
          attestationType: 'none',
          authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
          supportedAlgorithmIDs: [-7],
        });

      // Refusals first: each is a SecurityError, with no prompt shown.
      const refusals = [
        ['no document (404)', () => tls.serve(404, 'application/json', { origins: [caller] })],
        ['not JSON (content type)', () => tls.serve(200, 'text/plain', { origins: [caller] })],
        ['not a JSON object', () => tls.serve(200, 'application/json', '["nope"]')],
        ['origins not strings', () => tls.serve(200, 'application/json', { origins: [1, 2] })],
        ['the caller not listed', () => tls.serve(200, 'application/json', { origins: [`https://${RP_ID}`, 'https://shop.de'] })],
        [
          'the caller listed after five other labels',
          () => tls.serve(200, 'application/json', { origins: ['https://a.com', 'https://b.com', 'https://c.com', 'https://d.com', 'https://e.com', caller] }),
        ],
      ];
      for (const [what, setUp] of refusals) {
        setUp();
        const before = tls.state.requests.length;
        const r = await create(await options());
        assert.equal(r.error, 'SecurityError', `${what}: ${JSON.stringify(r)}`);
        assert.ok(tls.state.requests.length > before, `${what}: the document was fetched (${JSON.stringify(r)})`);
      }

      // Listed (as the sixth entry, but within five distinct labels: shop twice): allowed.
      tls.serve(200, 'application/json; charset=utf-8', {
        origins: ['https://a.com', 'https://b.com', `https://${RP_ID}`, 'https://shop.de', 'https://c.com', caller],
      });
      const regOptions = await options();
      const creating = create(regOptions);
      await answerCreate(h);
      const created = await creating;
      assert.equal(created.error, undefined, JSON.stringify(created));
      assert.equal(JSON.parse(created.clientData).origin, caller);
      const registration = await verifyRegistrationResponse({
        response: created.json,
        expectedChallenge: regOptions.challenge,
        expectedOrigin: caller,
        expectedRPID: RP_ID,
        requireUserVerification: false,
      });
      assert.equal(registration.verified, true);

      const authOptions = await generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'discouraged' });
      const getting = h.page.evaluate(async (j) => {
        const c = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(j) });
        return c.toJSON();
      }, authOptions);
      await choosePasskey(h, 0);
      const assertion = await verifyAuthenticationResponse({
        response: await getting,
        expectedChallenge: authOptions.challenge,
        expectedOrigin: caller,
        expectedRPID: RP_ID,
        credential: registration.registrationInfo.credential,
        requireUserVerification: false,
      });
      assert.equal(assertion.verified, true);

      // Every fetch was a plain GET of the well-known URL, without the RP's cookie or a referrer.
      assert.ok(tls.state.requests.length >= refusals.length + 2);
      for (const r of tls.state.requests) {
        assert.equal(r.url, '/.well-known/webauthn');
        assert.equal(r.cookie, undefined, 'no credentials on the well-known fetch');
        assert.equal(r.referer, undefined, 'no referrer on the well-known fetch');
      }

      // The caller's own domain as RP ID needs no document: nothing is fetched (an unknown
      // credential is simply not found).
      const before = tls.state.requests.length;
      const own = await h.page.evaluate(async (rpId) => {
        try {
          await navigator.credentials.get({
            publicKey: { challenge: new Uint8Array(16), rpId, allowCredentials: [{ type: 'public-key', id: new Uint8Array(16) }], timeout: 5000 },
          });
          return 'resolved';
        } catch (e) {
          return e.name;
        }
      }, CALLER_HOST);
      assert.equal(own, 'NotAllowedError');
      assert.equal(tls.state.requests.length, before, 'no well-known fetch for the caller\'s own domain');
    });
  } finally {
    await tls.close();
  }
});
