// Unit tests of the `.well-known/webauthn` fetch (extension/src/related-origins.js) with a
// stubbed fetch; no browser, no network.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fetchWellKnownWebauthn, MAX_WELL_KNOWN_BYTES } from '../../extension/src/related-origins.js';

/** A fetch that records its calls and answers with `respond(url, init)`. */
function stub(respond) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return { calls, fetchImpl };
}

function jsonResponse(body, init = {}) {
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' }, ...init });
}

test('fetches https://<rpId>/.well-known/webauthn without credentials or referrer', async () => {
  const { calls, fetchImpl } = stub(() => jsonResponse('{"origins": ["https://shopping.co.uk"]}'));
  const result = await fetchWellKnownWebauthn('shopping.com', { fetchImpl });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'https://shopping.com/.well-known/webauthn');
  const init = calls[0].init;
  assert.equal(init.method, 'GET');
  assert.equal(init.credentials, 'omit');
  assert.equal(init.referrer, '');
  assert.equal(init.referrerPolicy, 'no-referrer');
  assert.equal(init.redirect, 'manual', 'a redirect is never followed (another host)');
  assert.deepEqual(result, {
    status: 200,
    contentType: 'application/json',
    // A stubbed Response has no URL: the requested one is reported.
    url: 'https://shopping.com/.well-known/webauthn',
    body: '{"origins": ["https://shopping.co.uk"]}',
  });
});

test('status, content type and the final URL are passed on for the host to judge', async () => {
  const { fetchImpl } = stub(() => jsonResponse('{}', { status: 404, headers: { 'content-type': 'text/html; charset=utf-8' } }));
  const result = await fetchWellKnownWebauthn('shopping.com', { fetchImpl });
  assert.equal(result.status, 404);
  assert.equal(result.contentType, 'text/html; charset=utf-8');
  assert.equal(result.url, 'https://shopping.com/.well-known/webauthn');
  const bare = await fetchWellKnownWebauthn('shopping.com', {
    fetchImpl: async () => new Response(null, { status: 204 }),
  });
  assert.deepEqual({ status: bare.status, contentType: bare.contentType, body: bare.body }, { status: 204, contentType: null, body: '' });
});

test('a body over the cap is not read further', async () => {
  let pulled = 0;
  let cancelled = false;
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  const endless = new ReadableStream({
    pull(controller) {
      pulled += 1;
      controller.enqueue(chunk);
    },
    cancel() {
      cancelled = true;
    },
  });
  const result = await fetchWellKnownWebauthn('shopping.com', {
    fetchImpl: async () => new Response(endless, { headers: { 'content-type': 'application/json' } }),
  });
  assert.equal(result.error, 'too-large');
  assert.ok(cancelled, 'the stream is cancelled');
  assert.ok(pulled <= MAX_WELL_KNOWN_BYTES / chunk.byteLength + 2, `read ${pulled} chunks`);
  // A declared length over the cap is refused before reading.
  const declared = await fetchWellKnownWebauthn('shopping.com', {
    fetchImpl: async () => jsonResponse('{}', { headers: { 'content-type': 'application/json', 'content-length': String(MAX_WELL_KNOWN_BYTES + 1) } }),
  });
  assert.equal(declared.error, 'too-large');
  // Exactly the cap is fine.
  const exact = await fetchWellKnownWebauthn('shopping.com', {
    fetchImpl: async () => jsonResponse(' '.repeat(MAX_WELL_KNOWN_BYTES)),
  });
  assert.equal(exact.body.length, MAX_WELL_KNOWN_BYTES);
});

test('network failures and aborts are reported, not thrown', async () => {
  const failed = await fetchWellKnownWebauthn('shopping.com', {
    fetchImpl: async () => {
      throw new TypeError('Failed to fetch');
    },
  });
  assert.deepEqual(failed, { error: 'network', message: 'Failed to fetch' });
  const controller = new AbortController();
  const { calls, fetchImpl } = stub((url, init) => new Promise((_, reject) => {
    init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  }));
  const pending = fetchWellKnownWebauthn('shopping.com', { signal: controller.signal, fetchImpl });
  controller.abort();
  assert.equal((await pending).error, 'aborted');
  assert.equal(calls[0].init.signal, controller.signal);
});

test('a redirect is reported as a network error, its target never fetched nor reported', async () => {
  // What fetch(…, {redirect: 'manual'}) gives for a 3xx: an opaque-redirect response.
  const opaque = new Response(null, { status: 302, headers: { location: 'https://10.0.0.1/admin' } });
  Object.defineProperty(opaque, 'type', { value: 'opaqueredirect' });
  for (const answer of [opaque, new Response(null, { status: 307, headers: { location: 'https://intranet.corp/' } })]) {
    const { calls, fetchImpl } = stub(() => answer);
    const result = await fetchWellKnownWebauthn('shopping.com', { fetchImpl });
    assert.deepEqual(result, { error: 'network', message: 'the well-known URL redirected' });
    assert.equal(calls.length, 1);
  }
});

test('an RP ID that is not a plain domain is never fetched', async () => {
  const { calls, fetchImpl } = stub(() => jsonResponse('{}'));
  for (const rpId of ['', 'evil.com/x', 'evil.com:8443', 'user@evil.com', 'evil.com#', 'EVIL.com', 'a b.com', '[::1]', undefined, 5,
    // IP literals and single labels: never a public RP.
    '10.0.0.1', '192.168.1.1', '0x7f.1', '1.2.3.0x1', 'localhost', 'intranet', 'a..com', '.com']) {
    const result = await fetchWellKnownWebauthn(rpId, { fetchImpl });
    assert.equal(result.error, 'network', String(rpId));
  }
  assert.equal(calls.length, 0);
  await fetchWellKnownWebauthn('xn--bcher-kva.example', { fetchImpl });
  assert.equal(calls[0].url, 'https://xn--bcher-kva.example/.well-known/webauthn');
});
