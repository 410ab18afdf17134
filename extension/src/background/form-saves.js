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
// A form save is what the page's own store() would be; when a page of that origin in that tab
// does call store() with a password credential (as the form's own page, or the page a sign-in
// form led to, often does), that is the one prompt: the form saves still waiting there are
// cancelled (the content script also passes on nothing it sees its page store).

import { sendToHost } from './host.js';
import { callEnded, cancelCall, documentFor } from './documents.js';
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
 * Resolves once frame `frameId` of tab `tabId` has committed its next document and loaded it, or
 * after NEXT_LOAD_MS. The load of the document that sent the form (still loading when the user
 * was quick) does not count: only one after a commit, and (where the browser has document ids)
 * not `documentId`'s.
 * @param {number} tabId
 * @param {number} frameId
 * @param {string | undefined} documentId the sender's
 * @returns {Promise<void>}
 */
function nextLoad(tabId, frameId, documentId) {
  return new Promise((resolve) => {
    let committed = false;
    /** @param {{tabId: number, frameId: number, documentId?: string}} details */
    const ours = (details) =>
      details.tabId === tabId && details.frameId === frameId && (!documentId || details.documentId !== documentId);
    /** @param {{tabId: number, frameId: number, documentId?: string}} details */
    const commit = (details) => {
      if (ours(details)) committed = true;
    };
    /** @param {{tabId: number, frameId: number, documentId?: string}} details */
    const loaded = (details) => {
      if (committed && ours(details)) done();
    };
    const timer = setTimeout(() => done(), NEXT_LOAD_MS);
    const done = () => {
      clearTimeout(timer);
      api.webNavigation.onCommitted.removeListener(commit);
      api.webNavigation.onCompleted.removeListener(loaded);
      resolve();
    };
    api.webNavigation.onCommitted.addListener(commit);
    api.webNavigation.onCompleted.addListener(loaded);
  });
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
  const doc = documentFor(sender, key);
  if (form.kind === 'username') {
    const { caller } = await callerFor(sender);
    const value = { origin: caller.origin, username: form.username, at: Date.now() };
    await api.storage.session.set({ [usernameKey(tabId)]: value });
    return;
  }
  // Listened for at once: the next document may load while the caller is being built.
  const frameId = sender.frameId ?? 0;
  const judged = form.navigates && form.kind === 'sign-in' ? nextLoad(tabId, frameId, sender.documentId) : null;
  // Registered at once, so that a document that goes away now leaves it outliving (documents.js).
  const rid = nextRid--;
  /** @type {import('./documents.js').PageCall} */
  const call = { method: 'credentials.store', hostId: null, aborted: false, reason: undefined, answered: false, form: true };
  doc.rids.set(rid, call);
  const end = () => {
    waiting.delete(call);
    call.answered = true;
    if (doc.rids.get(rid) === call) doc.rids.delete(rid);
    callEnded(call);
  };
  try {
    const { caller, ancestorFrameIds } = await callerFor(sender);
    doc.ancestorFrameIds = ancestorFrameIds;
    // Its own client: the page's own store() and get() are not "already pending" because of it.
    caller.client = (caller.client + 1) % 2 ** 52;
    waiting.set(call, { tabId, origin: caller.origin });
    const username = form.username || (await recalledUsername(tabId, caller.origin));
    if (!username || call.aborted) return end();
    if (judged) {
      await judged;
      if (call.aborted || (await showsPasswordField(tabId, frameId))) return end();
    }
    const credential = { type: 'password', id: username, password: form.password, name: '', iconURL: '' };
    call.hostId = sendToHost('credentials.store', { caller, credential, typedForm: true }, end, {
      page: { docKey: doc.key, rid, tabId: doc.tabId },
      rpId: null,
    });
  } catch {
    end();
  }
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
}
