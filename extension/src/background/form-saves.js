// @ts-check
// Saves from ordinary forms (src/content/forms/): a submission that looked successful, as the
// document's ISOLATED-world script read it, becomes a store() of a PasswordCredential {id: the
// user name, password} with no name or icon, for the caller the browser reports for the sender
// (src/caller.js), never an origin the message names. It goes through the host's
// credentials.store (with `typedForm`: a stored account of that id keeps its name and icon, and
// the same password again asks nothing), so the save / update prompt, "Never for this site", the
// store-consent setting and the prompts' turn in the tab are those of any store(); it is
// registered with its document like a page's store(), so it outlives the document as one
// (documents.js: one outliving save per tab).
//
// A sign-in that navigates (the form submission went ahead, or the page left) is judged by the
// page it led to: once that frame's next document has committed and loaded (or NEXT_LOAD_MS
// passed), its
// content script is asked whether it shows a password field; if it does, the site is offering
// the sign-in again, the sign-in failed, and nothing is saved (a mistyped password is not
// offered as an update of the right one). Sign-ups and changes of password are saved either way.
//
// The first page of a two-page sign-in (a user name alone, `username`) is remembered for its
// tab and origin for USERNAME_FOR_MS in storage.session (which content scripts cannot read), and
// names the account of the next password-only form of that origin in that tab.
//
// A sign-in form's submission does not depend on a message from a departing document. As it
// starts (the user's click or Enter, while the document is still there), the content script
// passes the form on as pending (`form.pending`); it is kept in storage.session (memory only,
// out of content scripts' reach) for its frame, with the caller built from the sender then. The
// content script's verdict (`form`: passed on, `form.drop`: a failed attempt, or the watch
// ended) settles it. When the frame (or its tab's top frame) commits another document first, the
// submission led there: the pending form is passed on as the departing document's `form`
// message would have been (judged by that next document), and that message, if it still comes,
// is not passed on again; but when that message came first and its save is what the document left
// with (the tab's outliving save), that copy goes on and the pending one yields to it. Chromium drops a message a departing document sends to a service
// worker that is not running yet (asleep, or a fresh browser's starting once more), and a page
// entering the back/forward cache loses its ports; a navigation's commit is an event the browser
// always delivers, waking the worker for it.
//
// A form save is what the page's own store() would be; when a page of that origin in that tab
// does call store() with a password credential (as the form's own page, or the page a sign-in
// form led to, often does), that is the one prompt: the form saves still waiting there are
// cancelled (the content script also passes on nothing it sees its page store).

import { sendToHost } from './host.js';
import { adoptOutliving, callEnded, cancelCall, documentFor, outlivingSaveOf } from './documents.js';
import { callerFor } from './identity.js';

const api = globalThis.chrome;

const KINDS = new Set(['sign-in', 'sign-up', 'change-password', 'username']);
/** How long the user name of a first sign-in page names the next page's account. */
export const USERNAME_FOR_MS = 10 * 60_000;
// What a form may carry: the host's bounds on what a store() saves (docs/protocol.md, Bounds),
// in UTF-16 code units; longer is not a sign-in form.
const MAX_USERNAME = 1024;
const MAX_PASSWORD = 4096;
/** How long a navigating sign-in waits for the next document to load before it is saved. */
export const NEXT_LOAD_MS = 10_000;
/**
 * How long a pending form waits for its verdict: the content script's watch (watch.js,
 * WATCH_FOR_MS) and a margin; an older one is dropped.
 */
export const PENDING_FOR_MS = 35_000;

// Form saves are the document's calls under negative numbers, which a page's rid never is.
let nextRid = -1;
// The form saves not yet ended, with their tab and origin.
/** @type {Map<import('./documents.js').PageCall, {tabId: number, origin: string}>} */
const waiting = new Map();

/**
 * The form a content script passed on, checked; null when it is not one.
 * @param {any} form
 * @returns {{kind: string, username: string, password: string, navigates: boolean} | null}
 */
export function validForm(form) {
  if (!form || typeof form !== 'object' || !KINDS.has(form.kind)) return null;
  const { kind, username, password } = form;
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  if (username.length > MAX_USERNAME || password.length > MAX_PASSWORD) return null;
  if (kind === 'username' ? username === '' : password === '') return null;
  return { kind, username, password, navigates: form.navigates === true };
}

/**
 * Waits for frame `frameId` of tab `tabId` to commit its next document and load it, or for
 * NEXT_LOAD_MS. The load of the document that sent the form (still loading when the user was
 * quick) does not count: only one after a commit, and (where the browser has document ids) not
 * `documentId`'s. `seen`: that commit was already seen (the caller is its commit's listener, or
 * found the frame holding another document), `committed` naming the next document where the
 * browser has document ids. Firefox has none: there a commit seen is all that is known.
 * @param {number} tabId
 * @param {number} frameId
 * @param {string | undefined} documentId the sender's
 * @param {{seen?: boolean, committed?: string | null}} [next]
 * @returns {{done: Promise<void>, stop: () => void}} `stop`: no longer wanted (listeners removed)
 */
function watchNextLoad(tabId, frameId, documentId, { seen: alreadySeen = false, committed = null } = {}) {
  let stop = () => {};
  const done = new Promise((resolve) => {
    let seen = alreadySeen || committed !== null;
    /** @param {{tabId: number, frameId: number, documentId?: string}} details */
    const ours = (details) =>
      details.tabId === tabId &&
      details.frameId === frameId &&
      (!documentId || details.documentId !== documentId) &&
      (!committed || !details.documentId || details.documentId === committed);
    /** @param {{tabId: number, frameId: number, documentId?: string}} details */
    const commit = (details) => {
      if (ours(details)) seen = true;
    };
    /** @param {{tabId: number, frameId: number, documentId?: string}} details */
    const loaded = (details) => {
      if (seen && ours(details)) stop();
    };
    const timer = setTimeout(() => stop(), NEXT_LOAD_MS);
    stop = () => {
      clearTimeout(timer);
      api.webNavigation.onCommitted.removeListener(commit);
      api.webNavigation.onCompleted.removeListener(loaded);
      resolve(undefined);
    };
    api.webNavigation.onCommitted.addListener(commit);
    api.webNavigation.onCompleted.addListener(loaded);
  });
  return { done, stop: () => stop() };
}

/**
 * Whether the document now in the frame shows a password field (its content script says; no
 * answer: no).
 * @param {number} tabId
 * @param {number} frameId
 */
async function showsPasswordField(tabId, frameId) {
  try {
    const answer = await api.tabs.sendMessage(tabId, { credwell: 1, kind: 'forms.probe' }, { frameId });
    return answer?.passwordField === true;
  } catch {
    return false;
  }
}

/** @param {number} tabId */
const usernameKey = (tabId) => `formUsername:${tabId}`;

/**
 * The user name the tab's last first-page sign-in of `origin` named, if recent; forgotten once
 * read.
 * @param {number} tabId
 * @param {string} origin
 */
async function recalledUsername(tabId, origin) {
  const key = usernameKey(tabId);
  const kept = /** @type {{origin?: string, username?: unknown, at?: number} | undefined} */ ((await api.storage.session.get(key))[key]);
  if (!kept) return '';
  await api.storage.session.remove(key);
  if (kept.origin !== origin || !(Date.now() - (kept.at ?? 0) < USERNAME_FOR_MS)) return '';
  return typeof kept.username === 'string' ? kept.username : '';
}

/** tabs.onRemoved: a closed tab's remembered user name goes. @param {number} tabId */
export function forgetTab(tabId) {
  api.storage.session.remove(usernameKey(tabId)).catch(() => {});
  serially(async () => {
    await api.storage.session.remove(await pendingKeysOf(tabId));
  }).catch(() => {});
}

// ---- pending forms: a submission kept until its verdict or its frame's next commit ----------

/**
 * A pending form, as kept in storage.session.
 * @typedef {object} Pending
 * @property {string} docKey the submitting document's key
 * @property {string | null} documentId its id (Chromium), none in Firefox
 * @property {number} frameId
 * @property {any} caller the caller built from the sender as the form became pending
 * @property {number[]} ancestorFrameIds
 * @property {{kind: string, username: string, password: string}} form
 * @property {number} at when it became pending (Date.now())
 * @property {boolean} passed passed on at its frame's commit: its document's own `form` message
 *   is not passed on again
 */

/** @param {number} tabId @param {number} frameId */
const pendingKey = (tabId, frameId) => `formPending:${tabId}:${frameId}`;

/** The storage keys of tab `tabId`'s pending forms. @param {number} tabId */
async function pendingKeysOf(tabId) {
  const all = await api.storage.session.get(null);
  return Object.keys(all).filter((key) => key.startsWith(`formPending:${tabId}:`));
}

// The pending forms' reads and writes, one at a time: a verdict and a commit racing for the same
// form must not both pass it on.
/** @type {Promise<unknown>} */
let chain = Promise.resolve();
/**
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
function serially(fn) {
  const run = chain.then(fn);
  chain = run.catch(() => {});
  return run;
}

/**
 * The pending form of `key`'s document in that frame, if it is the one kept.
 * @param {number} tabId
 * @param {number} frameId
 * @param {string} key
 * @returns {Promise<Pending | null>}
 */
async function pendingOf(tabId, frameId, key) {
  const at = pendingKey(tabId, frameId);
  const kept = /** @type {Pending | undefined} */ ((await api.storage.session.get(at))[at]);
  return kept && kept.docKey === key ? kept : null;
}

/**
 * A content script's `form.pending`: a sign-in, sign-up or change-password submission started.
 * @param {any} message
 * @param {chrome.runtime.MessageSender} sender
 * @param {string | null} key the document's key (docKeyOf); null: nothing is kept
 */
export async function onFormPending(message, sender, key) {
  const form = validForm(message.form);
  const tabId = sender.tab?.id;
  if (!form || form.kind === 'username' || key === null || tabId === undefined) return;
  const frameId = sender.frameId ?? 0;
  const at = pendingKey(tabId, frameId);
  // Asked now, awaited in the pending forms' turn, which this message takes as it arrives: the
  // document's later `form` message (settlePending) comes after it, as it came after it.
  const built = callerFor(sender);
  // The save that passes it on now, if its document has gone, and the frame's next document
  // (null: unknown, the frame is gone).
  const passing = await serially(async () => {
    const { caller, ancestorFrameIds } = await built;
    // The submission's update (its fields changed while watched) after it was passed on: the
    // copy passed on carries it.
    if ((await pendingOf(tabId, frameId, key))?.passed) return null;
    /** @type {Pending} */
    const pending = {
      docKey: key,
      documentId: sender.documentId ?? null,
      frameId,
      caller,
      ancestorFrameIds,
      form: { kind: form.kind, username: form.username, password: form.password },
      at: Date.now(),
      passed: false,
    };
    await api.storage.session.set({ [at]: pending });
    // Where the browser has document ids: the frame may already hold the next document (the
    // submission navigated at once, and its commit came before this message).
    if (!pending.documentId) return null;
    const now = await api.webNavigation.getFrame({ tabId, frameId }).catch(() => null);
    if (now?.documentId === pending.documentId) return null;
    const save = await takePending(at, tabId, pending);
    return save && { pending, save, next: now?.documentId ?? null };
  });
  if (passing) {
    const { pending, save, next } = passing;
    passOnDeparted(tabId, pending, save, { seen: next !== null, committed: next });
  }
}

/**
 * In the pending forms' turn (serially): takes `pending` (kept under `at`), whose document went
 * away, to be passed on as the tab's outliving save (documents.js), and marks it passed; returns
 * that save, or null when the tab's one outliving save is another:
 * - the save of this document's own `form` message, not yet settled: the document left with
 *   it, so that copy of the submission goes on, and the pending form is left for it to settle
 *   (marking it passed here would end both copies: the message yields to a passed one);
 * - any other: this submission is dropped, marked passed so that its message, should it come,
 *   is not saved either.
 * @param {string} at
 * @param {number} tabId
 * @param {Pending} pending
 */
async function takePending(at, tabId, pending) {
  const save = formSave(() => {});
  const adopted = adoptOutliving(save.call, tabId);
  if (!adopted && outlivingSaveOf(tabId)?.settling === pending.docKey) return null;
  pending.passed = true;
  try {
    await api.storage.session.set({ [at]: pending });
  } catch (e) {
    if (adopted) save.end();
    throw e;
  }
  return adopted ? save : null;
}

/**
 * A content script's `form.drop`: its pending submission failed, or its watch ended.
 * @param {chrome.runtime.MessageSender} sender
 * @param {string | null} key
 */
export async function onFormDrop(sender, key) {
  const tabId = sender.tab?.id;
  if (key === null || tabId === undefined) return;
  const frameId = sender.frameId ?? 0;
  await serially(async () => {
    const kept = await pendingOf(tabId, frameId, key);
    if (kept && !kept.passed) await api.storage.session.remove(pendingKey(tabId, frameId));
  });
}

/**
 * Settles the pending form of `key`'s document as its own `form` message arrives: null when the
 * frame's commit passed it on already (the message is not passed on again); else the pending
 * form it settles (forgotten now), if there was one. `call`, the message's save, is `settling`
 * until this turn (takePending leaves the pending form to it).
 * @param {number} tabId
 * @param {number} frameId
 * @param {string} key
 * @param {import('./documents.js').PageCall} call
 * @returns {Promise<{pending: Pending | null} | null>}
 */
function settlePending(tabId, frameId, key, call) {
  return serially(async () => {
    delete call.settling;
    const kept = await pendingOf(tabId, frameId, key);
    if (!kept) return { pending: null };
    if (kept.passed) return null;
    await api.storage.session.remove(pendingKey(tabId, frameId));
    return { pending: kept };
  });
}

/**
 * webNavigation.onCommitted: a frame committed a document. A pending form of the document it
 * replaced (in that frame, or in any frame of the tab when the top frame committed) is passed on
 * as that document's `form` message would have been, with `navigates`.
 * @param {{tabId: number, frameId: number, documentId?: string, timeStamp: number}} details
 */
export async function onFormFrameCommitted({ tabId, frameId, documentId, timeStamp }) {
  const due = await serially(async () => {
    const keys = frameId === 0 ? await pendingKeysOf(tabId) : [pendingKey(tabId, frameId)];
    const kept = /** @type {Record<string, Pending>} */ (keys.length ? await api.storage.session.get(keys) : {});
    /** @type {{pending: Pending, save: ReturnType<typeof formSave>}[]} */
    const out = [];
    for (const [key, pending] of Object.entries(kept)) {
      if (pending.passed) continue;
      if (!(Date.now() - pending.at < PENDING_FOR_MS)) {
        await api.storage.session.remove(key);
        continue;
      }
      const sameFrame = pending.frameId === frameId;
      // Without document ids (Firefox): a document the frame held before this commit.
      const replaced = !sameFrame || (pending.documentId ? pending.documentId !== documentId : pending.at < timeStamp);
      if (!replaced) continue;
      const save = await takePending(key, tabId, pending);
      if (save) out.push({ pending, save });
    }
    return out;
  });
  // Its own frame's commit is seen here, with or without a document id (Firefox has none); a
  // frame's pending form passed on by the top frame's commit waits for its frame's own.
  for (const { pending, save } of due) {
    const own = pending.frameId === frameId;
    passOnDeparted(tabId, pending, save, { seen: own, committed: own ? documentId ?? null : null });
  }
}

/**
 * Passes on a pending form whose document went away for the submission's answer: the tab's
 * outliving save (documents.js), judged by the document it led to when it is a sign-in.
 * @param {number} tabId
 * @param {Pending} pending
 * @param {ReturnType<typeof formSave>} save the tab's outliving save that carries it (takePending)
 * @param {{seen: boolean, committed: string | null}} next whether the frame's next commit was
 *   seen, and its document's id where the browser has one
 */
function passOnDeparted(tabId, pending, save, next) {
  save.judge =
    pending.form.kind === 'sign-in' ? watchNextLoad(tabId, pending.frameId, pending.documentId ?? undefined, next) : null;
  const form = { ...pending.form, navigates: true };
  const { frameId, docKey, caller } = pending;
  passOn({ ...save, docKey, tabId, frameId, caller, form }).catch(() => save.end());
}

/**
 * A form save's call (documents.js), its request id, and the function that ends it: it stops the
 * judge of the next page (`judge`, set by the caller once it watches), forgets the wait, marks
 * the call answered, lets `detach` take it off its document, and tells documents.js.
 * @param {(call: import('./documents.js').PageCall) => void} detach
 */
function formSave(detach) {
  const rid = nextRid--;
  /** @type {import('./documents.js').PageCall} */
  const call = { method: 'credentials.store', hostId: null, aborted: false, reason: undefined, answered: false, form: true };
  const save = {
    call,
    rid,
    /** @type {{done: Promise<void>, stop: () => void} | null} */
    judge: null,
    end: () => {
      save.judge?.stop();
      waiting.delete(call);
      call.answered = true;
      detach(call);
      callEnded(call);
    },
  };
  return save;
}

/**
 * A content script's `form` message.
 * @param {any} message
 * @param {chrome.runtime.MessageSender} sender
 * @param {string | null} key the document's key (docKeyOf); null: none, nothing is saved
 */
export async function onFormMessage(message, sender, key) {
  const form = validForm(message.form);
  const tabId = sender.tab?.id;
  if (!form || key === null || tabId === undefined) return;
  if (form.kind === 'username') {
    const { caller } = await callerFor(sender);
    const value = { origin: caller.origin, username: form.username, at: Date.now() };
    await api.storage.session.set({ [usernameKey(tabId)]: value });
    return;
  }
  // Listened for at once: the next document may load while the caller is being built.
  const frameId = sender.frameId ?? 0;
  const judge = form.navigates && form.kind === 'sign-in' ? watchNextLoad(tabId, frameId, sender.documentId) : null;
  // Registered at once, so that a document that goes away now leaves it outliving (documents.js).
  const doc = documentFor(sender, key);
  const save = formSave((call) => {
    if (doc.rids.get(save.rid) === call) doc.rids.delete(save.rid);
  });
  save.judge = judge;
  save.call.settling = key;
  doc.rids.set(save.rid, save.call);
  try {
    // Its frame's commit may have passed it on already (onFormFrameCommitted): one prompt.
    const settled = await settlePending(tabId, frameId, key, save.call);
    if (!settled) return save.end();
    // The caller the pending form was given, built while its document was there: the document
    // may have gone since (with this save), and a caller built now would be refused as not
    // fully active.
    const { caller, ancestorFrameIds } = settled.pending ?? (await callerFor(sender));
    doc.ancestorFrameIds = ancestorFrameIds;
    await passOn({ ...save, docKey: doc.key, tabId, frameId, caller, form });
  } catch {
    save.end();
  }
}

/**
 * The part of a form save after its caller is known: its own client, the user name (the first
 * page's, for a password-only form), the verdict of the page a navigating sign-in led to, then
 * the host's credentials.store.
 * @param {object} save
 * @param {import('./documents.js').PageCall} save.call
 * @param {number} save.rid
 * @param {() => void} save.end
 * @param {string} save.docKey
 * @param {number} save.tabId
 * @param {number} save.frameId
 * @param {any} save.caller
 * @param {{kind: string, username: string, password: string}} save.form
 * @param {{done: Promise<void>, stop: () => void} | null} save.judge
 */
async function passOn({ call, rid, end, docKey, tabId, frameId, caller, form, judge }) {
  // Its own client: the page's own store() and get() are not "already pending" because of it.
  caller.client = (caller.client + 1) % 2 ** 52;
  waiting.set(call, { tabId, origin: caller.origin });
  const username = form.username || (await recalledUsername(tabId, caller.origin));
  if (!username || call.aborted) return end();
  if (judge) {
    await judge.done;
    if (call.aborted || (await showsPasswordField(tabId, frameId))) return end();
  }
  const credential = { type: 'password', id: username, password: form.password, name: '', iconURL: '' };
  call.hostId = sendToHost('credentials.store', { caller, credential, typedForm: true }, end, {
    page: { docKey, rid, tabId },
    rpId: null,
  });
}

/**
 * A page called store() with a password credential: the form saves of its origin in its tab that
 * have not ended are cancelled (one prompt, not two).
 * @param {number | undefined} tabId
 * @param {string | undefined} origin the page's, as the browser reports it
 */
export function pageStores(tabId, origin) {
  for (const [call, at] of waiting) {
    if (at.tabId === tabId && at.origin === origin) cancelCall(call, 'the page stored the credential itself');
  }
  if (tabId === undefined) return;
  // And its pending forms: the page saves what was typed (its document may leave at once).
  serially(async () => {
    const keys = await pendingKeysOf(tabId);
    const kept = /** @type {Record<string, Pending>} */ (keys.length ? await api.storage.session.get(keys) : {});
    const gone = Object.entries(kept).filter(([, p]) => !p.passed && p.caller?.origin === origin).map(([key]) => key);
    if (gone.length) await api.storage.session.remove(gone);
  }).catch(() => {});
}
