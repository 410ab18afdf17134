// Unit tests of filling ordinary sign-in forms without a browser: which fields a focus offers to
// fill (classify.js's fillFields, loaded as the ISOLATED-world bundle loads it: a classic
// script), and the background's side (extension/src/background/form-fills.js) over a scripted
// native port: the caller from the browser's sender, one request per document, the password
// sent to the asking document alone.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const classifier = {};
runInNewContext(readFileSync(new URL('../../extension/src/content/forms/classify.js', import.meta.url), 'utf8'), classifier);
const fillFields = (fields, focused) => {
  const out = classifier.fillFields(fields, focused);
  return out === null ? null : { ...out };
};

/** A field as fields.js describes it: an empty, visible text field unless said otherwise. */
function field({ type = 'text', autocomplete = '', hints = '', visible = true, value = '', inputMode = '', maxLength = -1 } = {}) {
  const tokens = autocomplete.toLowerCase().split(/\s+/).filter(Boolean);
  return { type, tokens, hints, visible, value, inputMode, maxLength };
}
const password = (options = {}) => field({ type: 'password', ...options });

test('a sign-in form: its user name and password fields, from either of them', () => {
  const form = [field({ hints: 'display name' }), field({ autocomplete: 'username' }), password({ autocomplete: 'current-password' })];
  const both = { kind: 'sign-in', usernameField: 1, passwordField: 2 };
  assert.deepEqual(fillFields(form, 1), both);
  assert.deepEqual(fillFields(form, 2), both);
  // Another field of the form offers nothing.
  assert.equal(fillFields(form, 0), null);
  // Without tokens: the text field before the password whose words say user name, else the
  // nearest one before it.
  assert.deepEqual(fillFields([field({ hints: 'email' }), field({ hints: 'nickname' }), password()], 2), { kind: 'sign-in', usernameField: 0, passwordField: 2 });
  assert.deepEqual(fillFields([field({ hints: 'q' }), field({ hints: 'who' }), password()], 2), { kind: 'sign-in', usernameField: 1, passwordField: 2 });
  // A password field alone (the second page of a two-page sign-in).
  assert.deepEqual(fillFields([password()], 0), { kind: 'sign-in', usernameField: -1, passwordField: 0 });
  // autocomplete="off" changes nothing; values play no part.
  assert.deepEqual(fillFields([field({ value: 'typed' }), password({ autocomplete: 'off', value: 'x' })], 0), { kind: 'sign-in', usernameField: 0, passwordField: 1 });
});

test('sign-up, change-password, PIN, code and card forms offer nothing; hidden fields are not filled', () => {
  assert.equal(fillFields([field({ autocomplete: 'username' }), password({ autocomplete: 'new-password' })], 1), null);
  assert.equal(fillFields([field({ hints: 'user' }), password(), password()], 1), null);
  assert.equal(fillFields([field({ hints: 'user' }), password({ autocomplete: 'current-password' }), password({ autocomplete: 'new-password' })], 1), null);
  assert.equal(fillFields([field({ hints: 'user' }), password({ hints: 'pin' })], 1), null);
  assert.equal(fillFields([field({ hints: 'user' }), password({ autocomplete: 'one-time-code' })], 1), null);
  assert.equal(fillFields([field({ hints: 'card number' }), password({ hints: 'cvc' })], 0), null);
  assert.equal(fillFields([field({ hints: 'user' }), password({ inputMode: 'numeric', maxLength: 4 })], 0), null);
  // A hidden password field beside the user name: not a sign-in to fill here (the user name
  // alone is offered when it says it is one).
  assert.equal(fillFields([field({ hints: 'comment' }), password({ visible: false })], 0), null);
  assert.equal(fillFields([field({ hints: 'user' }), password()], 5), null);
  assert.equal(fillFields([field({ visible: false, autocomplete: 'username' }), password()], 0), null);
});

test('a user name alone (the first page of a two-page sign-in) offers the user name', () => {
  assert.deepEqual(fillFields([field({ type: 'email' })], 0), { kind: 'username', usernameField: 0, passwordField: -1 });
  assert.deepEqual(fillFields([field({ autocomplete: 'username' }), field({ hints: 'remember' })], 0), { kind: 'username', usernameField: 0, passwordField: -1 });
  assert.deepEqual(fillFields([field({ autocomplete: 'username' }), password({ visible: false })], 0), { kind: 'username', usernameField: 0, passwordField: -1 });
  // A search box, a comment, or one of several text fields that does not say it is a user name.
  assert.equal(fillFields([field({ hints: 'q search' })], 0), null);
  assert.equal(fillFields([field({ hints: 'comment' })], 0), null);
  assert.equal(fillFields([field({ hints: 'user' }), field({ hints: 'street' })], 0), null);
});

// ---- the background's side (form-fills.js), over a scripted native port ----------------------

/** @type {{id: number, method: string, params: any}[]} */
const sent = [];
/** The messages the background sent to documents: {tabId, message, options}. */
const toDocuments = [];
globalThis.chrome = {
  webNavigation: {
    onCommitted: { addListener() {}, removeListener() {} },
    onCompleted: { addListener() {}, removeListener() {} },
    getAllFrames: async () => [
      { frameId: 0, parentFrameId: -1, url: 'https://top.example/', documentId: 'top-doc' },
      { frameId: 3, parentFrameId: 0, url: 'https://example.com/login', documentId: 'framed-doc' },
    ],
  },
  tabs: {
    sendMessage: async (tabId, message, options) => {
      toDocuments.push({ tabId, message, options });
      return {};
    },
  },
  runtime: {
    connectNative: () => ({
      postMessage: (m) => sent.push(m),
      onMessage: { addListener() {} },
      onDisconnect: { addListener() {} },
      disconnect() {},
    }),
  },
  storage: { session: { get: async () => ({}), set: async () => {}, remove: async () => {} } },
};
const { hostPending } = await import('../../extension/src/background/host.js');
const { cancelDocument } = await import('../../extension/src/background/documents.js');
const { remember } = await import('../../extension/src/background/identity.js');
const { onFillAsk } = await import('../../extension/src/background/form-fills.js');

let nextDoc = 1;
/** A top-level document's sender in tab `tabId` on `origin`. */
function sender(tabId, origin = 'https://example.com') {
  const documentId = `fill-doc-${nextDoc++}`;
  return { tab: { id: tabId }, frameId: 0, documentId, origin, url: `${origin}/login`, documentLifecycle: 'active' };
}
const fillsSince = (mark) => sent.slice(mark).filter((m) => m.method === 'forms.fill');
/** The host answers request `id` with `result`. */
function reply(id, result) {
  const entry = hostPending.get(id);
  hostPending.delete(id);
  entry.onReply({ id, result });
}

test('a focus asks the host with the caller the browser reports; the pick goes to that document alone', async () => {
  const mark = sent.length;
  const s = sender(7);
  await onFillAsk(s, s.documentId);
  const [ask] = fillsSince(mark);
  assert.equal(ask.params.caller.origin, 'https://example.com');
  assert.deepEqual(ask.params.caller.ancestors, []);
  assert.deepEqual(Object.keys(ask.params), ['caller']);
  const before = toDocuments.length;
  reply(ask.id, { id: 'alice', password: 'alice-pw' });
  assert.deepEqual(toDocuments.slice(before), [
    { tabId: 7, message: { credwell: 1, kind: 'fill.fill', username: 'alice', password: 'alice-pw' }, options: { frameId: 0, documentId: s.documentId } },
  ]);
  // Nothing picked (null): nothing sent.
  await onFillAsk(s, s.documentId);
  reply(fillsSince(mark)[1].id, null);
  assert.equal(toDocuments.length, before + 1);
});

test('a framed document\'s caller names its ancestors from the frame tree, for the host to refuse', async () => {
  remember('top-doc', 'https://top.example');
  const mark = sent.length;
  const s = { ...sender(8), frameId: 3, documentId: 'framed-doc' };
  await onFillAsk(s, s.documentId);
  const [ask] = fillsSince(mark);
  assert.deepEqual(ask.params.caller.ancestors, ['https://top.example']);
  reply(ask.id, null);
});

test('a new focus cancels the document\'s open request; a document gone gets no password', async () => {
  const mark = sent.length;
  const s = sender(9);
  await onFillAsk(s, s.documentId);
  const [first] = fillsSince(mark);
  await onFillAsk(s, s.documentId);
  const cancels = sent.slice(mark).filter((m) => m.method === 'cancel');
  assert.deepEqual(cancels.map((m) => m.params.target), [first.id]);
  reply(first.id, null);
  const second = fillsSince(mark)[1];
  cancelDocument(s.documentId, 'the document went away');
  assert.ok(sent.slice(mark).some((m) => m.method === 'cancel' && m.params.target === second.id));
  const before = toDocuments.length;
  // Had the host answered anyway, the password would reach no document.
  reply(second.id, { id: 'alice', password: 'alice-pw' });
  assert.equal(toDocuments.length, before);
  // No document key (Firefox without the document's port): nothing is asked.
  const none = sent.length;
  await onFillAsk(sender(10), null);
  assert.equal(fillsSince(none).length, 0);
});
