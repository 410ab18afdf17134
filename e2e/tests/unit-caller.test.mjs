// Unit tests of the background's caller construction (extension/src/caller.js) and of the
// extension id; no browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { buildCaller, clientId, isTrustworthyOrigin, originOfUrl, ancestorChain } from '../../extension/src/caller.js';
import { EXTENSION_ID } from '../../extension/src/id.js';
import { idFromManifestKey } from '../lib/harness.mjs';

test('the exported extension id is the one the manifest key gives', () => {
  assert.equal(idFromManifestKey(), EXTENSION_ID);
});

test('origins of frame URLs', () => {
  assert.equal(originOfUrl('https://a.example/x?y'), 'https://a.example');
  assert.equal(originOfUrl('http://localhost:8080/'), 'http://localhost:8080');
  assert.equal(originOfUrl('about:blank', 'https://p.example'), 'https://p.example');
  assert.equal(originOfUrl('about:srcdoc', 'https://p.example'), 'https://p.example');
  assert.equal(originOfUrl('data:text/html,hi', 'https://p.example'), 'null');
  assert.equal(originOfUrl('blob:https://b.example/1234'), 'https://b.example');
  assert.equal(originOfUrl('javascript:1'), 'null');
  assert.equal(originOfUrl('not a url'), 'null');
});

test('potentially trustworthy origins', () => {
  for (const o of ['https://a.example', 'http://localhost:1', 'http://x.localhost', 'http://127.0.0.1:9', 'http://127.8.9.1', 'http://[::1]:80', 'wss://a.example']) {
    assert.equal(isTrustworthyOrigin(o), true, o);
  }
  for (const o of ['http://a.example', 'http://insecure.test:1', 'null', 'http://128.0.0.1', 'ftp://a.example']) {
    assert.equal(isTrustworthyOrigin(o), false, o);
  }
});

test('client ids are safe integers, stable per document, different across documents', () => {
  const a = clientId(3, 0, 'DOC-A');
  assert.ok(Number.isSafeInteger(a) && a >= 0);
  assert.equal(clientId(3, 0, 'DOC-A'), a);
  assert.notEqual(clientId(3, 0, 'DOC-B'), a);
  assert.notEqual(clientId(4, 0, 'DOC-A'), a);
  assert.notEqual(clientId(3, 1, 'DOC-A'), a);
});

const frames = [
  { frameId: 0, parentFrameId: -1, url: 'https://top.example/', documentId: 'D0' },
  { frameId: 4, parentFrameId: 0, url: 'https://widget.example/w', documentId: 'D4' },
  { frameId: 7, parentFrameId: 4, url: 'about:blank', documentId: 'D7' },
  { frameId: 9, parentFrameId: 7, url: 'https://top.example/inner', documentId: 'D9' },
];

test('ancestors are resolved parent first, about:blank inheriting its parent', () => {
  const { chain } = ancestorChain(frames, 9);
  assert.deepEqual(chain.map((f) => f.origin), ['https://widget.example', 'https://widget.example', 'https://top.example']);
  assert.equal(ancestorChain(frames, 99), null);
});

test('the caller comes from the sender only', () => {
  const sender = { tab: { id: 5 }, frameId: 9, documentId: 'D9', origin: 'https://top.example', url: 'https://top.example/inner', documentLifecycle: 'active' };
  const { caller, ancestorFrameIds } = buildCaller(sender, frames);
  assert.deepEqual(caller.ancestors, ['https://widget.example', 'https://widget.example', 'https://top.example']);
  assert.equal(caller.origin, 'https://top.example');
  assert.equal(caller.secureContext, true);
  assert.equal(caller.fullyActive, true);
  assert.deepEqual(ancestorFrameIds, [7, 4, 0]);
  // A document no longer shown in its frame, or cached, is not fully active.
  assert.equal(buildCaller({ ...sender, documentId: 'OLD' }, frames).caller.fullyActive, false);
  assert.equal(buildCaller({ ...sender, documentLifecycle: 'cached' }, frames).caller.fullyActive, false);
  // A frame missing from the tree gets an opaque ancestor (never same-origin).
  assert.deepEqual(buildCaller({ ...sender, frameId: 99 }, frames).caller.ancestors, ['null']);
});

test('secure context: opaque sandboxed documents use their URL, data: is not secure, ancestors count', () => {
  const top = { tab: { id: 1 }, frameId: 0, documentId: 'T', documentLifecycle: 'active' };
  assert.equal(buildCaller({ ...top, origin: 'null', url: 'http://localhost:1/x' }).caller.secureContext, true);
  assert.equal(buildCaller({ ...top, origin: 'null', url: 'data:text/html,x' }).caller.secureContext, false);
  assert.equal(buildCaller({ ...top, origin: 'http://insecure.test:1', url: 'http://insecure.test:1/' }).caller.secureContext, false);
  const insecureParent = [
    { frameId: 0, parentFrameId: -1, url: 'http://a.example/', documentId: 'P' },
    { frameId: 2, parentFrameId: 0, url: 'https://b.example/', documentId: 'C' },
  ];
  const child = { tab: { id: 1 }, frameId: 2, documentId: 'C', origin: 'https://b.example', url: 'https://b.example/', documentLifecycle: 'active' };
  assert.equal(buildCaller(child, insecureParent).caller.secureContext, false);
});
