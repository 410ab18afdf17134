// Unit tests of what the background cancels when a document goes away
// (extension/src/background/documents.js), over a scripted native port; no browser. One store()
// per tab outlives its document; every other call, and a closed tab's save, is cancelled.
import test from 'node:test';
import assert from 'node:assert/strict';

/** @type {{id: number, method: string, params: any}[]} */
const sent = [];
globalThis.chrome = {
  runtime: {
    connectNative: () => ({
      postMessage: (m) => sent.push(m),
      onMessage: { addListener() {} },
      onDisconnect: { addListener() {} },
      disconnect() {},
    }),
  },
};
const { hostPending, sendToHost } = await import('../../extension/src/background/host.js');
const { callEnded, cancelDocument, documentFor, onTabRemoved } = await import(
  '../../extension/src/background/documents.js'
);

let nextKey = 1;
/** A document in tab `tabId` with one call per method, each already at the host (or not yet). */
function docWith(tabId, methods, { atHost = true } = {}) {
  const key = `doc-${nextKey++}`;
  const doc = documentFor({ tab: { id: tabId }, frameId: 0, documentId: key }, key);
  const calls = methods.map((method, rid) => {
    const call = { method, hostId: null, aborted: false, reason: undefined, answered: false };
    if (atHost) call.hostId = sendToHost(method, {}, () => {});
    doc.rids.set(rid, call);
    return call;
  });
  return { key, calls };
}
/** The host ids `cancel` was sent for since `mark`. */
const cancelledSince = (mark) => sent.slice(mark).filter((m) => m.method === 'cancel').map((m) => m.params.target);
/** The host answered the call: it leaves hostPending and ends (page-calls.js's reply). */
function answered(call) {
  hostPending.delete(call.hostId);
  callEnded(call);
}

test('a navigation cancels every call but one store(); a second store() in the tab is cancelled', () => {
  const mark = sent.length;
  const { key, calls } = docWith(7, ['credentials.get', 'credentials.store', 'credentials.store', 'credentials.create']);
  const [get, save, secondSave, create] = calls;
  cancelDocument(key, 'the frame navigated away');
  assert.deepEqual(cancelledSince(mark), [get.hostId, secondSave.hostId, create.hostId]);
  assert.equal(save.outlivesIn, 7);
  // The next document in the tab leaves with its own store() while the first still waits.
  const mark2 = sent.length;
  const next = docWith(7, ['credentials.store', 'credentials.signal']);
  cancelDocument(next.key, 'the document went away');
  assert.deepEqual(cancelledSince(mark2), next.calls.map((c) => c.hostId));
  // Once the first save is answered, the tab may keep another.
  answered(save);
  const mark3 = sent.length;
  const third = docWith(7, ['credentials.store']);
  cancelDocument(third.key, 'the frame navigated away');
  assert.deepEqual(cancelledSince(mark3), []);
  // Closing the tab cancels it.
  onTabRemoved(7);
  assert.deepEqual(cancelledSince(mark3), [third.calls[0].hostId]);
  answered(third.calls[0]);
});

test('a closed tab cancels its documents\' store() too, and each tab has its own outliving save', () => {
  const mark = sent.length;
  const a = docWith(8, ['credentials.store']);
  const b = docWith(9, ['credentials.store']);
  cancelDocument(a.key, 'the frame navigated away');
  cancelDocument(b.key, 'the frame navigated away');
  assert.deepEqual(cancelledSince(mark), []);
  const c = docWith(8, ['credentials.store']);
  onTabRemoved(8);
  assert.deepEqual(cancelledSince(mark), [c.calls[0].hostId, a.calls[0].hostId]);
  onTabRemoved(9);
  assert.deepEqual(cancelledSince(mark), [c.calls[0].hostId, a.calls[0].hostId, b.calls[0].hostId]);
});

test('a store() not yet at the host outlives its document; a closed tab aborts it before it is sent', () => {
  const mark = sent.length;
  const { key, calls } = docWith(10, ['credentials.store', 'credentials.get'], { atHost: false });
  const [save, get] = calls;
  cancelDocument(key, 'the document went away');
  assert.equal(save.aborted, false);
  assert.equal(get.aborted, true);
  onTabRemoved(10);
  assert.equal(save.aborted, true);
  assert.equal(save.reason, 'the tab was closed');
  assert.deepEqual(cancelledSince(mark), []);
});
