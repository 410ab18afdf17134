// Unit tests of credwell's form saving without a browser: the classifier
// (extension/src/content/forms/classify.js, a part of the ISOLATED-world bundle, loaded here as
// the bundle loads it: a classic script) on synthetic fields, and the background's side
// (extension/src/background/form-saves.js) over a scripted native port and storage.session.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

const classifier = {};
runInNewContext(readFileSync(new URL('../../extension/src/content/forms/classify.js', import.meta.url), 'utf8'), classifier);
/** classifyFields over plain copies (the vm's objects compare by structure once copied back). */
const classify = (fields) => {
  const out = classifier.classifyFields(fields);
  return out === null ? null : { ...out };
};

/** A field as fields.js describes it: a visible text field unless said otherwise. */
function field(value, { type = 'text', autocomplete = '', hints = '', visible = true, inputMode = '', maxLength = -1 } = {}) {
  const tokens = autocomplete.toLowerCase().split(/\s+/).filter(Boolean);
  return { type, tokens, hints, visible, value, inputMode, maxLength };
}
const password = (value, options = {}) => field(value, { type: 'password', ...options });

test('autocomplete tokens decide first: username, current-password, new-password', () => {
  // A sign-in: the field marked username, even after an unmarked text field.
  assert.deepEqual(
    classify([field('Alice Smith', { hints: 'name' }), field('alice', { autocomplete: 'username' }), password('pencil', { autocomplete: 'current-password' })]),
    { kind: 'sign-in', username: 'alice', password: 'pencil', usernameField: 1, passwordField: 2 },
  );
  // `username webauthn` is a user name field; tokens are ASCII case-insensitive.
  assert.equal(classify([field('bob', { autocomplete: 'Username WebAuthn' }), password('x', { autocomplete: 'CURRENT-PASSWORD' })]).username, 'bob');
  // A hidden field marked username names the account (a change-password form's, the second
  // page of a two-page sign-in).
  assert.deepEqual(
    classify([
      field('carol', { autocomplete: 'username', visible: false, type: 'other:hidden' }),
      password('old', { autocomplete: 'current-password' }),
      password('new', { autocomplete: 'new-password' }),
      password('new', { autocomplete: 'new-password' }),
    ]),
    { kind: 'change-password', username: 'carol', password: 'new', usernameField: 0, passwordField: 2 },
  );
  // A sign-up: new-password and its confirmation (marked or not).
  assert.deepEqual(
    classify([field('dave', { autocomplete: 'username' }), password('n1', { autocomplete: 'new-password' }), password('n1')]),
    { kind: 'sign-up', username: 'dave', password: 'n1', usernameField: 0, passwordField: 1 },
  );
  // A current password marked, the new one and its confirmation not.
  assert.equal(classify([password('old', { autocomplete: 'current-password' }), password('n2'), password('n2')]).kind, 'change-password');
  // A confirmation that differs: nothing to save.
  assert.equal(classify([field('erin'), password('n1', { autocomplete: 'new-password' }), password('n2', { autocomplete: 'new-password' })]), null);
  // autocomplete="off" on the password is no reason not to save.
  assert.equal(classify([field('frank', { hints: 'login' }), password('p', { autocomplete: 'off' })]).kind, 'sign-in');
});

test('without tokens: field types and structure', () => {
  // One password: a sign-in; the user name is the text field before it that says so.
  assert.deepEqual(
    classify([field('gina', { hints: 'login' }), field('Gina G.', { hints: 'nickname' }), password('p')]),
    { kind: 'sign-in', username: 'gina', password: 'p', usernameField: 0, passwordField: 2 },
  );
  // Else the nearest visible text field before it; never one after it, nor a hidden one.
  assert.equal(classify([field('h1', { hints: 'x' }), field('h2', { hints: 'y' }), password('p'), field('after')]).username, 'h2');
  assert.equal(classify([field('hidden', { visible: false }), password('p')]).username, '');
  // An e-mail field is a user name.
  assert.equal(classify([field('Ivy', { hints: 'full name' }), field('ivy@example.com', { type: 'email' }), password('p')]).username, 'ivy@example.com');
  // Two equal passwords: a sign-up; two different: current and new; three: current, new, new.
  assert.deepEqual(
    [[password('a'), password('a')], [password('a'), password('b')], [password('a'), password('b'), password('b')]].map((f) => {
      const r = classify([field('u', { hints: 'user' }), ...f]);
      return [r.kind, r.password];
    }),
    [['sign-up', 'a'], ['change-password', 'b'], ['change-password', 'b']],
  );
  // Three that do not fit, or more: nothing.
  assert.equal(classify([password('a'), password('b'), password('c')]), null);
  assert.equal(classify([password('a'), password('a'), password('a'), password('a')]), null);
  // Empty passwords are not there.
  assert.equal(classify([field('u', { hints: 'user' }), password(''), password('p')]).kind, 'sign-in');
});

test('a password-like field that is no account password is never saved', () => {
  const user = field('jo', { hints: 'user' });
  for (const secret of [
    password('1234', { hints: 'pin' }),
    password('1234', { hints: 'card pin' }),
    password('123456', { autocomplete: 'one-time-code' }),
    password('123456', { hints: 'otp' }),
    password('123', { autocomplete: 'cc-csc' }),
    password('4111111111111111', { hints: 'cardnumber' }),
    password('123', { hints: 'security code' }),
    password('9876', { inputMode: 'numeric', maxLength: 4 }),
  ]) {
    assert.equal(classify([user, secret]), null, JSON.stringify(secret));
  }
  // A one-time code beside a real password does not change the sign-in.
  assert.equal(classify([user, password('p'), field('123456', { autocomplete: 'one-time-code' })]).password, 'p');
  // A password field alone with nothing typed: nothing.
  assert.equal(classify([user, password('')]), null);
});

test('a user name alone is the first page of a two-page sign-in', () => {
  assert.deepEqual(classify([field('kim@example.com', { type: 'email' })]), {
    kind: 'username', username: 'kim@example.com', password: '', usernameField: 0, passwordField: -1,
  });
  assert.equal(classify([field('kim', { autocomplete: 'username' }), password('', { visible: false })]).kind, 'username');
  // A search box, or any text field that does not say it is a user name, is not.
  assert.equal(classify([field('shoes', { hints: 'q search' })]), null);
  assert.equal(classify([field('hello', { hints: 'comment' })]), null);
  // Nor a page of several filled text fields (an address form).
  assert.equal(classify([field('kim', { hints: 'user' }), field('Main Street', { hints: 'street' })]), null);
  assert.equal(classify([field('', { autocomplete: 'username' })]), null);
});

// ---- the background's side (form-saves.js), over a scripted native port ----------------------

/** @type {{id: number, method: string, params: any}[]} */
const sent = [];
const session = new Map();
// The frames' next loads (webNavigation.onCompleted) and the probes' answers (tabs.sendMessage).
const loadListeners = new Set();
const commitListeners = new Set();
const frameDocs = new Map();
const probes = [];
let probeAnswer = { passwordField: false };
// While set, storage.session's reads and writes wait for it (a busy background: the pending
// forms' turns queue up behind one).
let storageGate = null;
globalThis.chrome = {
  webNavigation: {
    onCommitted: { addListener: (fn) => commitListeners.add(fn), removeListener: (fn) => commitListeners.delete(fn) },
    onCompleted: { addListener: (fn) => loadListeners.add(fn), removeListener: (fn) => loadListeners.delete(fn) },
    // The document each frame holds now ('tab:frame' → document id; unknown: the frame is gone).
    getFrame: async ({ tabId, frameId }) => (frameDocs.has(`${tabId}:${frameId}`) ? { documentId: frameDocs.get(`${tabId}:${frameId}`) } : null),
    // The tab's frames: those of frameDocs, each a child of the top frame.
    getAllFrames: async ({ tabId }) =>
      [...frameDocs]
        .filter(([at]) => at.startsWith(`${tabId}:`))
        .map(([at, documentId]) => {
          const frameId = Number(at.split(':')[1]);
          return { frameId, parentFrameId: frameId === 0 ? -1 : 0, documentId, url: 'http://localhost:8000/frame' };
        }),
  },
  tabs: {
    sendMessage: async (tabId, message, options) => {
      // An ancestor asked for its origin (identity.js): no content script answers here.
      if (message.kind === 'identify') return undefined;
      probes.push({ tabId, message, options });
      return probeAnswer;
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
  storage: {
    session: {
      get: async (keys) => {
        await storageGate;
        const wanted = keys === null ? [...session.keys()] : [keys].flat();
        return Object.fromEntries(wanted.filter((k) => session.has(k)).map((k) => [k, structuredClone(session.get(k))]));
      },
      set: async (items) => {
        await storageGate;
        Object.entries(items).forEach(([k, v]) => session.set(k, structuredClone(v)));
      },
      remove: async (keys) => [keys].flat().forEach((k) => session.delete(k)),
    },
  },
};
const { hostPending } = await import('../../extension/src/background/host.js');
const { cancelDocument, documents } = await import('../../extension/src/background/documents.js');
const { clientId } = await import('../../extension/src/caller.js');
const { onFormMessage, onFormPending, onFormDrop, onFormFrameCommitted, pageStores, validForm, forgetTab, PENDING_FOR_MS } = await import(
  '../../extension/src/background/form-saves.js'
);

let nextDoc = 1;
/** A top-level document's sender in tab `tabId` on `origin`. */
function sender(tabId, origin = 'http://localhost:8000') {
  const documentId = `form-doc-${nextDoc++}`;
  return { tab: { id: tabId }, frameId: 0, documentId, origin, url: `${origin}/login`, documentLifecycle: 'active' };
}
/** The form messages' host requests since `mark`. */
const storesSince = (mark) => sent.slice(mark).filter((m) => m.method === 'credentials.store');
const cancelsSince = (mark) => sent.slice(mark).filter((m) => m.method === 'cancel').map((m) => m.params.target);
/** The host answered request `id` (host.js's reply path). */
function reply(id) {
  const entry = hostPending.get(id);
  hostPending.delete(id);
  entry.onReply({ id, result: null });
}

test('validForm: only a known kind, strings within the host\'s bounds, a password (a user name for the first page)', () => {
  assert.deepEqual(validForm({ kind: 'sign-in', username: 'a', password: 'p', extra: 1 }), { kind: 'sign-in', username: 'a', password: 'p', navigates: false });
  assert.deepEqual(validForm({ kind: 'username', username: 'a', password: '' }), { kind: 'username', username: 'a', password: '', navigates: false });
  assert.equal(validForm({ kind: 'sign-in', username: 'a', password: 'p', navigates: true }).navigates, true);
  assert.equal(validForm({ kind: 'sign-in', username: 'a', password: 'p', navigates: 'yes' }).navigates, false);
  for (const bad of [
    null,
    'sign-in',
    { kind: 'login', username: 'a', password: 'p' },
    { kind: 'sign-in', username: 1, password: 'p' },
    { kind: 'sign-in', username: 'a', password: '' },
    { kind: 'username', username: '', password: '' },
    { kind: 'sign-up', username: 'a'.repeat(1025), password: 'p' },
    { kind: 'sign-up', username: 'a', password: 'p'.repeat(4097) },
  ]) {
    assert.equal(validForm(bad), null, JSON.stringify(bad));
  }
});

test('a form is a store() of {id, password} for the sender\'s origin, under its own client', async () => {
  const mark = sent.length;
  const s = sender(3, 'https://shop.example');
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'ann', password: 'pw', origin: 'https://evil.example' } }, s, s.documentId);
  const [store] = storesSince(mark);
  assert.equal(store.params.caller.origin, 'https://shop.example');
  assert.deepEqual(store.params.credential, { type: 'password', id: 'ann', password: 'pw', name: '', iconURL: '' });
  assert.equal(store.params.typedForm, true, 'the host keeps a stored account\'s name and icon');
  assert.notEqual(store.params.caller.client, clientId(3, 0, s.documentId), 'not the page\'s own client');
  assert.deepEqual(hostPending.get(store.id).page, { docKey: s.documentId, rid: -1, tabId: 3 });
  // Answered: it leaves its document.
  reply(store.id);
  assert.equal(documents.get(s.documentId).rids.size, 0);
  // A malformed form, or one from a document without a key, is not sent.
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'ann' } }, s, s.documentId);
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'ann', password: 'pw' } }, s, null);
  assert.equal(storesSince(mark).length, 1);
});

test('the first page\'s user name names the next password-only form of its origin in its tab, once', async () => {
  const mark = sent.length;
  const step = async (tabId, origin, form) => {
    const s = sender(tabId, origin);
    await onFormMessage({ credwell: 1, kind: 'form', form }, s, s.documentId);
  };
  await step(4, 'https://a.example', { kind: 'username', username: 'bea@a.example', password: '' });
  assert.equal(storesSince(mark).length, 0, 'a user name alone saves nothing');
  // Another tab, or another origin in this tab, does not get it.
  await step(5, 'https://a.example', { kind: 'sign-in', username: '', password: 'pw' });
  assert.equal(storesSince(mark).length, 0);
  await step(4, 'https://a.example', { kind: 'sign-in', username: '', password: 'pw' });
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.id), ['bea@a.example']);
  // Used once.
  await step(4, 'https://a.example', { kind: 'sign-in', username: '', password: 'pw' });
  assert.equal(storesSince(mark).length, 1);
  await step(4, 'https://a.example', { kind: 'username', username: 'cy', password: '' });
  await step(4, 'https://b.example', { kind: 'sign-in', username: '', password: 'pw' });
  assert.equal(storesSince(mark).length, 1, 'another origin\'s form does not get it');
  await step(6, 'https://a.example', { kind: 'username', username: 'di', password: '' });
  forgetTab(6);
  await step(6, 'https://a.example', { kind: 'sign-in', username: '', password: 'pw' });
  assert.equal(storesSince(mark).length, 1, 'a closed tab\'s user name is forgotten');
  for (const m of storesSince(mark)) reply(m.id);
});

test('a form save outlives its document as its tab\'s one outliving save; the page\'s own store() cancels it', async () => {
  const mark = sent.length;
  const s = sender(7);
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'eli', password: 'pw' } }, s, s.documentId);
  const [save] = storesSince(mark);
  cancelDocument(s.documentId, 'the frame navigated away');
  assert.deepEqual(cancelsSince(mark), [], 'it outlives its document');
  // The next document's form save, leaving while the first still waits, is cancelled.
  const next = sender(7);
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'flo', password: 'pw' } }, next, next.documentId);
  const second = storesSince(mark)[1];
  cancelDocument(next.documentId, 'the frame navigated away');
  assert.deepEqual(cancelsSince(mark), [second.id]);
  reply(save.id);
  reply(second.id);
  // A page of the same origin in the same tab that stores itself: the form save still waiting
  // is cancelled; another origin's or another tab's store() leaves it.
  const page = sender(8);
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-up', username: 'gil', password: 'pw' } }, page, page.documentId);
  const third = storesSince(mark)[2];
  pageStores(8, 'https://elsewhere.example');
  pageStores(9, page.origin);
  assert.deepEqual(cancelsSince(mark), [second.id]);
  pageStores(8, page.origin);
  assert.deepEqual(cancelsSince(mark), [second.id, third.id]);
  reply(third.id);
  pageStores(8, page.origin);
  assert.deepEqual(cancelsSince(mark), [second.id, third.id], 'an ended form save is not cancelled again');
});

test('a sign-in that navigates is saved once the next document loaded without a password field; one that shows one again failed', async () => {
  const mark = sent.length;
  const tick = () => new Promise((ok) => setTimeout(ok, 0));
  const committedIn = (tabId, frameId, documentId) => [...commitListeners].forEach((fn) => fn({ tabId, frameId, documentId }));
  const loadedIn = (tabId, frameId, documentId = 'next-doc') => [...loadListeners].forEach((fn) => fn({ tabId, frameId, documentId }));
  // The next page shows a password field again: nothing is saved.
  probeAnswer = { passwordField: true };
  const failed = sender(11);
  const first = onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'hal', password: 'typo', navigates: true } }, failed, failed.documentId);
  await tick();
  assert.equal(storesSince(mark).length, 0, 'not before the next document loaded');
  loadedIn(12, 0); // another tab's load does not count
  loadedIn(11, 0); // nor a load before the next document committed (the sender's own, late)
  committedIn(11, 0, failed.documentId);
  loadedIn(11, 0, failed.documentId); // nor the sender's own document's
  await tick();
  assert.equal(probes.length, 0);
  committedIn(11, 0, 'next-doc');
  loadedIn(11, 0);
  await first;
  assert.deepEqual(probes.at(-1), { tabId: 11, message: { credwell: 1, kind: 'forms.probe' }, options: { frameId: 0 } });
  assert.equal(storesSince(mark).length, 0, 'the sign-in failed');
  assert.equal(documents.get(failed.documentId).rids.size, 0, 'and ended');
  // No password field: saved.
  probeAnswer = { passwordField: false };
  const ok = sender(11);
  const second = onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'hal', password: 'right', navigates: true } }, ok, ok.documentId);
  await tick();
  committedIn(11, 0, 'next-doc-2');
  loadedIn(11, 0, 'next-doc-2');
  await second;
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.password), ['right']);
  assert.equal(loadListeners.size + commitListeners.size, 0, 'no listener left behind');
  // A sign-up is saved without waiting; so is a sign-in that did not navigate.
  probeAnswer = { passwordField: true };
  const up = sender(11);
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-up', username: 'ida', password: 'new', navigates: true } }, up, up.documentId);
  const stay = sender(11);
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'joe', password: 'spa' } }, stay, stay.documentId);
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.id), ['hal', 'ida', 'joe']);
  for (const m of storesSince(mark)) reply(m.id);
});

// ---- pending forms: passed on at the frame's next commit when the document's message is lost ----

const tick = () => new Promise((ok) => setTimeout(ok, 0));
const committedIn = (tabId, frameId, documentId) => [...commitListeners].forEach((fn) => fn({ tabId, frameId, documentId }));
const loadedIn = (tabId, frameId, documentId) => [...loadListeners].forEach((fn) => fn({ tabId, frameId, documentId }));
/** A pending form from `s`, whose document its frame still holds. */
async function pendingFrom(s, form) {
  frameDocs.set(`${s.tab.id}:${s.frameId}`, s.documentId);
  await onFormPending({ credwell: 1, kind: 'form.pending', form }, s, s.documentId);
}
/** The frame of `s` commits `next` (the background's onCommitted listener, then the load). */
async function leave(s, next, { load = true } = {}) {
  frameDocs.set(`${s.tab.id}:${s.frameId}`, next);
  const passing = onFormFrameCommitted({ tabId: s.tab.id, frameId: s.frameId, documentId: next, timeStamp: Date.now() });
  committedIn(s.tab.id, s.frameId, next);
  await passing;
  await tick();
  if (load) loadedIn(s.tab.id, s.frameId, next);
  for (let i = 0; i < 5; i++) await tick();
}

test('a pending sign-in whose document leaves without its message is saved at the frame\'s commit, once, judged by the next page', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: false };
  const s = sender(21, 'https://bank.example');
  await pendingFrom(s, { kind: 'sign-in', username: 'kim', password: 'kim-pw', origin: 'https://evil.example' });
  assert.equal(storesSince(mark).length, 0, 'nothing before the verdict or the commit');
  await leave(s, 'bank-next-1');
  const [store] = storesSince(mark);
  assert.equal(store?.params.caller.origin, 'https://bank.example', 'the sender\'s origin, never the message\'s');
  assert.deepEqual(store.params.credential, { type: 'password', id: 'kim', password: 'kim-pw', name: '', iconURL: '' });
  assert.deepEqual(probes.at(-1), { tabId: 21, message: { credwell: 1, kind: 'forms.probe' }, options: { frameId: 0 } });
  // The departing document's own message, arriving late, is not passed on again.
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-in', username: 'kim', password: 'kim-pw', navigates: true } }, s, s.documentId);
  await leave(s, 'bank-next-2');
  assert.equal(storesSince(mark).length, 1, 'one prompt, not two');
  reply(store.id);
  assert.equal(loadListeners.size + commitListeners.size, 0, 'no listener left behind');
});

test('a pending sign-in whose next page shows a password field again is not saved', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: true };
  const s = sender(22);
  await pendingFrom(s, { kind: 'sign-in', username: 'lee', password: 'typo' });
  await leave(s, 'again-1');
  assert.equal(storesSince(mark).length, 0);
  probeAnswer = { passwordField: false };
  // A sign-up is saved without asking the next page.
  const up = sender(22);
  await pendingFrom(up, { kind: 'sign-up', username: 'lee', password: 'new' });
  const before = probes.length;
  await leave(up, 'again-2', { load: false });
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.password), ['new']);
  assert.equal(probes.length, before);
  for (const m of storesSince(mark)) reply(m.id);
});

test('a pending form settled by its own message, dropped, or stored by the page itself is not saved at the commit', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: false };
  // Its own message came first: saved by it, and the commit adds nothing.
  const s = sender(23);
  await pendingFrom(s, { kind: 'sign-up', username: 'max', password: 'pw' });
  await onFormMessage({ credwell: 1, kind: 'form', form: { kind: 'sign-up', username: 'max', password: 'pw' } }, s, s.documentId);
  await leave(s, 'settled-1');
  assert.equal(storesSince(mark).length, 1);
  reply(storesSince(mark)[0].id);
  // A failed attempt (form.drop): nothing.
  const d = sender(23);
  await pendingFrom(d, { kind: 'sign-in', username: 'ned', password: 'typo' });
  await onFormDrop(d, d.documentId);
  await leave(d, 'dropped-1');
  // Another document's drop does not reach it.
  const other = sender(23);
  await pendingFrom(other, { kind: 'sign-up', username: 'ora', password: 'pw' });
  await onFormDrop(sender(23), 'some-other-doc');
  // The page stored the credential itself, then left: one prompt (the page's), none from here.
  pageStores(23, other.origin);
  await leave(other, 'stored-1');
  assert.equal(storesSince(mark).length, 1);
  // A pending form older than its watch is dropped, not saved.
  const old = sender(23);
  await pendingFrom(old, { kind: 'sign-up', username: 'pat', password: 'pw' });
  const key = `formPending:23:0`;
  session.set(key, { ...session.get(key), at: Date.now() - PENDING_FOR_MS - 1 });
  await leave(old, 'old-1');
  assert.equal(storesSince(mark).length, 1);
  assert.equal(session.has(key), false);
  // A closed tab's pending forms go.
  const closed = sender(24);
  await pendingFrom(closed, { kind: 'sign-up', username: 'quy', password: 'pw' });
  forgetTab(24);
  await leave(closed, 'closed-1');
  assert.equal(storesSince(mark).length, 1);
  // A user name alone is never pending.
  const first = sender(25);
  await pendingFrom(first, { kind: 'username', username: 'rob', password: '' });
  assert.equal(session.has('formPending:25:0'), false);
});

test('a pending form whose frame already holds the next document is saved at once; a top-frame commit passes a frame\'s on', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: false };
  // The commit came before the pending message: the frame holds another document already.
  const s = sender(26);
  frameDocs.set('26:0', 'already-next');
  await onFormPending({ credwell: 1, kind: 'form.pending', form: { kind: 'sign-up', username: 'sam', password: 'pw' } }, s, s.documentId);
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.id), ['sam']);
  reply(storesSince(mark)[0].id);
  // A same-origin frame's pending sign-up, and the top frame navigates: passed on.
  const framed = { ...sender(27), frameId: 3 };
  await pendingFrom(framed, { kind: 'sign-up', username: 'tom', password: 'pw' });
  await onFormFrameCommitted({ tabId: 27, frameId: 0, documentId: 'top-next', timeStamp: Date.now() });
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.id), ['sam', 'tom']);
  reply(storesSince(mark)[1].id);
  // Its own frame committing its own document again (no new document) passes nothing.
  const stays = sender(28);
  await pendingFrom(stays, { kind: 'sign-up', username: 'uli', password: 'pw' });
  await onFormFrameCommitted({ tabId: 28, frameId: 0, documentId: stays.documentId, timeStamp: Date.now() });
  assert.equal(storesSince(mark).length, 2);
});

test('Firefox (no document ids): a pending sign-in passed on at its frame\'s commit is judged by the page it led to, not by a later one', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: false };
  // Firefox's senders have no documentId; the document's key is its port's.
  const s = { tab: { id: 29 }, frameId: 0, origin: 'https://fox.example', url: 'https://fox.example/login' };
  await onFormPending({ credwell: 1, kind: 'form.pending', form: { kind: 'sign-in', username: 'vic', password: 'vic-pw' } }, s, 'port:fox-1');
  // The commit (no document id: the browser's listeners all hear it as it comes, the judge not
  // yet there), then the load of the page the sign-in led to: judged there.
  const passing = onFormFrameCommitted({ tabId: 29, frameId: 0, timeStamp: Date.now() + 1 });
  committedIn(29, 0, undefined);
  await passing;
  for (let i = 0; i < 5; i++) await tick();
  loadedIn(29, 0, undefined);
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(probes.at(-1), { tabId: 29, message: { credwell: 1, kind: 'forms.probe' }, options: { frameId: 0 } });
  assert.deepEqual(storesSince(mark).map((m) => m.params.credential.id), ['vic'], 'saved without waiting for another page');
  reply(storesSince(mark)[0].id);
  assert.equal(loadListeners.size + commitListeners.size, 0, 'no listener left behind');
});

test('a submission whose document left with its own message\'s save, while its pending copy was being passed on, is saved once', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: false };
  const s = sender(30, 'https://race.example');
  const form = { kind: 'sign-in', username: 'wes', password: 'wes-pw' };
  await pendingFrom(s, form);
  // A busy background: the submission's update (its fields read again) waits for its turn...
  let open;
  storageGate = new Promise((ok) => (open = ok));
  const update = onFormPending({ credwell: 1, kind: 'form.pending', form }, s, s.documentId);
  for (let i = 0; i < 5; i++) await tick();
  // ...as the document's own message comes, the frame commits the next document, and the
  // document goes away with that message's save (the tab's outliving save).
  const message = onFormMessage({ credwell: 1, kind: 'form', form: { ...form, navigates: true } }, s, s.documentId);
  frameDocs.set('30:0', 'race-next');
  cancelDocument(s.documentId, 'the frame navigated away');
  storageGate = null;
  open();
  await update;
  for (let i = 0; i < 5; i++) await tick();
  committedIn(30, 0, 'race-next');
  loadedIn(30, 0, 'race-next');
  await message;
  for (let i = 0; i < 5; i++) await tick();
  // Before: the update found the frame moved on, marked the pending copy passed but could not
  // make it the tab's outliving save (the message's save was), and the message yielded to it:
  // nothing was saved.
  assert.deepEqual(storesSince(mark).map((m) => [m.params.credential.id, m.params.credential.password]), [['wes', 'wes-pw']]);
  assert.equal(session.has('formPending:30:0'), false, 'the pending copy is settled');
  reply(storesSince(mark)[0].id);
  assert.equal(loadListeners.size + commitListeners.size, 0, 'no listener left behind');
});

test('a framed submission whose own message\'s save goes on after its document left keeps the caller built while the document was there', async () => {
  const mark = sent.length;
  probeAnswer = { passwordField: false };
  const s = { ...sender(31), frameId: 4 };
  const form = { kind: 'sign-in', username: 'xia', password: 'xia-pw' };
  frameDocs.set('31:0', 'frame-top');
  await pendingFrom(s, form);
  // The document's message, then at once the frame's commit of the next document: the message
  // settles the pending form after the document has gone.
  const message = onFormMessage({ credwell: 1, kind: 'form', form: { ...form, navigates: true } }, s, s.documentId);
  frameDocs.set('31:4', 'frame-next');
  cancelDocument(s.documentId, 'the frame navigated away');
  const passing = onFormFrameCommitted({ tabId: 31, frameId: 4, documentId: 'frame-next', timeStamp: Date.now() });
  committedIn(31, 4, 'frame-next');
  await passing;
  for (let i = 0; i < 5; i++) await tick();
  loadedIn(31, 4, 'frame-next');
  await message;
  for (let i = 0; i < 5; i++) await tick();
  const stores = storesSince(mark);
  assert.deepEqual(stores.map((m) => m.params.credential.id), ['xia'], 'one save');
  // Before: the caller was built again once the frame held another document, not fully active,
  // and the host refused the save (InvalidStateError).
  assert.equal(stores[0].params.caller.fullyActive, true);
  reply(stores[0].id);
  frameDocs.delete('31:0');
  frameDocs.delete('31:4');
});
