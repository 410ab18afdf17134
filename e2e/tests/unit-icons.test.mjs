// Unit tests of the account icon service (extension/src/icons.js) and the rate limit it uses
// (extension/src/rate-limit.js), with an in-memory cache and a stubbed fetch; no browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fetchIcon, iconCache, iconService, iconUrlAllowed, memoryBackend, MAX_ICON_BYTES } from '../../extension/src/icons.js';
import { rateLimit } from '../../extension/src/rate-limit.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]);

function stubFetch(answer = () => new Response(PNG, { headers: { 'content-type': 'image/png' } })) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return answer(url);
  };
  return { calls, fetchImpl };
}

test('icons: only https icons on the caller\'s host or below it', () => {
  const caller = 'https://shop.example';
  for (const ok of ['https://shop.example/i.png', 'https://cdn.shop.example/i.png', 'https://shop.example:8443/i.png']) {
    assert.equal(iconUrlAllowed(ok, caller), true, ok);
  }
  for (const no of [
    'http://shop.example/i.png', // not https
    'https://other.example/i.png', // another site
    'https://shop.example.evil.test/i.png', // a look-alike
    'https://evilshop.example/i.png', // a suffix without the dot
    'https://example/i.png', // the caller's parent
    'https://u:p@shop.example/i.png', // credentials in the URL
    'https://192.168.1.1/i.png',
    'not a url',
  ]) {
    assert.equal(iconUrlAllowed(no, caller), false, no);
  }
  assert.equal(iconUrlAllowed('https://127.0.0.1/i.png', 'http://127.0.0.1:8080'), true, 'an IP caller: that IP only');
  assert.equal(iconUrlAllowed('https://a.example/i.png', 'null'), false, 'an opaque caller: nothing');
});

test('icons: fetched once, without credentials, referrer or redirects; images up to the size limit only', async () => {
  const { calls, fetchImpl } = stubFetch();
  const cache = iconCache(memoryBackend());
  const icons = iconService({ cache, fetchImpl });
  assert.equal(await icons.afterSave('https://shop.example/i.png', 'https://shop.example'), true);
  assert.equal(calls.length, 1);
  assert.deepEqual(
    [calls[0].init.credentials, calls[0].init.referrerPolicy, calls[0].init.redirect, calls[0].init.cache],
    ['omit', 'no-referrer', 'error', 'no-store'],
  );
  assert.equal((await cache.lookup(['https://shop.example/i.png'])).get('https://shop.example/i.png'), `data:image/png;base64,${Buffer.from(PNG).toString('base64')}`);
  // Cached: not fetched again. Another site's URL: never fetched.
  assert.equal(await icons.afterSave('https://shop.example/i.png', 'https://shop.example'), false);
  assert.equal(await icons.afterSave('https://probe.internal.example/i.png', 'https://shop.example'), false);
  assert.equal(calls.length, 1);
  // Not an image, too large, an error status: nothing cached.
  const bad = [
    () => new Response('<html>', { headers: { 'content-type': 'text/html' } }),
    () => new Response(new Uint8Array(MAX_ICON_BYTES + 1), { headers: { 'content-type': 'image/png' } }),
    () => new Response(PNG, { status: 404, headers: { 'content-type': 'image/png' } }),
  ];
  for (const answer of bad) assert.equal(await fetchIcon('https://shop.example/x.png', { fetchImpl: stubFetch(answer).fetchImpl }), null);
  assert.equal(await fetchIcon('https://shop.example/x.png', { fetchImpl: async () => { throw new TypeError('redirect'); } }), null);
});

test('icons: the fetch rate is bounded whatever the pages store', async () => {
  const { calls, fetchImpl } = stubFetch();
  let now = 0;
  const icons = iconService({ cache: iconCache(memoryBackend()), fetchImpl, limiter: rateLimit({ limit: 3, windowMs: 60_000, now: () => now }) });
  const results = [];
  for (let i = 0; i < 10; i++) results.push(await icons.afterSave(`https://shop.example/${i}.png`, 'https://shop.example'));
  assert.deepEqual(results, [true, true, true, false, false, false, false, false, false, false]);
  assert.equal(calls.length, 3);
  now += 60_001;
  assert.equal(await icons.afterSave('https://shop.example/late.png', 'https://shop.example'), true);
});

test('icons: the cache is bounded in entries and bytes, oldest out first', async () => {
  const backend = memoryBackend();
  let now = 0;
  const cache = iconCache(backend, { maxEntries: 3, maxBytes: 1000, now: () => ++now });
  for (const name of ['a', 'b', 'c', 'd']) await cache.put(`https://s.example/${name}`, 'x'.repeat(100));
  assert.deepEqual([...backend.map.keys()].sort(), ['https://s.example/b', 'https://s.example/c', 'https://s.example/d']);
  // One big entry pushes out as many old ones as its bytes need.
  await cache.put('https://s.example/big', 'y'.repeat(800));
  assert.deepEqual([...backend.map.keys()].sort(), ['https://s.example/big', 'https://s.example/d']);
  const total = [...backend.map.values()].reduce((n, e) => n + e.bytes, 0);
  assert.ok(total <= 1000, `${total} bytes`);
  // An entry larger than the whole cache is not stored.
  await cache.put('https://s.example/huge', 'z'.repeat(2000));
  assert.equal(backend.map.has('https://s.example/huge'), false);
});
