// WebAuthn related origin requests, for both browsers' suites (the scenarios of
// e2e/scenarios/related-origins.mjs): a page on https://shop.co.uk uses RP ID shop.com;
// credwell's host asks the extension to fetch https://shop.com/.well-known/webauthn and admits
// the caller only when the document lists its origin. Both names are served by one loopback TLS
// server with a throwaway certificate for both, made by openssl; each harness routes the names to
// it (Chromium: --host-resolver-rules; Firefox: its HTTPS proxy) and accepts the certificate.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:https';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { answerCreate, choosePasskey, unlockVault } from './webauthn.mjs';

export const RP_ID = 'shop.com';
export const CALLER_HOST = 'shop.co.uk';
export const CALLER = `https://${CALLER_HOST}`;
// A name outside the Public Suffix List's registrable domains, routed to the server too.
export const INTRANET_HOST = 'printer.lan';
// A 1×1 transparent PNG.
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/**
 * The HTTPS server for both names: on CALLER_HOST a blank page, on RP_ID /.well-known/webauthn
 * answering `serve(...)`'s document; the RP's requests are recorded.
 */
export async function wellKnownServer() {
  const dir = mkdtempSync(join(tmpdir(), 'credwell-ror-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${RP_ID}`, '-addext', `subjectAltName=DNS:${RP_ID},DNS:${CALLER_HOST}`,
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const state = {
    answer: { status: 404, type: 'text/plain', body: 'not found' },
    requests: [],
    // Requests for /icon* on either name (e2e/lib/icons.mjs), as "host/path".
    icons: [],
    // Every request but the browsers' own icons, as "host/path" (any host routed here).
    all: [],
  };
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    if (req.headers.host === RP_ID && req.url === '/set-cookie') {
      // A cookie of the RP's site, which the well-known fetch must not send.
      res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'session=secret; Path=/; Secure; SameSite=None' });
      res.end('<!doctype html><title>cookie set</title>');
      return;
    }
    if (req.url !== '/favicon.ico') state.all.push(`${req.headers.host}${req.url}`);
    if (req.url === '/favicon.ico' || (req.headers.host !== RP_ID && req.headers.host !== CALLER_HOST)) {
      // The browser's own requests (a navigation's icon; Firefox's services, which its proxy
      // sends here too), not the extension's.
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no icon');
      return;
    }
    if (req.url.startsWith('/icon')) {
      state.icons.push(`${req.headers.host}${req.url}`);
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
      res.end(PNG_1X1);
      return;
    }
    if (req.headers.host === CALLER_HOST) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>shop.co.uk</title><p>related origins</p>');
      return;
    }
    state.requests.push({ url: req.url, host: req.headers.host, cookie: req.headers.cookie, referer: req.headers.referer, origin: req.headers.origin });
    const a = req.url === '/.well-known/webauthn' ? state.answer : { status: 404, type: 'text/plain', body: 'not found' };
    res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store', ...(a.location ? { location: a.location } : {}) });
    res.end(a.body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    state,
    port: server.address().port,
    serve(status, type, body) {
      state.answer = { status, type, body: typeof body === 'string' ? body : JSON.stringify(body) };
    },
    /** Answers the well-known URL with a redirect to `location`. */
    serveRedirect(location) {
      state.answer = { status: 302, type: 'text/plain', body: '', location };
    },
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => { rmSync(dir, { recursive: true, force: true }); ok(); }); }),
  };
}

/** Chromium switches that route both names to `tls` and accept its certificate. */
export function chromiumArgsFor(tls) {
  return [
    `--host-resolver-rules=MAP insecure.test 127.0.0.1, MAP ${CALLER_HOST} 127.0.0.1:${tls.port}, MAP ${RP_ID} 127.0.0.1:${tls.port}, MAP ${INTRANET_HOST} 127.0.0.1:${tls.port}`,
    '--ignore-certificate-errors',
  ];
}

/**
 * For Firefox: an HTTP proxy that tunnels every CONNECT to 127.0.0.1:`port`; point
 * `network.proxy.ssl_port` at it.
 */
export async function tunnelTo(port) {
  const proxy = createHttpServer((req, res) => {
    res.writeHead(405);
    res.end();
  });
  const sockets = new Set();
  proxy.on('connect', (req, client, head) => {
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  return {
    port: proxy.address().port,
    close: () => new Promise((ok) => { for (const s of sockets) s.destroy(); proxy.close(() => ok()); }),
  };
}

/**
 * The TLS server for a scenario in `browser` (a run-scenarios fixture): wellKnownServer(), and
 * what routes both names to it. Chromium: --host-resolver-rules (chromiumArgsFor), its
 * certificate accepted by --ignore-certificate-errors; Firefox: its HTTPS proxy pointed at a
 * CONNECT tunnel (tunnelTo), the certificate accepted by the BiDi session's acceptInsecureCerts,
 * for the extension's fetch too.
 */
export async function tlsFixture(browser) {
  const tls = await wellKnownServer();
  if (browser === 'chromium') return { value: tls, options: { args: chromiumArgsFor(tls) }, close: () => tls.close() };
  const tunnel = await tunnelTo(tls.port);
  return {
    value: tls,
    options: { prefs: { 'network.proxy.ssl_port': tunnel.port } },
    async close() {
      await tunnel.close();
      await tls.close();
    },
  };
}

/**
 * The scenario, in harness `h` (either browser), with `tls` the wellKnownServer() its browser
 * reaches for both names.
 */
export async function relatedOriginsScenario(h, tls) {
  const caller = CALLER;
  // A cookie of the RP's site first (the well-known fetch must not send it), then the caller.
  await h.goto('/set-cookie', `https://${RP_ID}`);
  assert.match(await h.page.evaluate(() => document.cookie), /session=secret/, 'the RP has a cookie to leave out');
  await h.goto('/', CALLER);
  assert.equal(await h.page.evaluate(() => window.isSecureContext), true);
  assert.equal(await h.page.evaluate(async () => (await PublicKeyCredential.getClientCapabilities()).relatedOrigins), true);
  await unlockVault(h);

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
}

/**
 * Related origins as a probe, the attack this scenario guards against: a page names any RP ID in
 * a signal call (no UI) and reads what the RP's host answered from the SecurityError. Now: no
 * fetch at all for an RP ID the vault holds no passkey for (or while it is locked); where it
 * holds one, one message whatever the answer, no redirect followed, no fetch of a name outside
 * the Public Suffix List's registrable domains, at most 10 fetches a minute per document.
 */
export async function probeScenario(h, tls) {
  await h.goto('/', CALLER);
  const signal = (rpId) =>
    h.page.evaluate(async (id) => {
      try {
        await PublicKeyCredential.signalUnknownCredential({ rpId: id, credentialId: 'AAAA' });
        return { ok: true };
      } catch (e) {
        return { name: e.name, message: e.message };
      }
    }, rpId);
  const answers = [
    ['404', () => tls.serve(404, 'text/plain', 'secret-body')],
    ['text/html', () => tls.serve(200, 'text/html; charset=secret', '{}')],
    ['not listed', () => tls.serve(200, 'application/json', { origins: ['https://elsewhere.example'] })],
    ['a redirect', () => tls.serveRedirect(`https://${CALLER_HOST}/icon-redirect-target`)],
  ];
  // A locked vault, then an unlocked one without a passkey for the RP ID: the page's signal
  // makes no fetch (it used to fetch any host the page named), and is refused like any other.
  tls.serve(200, 'application/json', { origins: [CALLER] });
  const untouched = tls.state.requests.length;
  const refusedLocked = await signal(RP_ID);
  await unlockVault(h);
  const refusedEmpty = await signal(RP_ID);
  assert.equal(refusedLocked.name, 'SecurityError', JSON.stringify(refusedLocked));
  assert.deepEqual(refusedEmpty, refusedLocked, 'locked or holding nothing: the same answer');
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(tls.state.requests.length, untouched, 'a signal fetched for an RP ID without passkeys');

  // A passkey for the RP ID, registered on its own site (no related-origins fetch needed).
  await h.goto('/set-cookie', `https://${RP_ID}`);
  const regOptions = await generateRegistrationOptions({
    rpName: 'Shop',
    rpID: RP_ID,
    userName: 'probe',
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
    supportedAlgorithmIDs: [-7],
  });
  const creating = h.page.evaluate(async (j) => {
    const c = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(j) });
    return c.id;
  }, regOptions);
  await answerCreate(h);
  assert.equal(typeof (await creating), 'string');
  await h.goto('/', CALLER);

  const messages = new Set([refusedLocked.message]);
  for (const [what, setUp] of answers) {
    setUp();
    const before = tls.state.requests.length;
    const r = await signal(RP_ID);
    assert.equal(r.name, 'SecurityError', `${what}: ${JSON.stringify(r)}`);
    assert.ok(tls.state.requests.length > before, `${what}: fetched`);
    messages.add(r.message);
  }
  assert.equal(messages.size, 1, `one message for every answer:\n${[...messages].join('\n')}`);
  const [message] = messages;
  for (const secret of ['404', 'text/', 'secret', 'elsewhere', 'redirect', 'icon-redirect-target', 'status']) {
    assert.ok(!message.includes(secret), `the message tells ${secret}: ${message}`);
  }
  // The redirect was not followed.
  await new Promise((ok) => setTimeout(ok, 500));
  assert.deepEqual(tls.state.icons, [], 'the redirect target was fetched');

  // Names outside the Public Suffix List's registrable domains: refused alike, never fetched.
  for (const rpId of [INTRANET_HOST, 'intranet', '10.0.0.1']) {
    const r = await signal(rpId);
    assert.deepEqual(r, { name: 'SecurityError', message: message.replace(RP_ID, rpId) }, rpId);
  }
  await new Promise((ok) => setTimeout(ok, 500));
  assert.deepEqual(tls.state.all.filter((r) => r.startsWith(INTRANET_HOST)), [], 'an intranet name was fetched');

  // At most 10 fetches a minute per document; a new document has its own budget.
  await h.goto('/', CALLER);
  tls.serve(404, 'text/plain', 'nope');
  const before = tls.state.requests.length;
  for (let i = 0; i < 14; i++) {
    const r = await signal(RP_ID);
    assert.deepEqual(r, { name: 'SecurityError', message }, `call ${i}`);
  }
  assert.equal(tls.state.requests.length - before, 10, 'fetches from one document in a minute');
  await h.goto('/', CALLER);
  await signal(RP_ID);
  assert.equal(tls.state.requests.length - before, 11, 'the next document fetches again');
}
