// Unit tests of the background's caller construction (extension/src/caller.js) and of the
// extension id; no browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ancestorChain, ancestorFrames, buildCaller, clientId, isTrustworthyOrigin, originKey, originOfUrl } from '../../extension/src/caller.js';
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

// What the browser reported for each ancestor document (its own sender.origin).
const reported = new Map([
  ['D0', 'https://top.example'],
  ['D4', 'https://widget.example'],
  ['D7', 'https://widget.example'],
]);

test('ancestors are resolved parent first, from the origins the browser reported for them', () => {
  const { chain } = ancestorChain(frames, 9, reported);
  assert.deepEqual(chain.map((f) => f.origin), ['https://widget.example', 'https://widget.example', 'https://top.example']);
  assert.equal(ancestorChain(frames, 99), null);
  assert.deepEqual(ancestorFrames(frames, 9).map((f) => f.frameId), [7, 4, 0]);
  assert.equal(originKey({ frameId: 3 }), 'frame:3', 'no document id (Firefox): the frame');
  assert.equal(originKey({ frameId: 3, documentId: 'D' }), 'D');
});

test('an ancestor\'s origin is never guessed from its URL: unknown is opaque', () => {
  // about:blank takes its initiator's origin (HTML), not necessarily its parent's: a cross-origin
  // frame that navigated itself to about:blank is that frame's origin. Unknown → "null".
  const blank = [
    { frameId: 0, parentFrameId: -1, url: 'https://top.example/', documentId: 'T' },
    { frameId: 1, parentFrameId: 0, url: 'about:blank', documentId: 'B' },
    { frameId: 2, parentFrameId: 1, url: 'https://top.example/login', documentId: 'C' },
  ];
  const child = { tab: { id: 1 }, frameId: 2, documentId: 'C', origin: 'https://top.example', url: 'https://top.example/login', documentLifecycle: 'active' };
  assert.deepEqual(buildCaller(child, blank, new Map([['T', 'https://top.example']])).caller.ancestors, ['null', 'https://top.example']);
  assert.deepEqual(
    buildCaller(child, blank, new Map([['T', 'https://top.example'], ['B', 'https://ads.example']])).caller.ancestors,
    ['https://ads.example', 'https://top.example'],
  );
  // A CSP-sandboxed ancestor is opaque whatever its URL says: its reported origin is "null".
  const csp = [
    { frameId: 0, parentFrameId: -1, url: 'https://top.example/?sandboxed', documentId: 'T' },
    { frameId: 2, parentFrameId: 0, url: 'https://top.example/inner', documentId: 'C' },
  ];
  const inner = { ...child, url: 'https://top.example/inner' };
  assert.deepEqual(buildCaller(inner, csp, new Map([['T', 'null']])).caller.ancestors, ['null']);
  assert.deepEqual(buildCaller(inner, csp).caller.ancestors, ['null'], 'not reported: opaque');
  // Still a secure context: an opaque https document is potentially trustworthy by its URL.
  assert.equal(buildCaller(inner, csp, new Map([['T', 'null']])).caller.secureContext, true);
});

test('the caller comes from the sender only', () => {
  const sender = { tab: { id: 5 }, frameId: 9, documentId: 'D9', origin: 'https://top.example', url: 'https://top.example/inner', documentLifecycle: 'active' };
  const { caller, ancestorFrameIds } = buildCaller(sender, frames, reported);
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
