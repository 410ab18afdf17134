// @ts-check
// Filling ordinary sign-in forms: a document's content script (src/content/forms/fill.js) says
// the user focused a user name or password field of a sign-in form (`fill.ask`, which carries
// nothing of the page's). The caller is built from the browser's sender alone (src/caller.js:
// its origin, and its ancestors' from the frame tree), and the host's `forms.fill` decides what
// to offer (docs/protocol.md): nothing to a frame that is not same-origin with all its
// ancestors, nothing while the vault is locked, only the exact origin's password accounts. The
// host's offer (`ui.show` `password.autofill`) goes into the page's protected account list
// (autofill.js); the request waits there for the user's pick, and its reply, the picked
// account's id and password, goes to the document that asked and no other (sendToDocument: by
// its document id, or over its own port). One fill request per document: a new focus replaces
// the one before; the document going away cancels it (documents.js).

import { sendToHost } from './host.js';
import { cancelCall, documentFor, documents, sendToDocument } from './documents.js';
import { callerFor } from './identity.js';

// Fill requests are the document's calls under negative numbers of their own range (form saves
// count down from -1; a page's rid is never negative).
let nextRid = -(2 ** 50);

/**
 * A content script's `fill.ask`.
 * @param {chrome.runtime.MessageSender} sender
 * @param {string | null} key the document's key (docKeyOf); null: none, nothing is offered
 */
export async function onFillAsk(sender, key) {
  const tabId = sender.tab?.id;
  if (key === null || tabId === undefined) return;
  const doc = documentFor(sender, key);
  for (const call of doc.rids.values()) {
    if (call.method === 'forms.fill' && !call.answered) cancelCall(call, 'another field was focused');
  }
  const rid = nextRid--;
  /** @type {import('./documents.js').PageCall} */
  const call = { method: 'forms.fill', hostId: null, aborted: false, reason: undefined, answered: false };
  doc.rids.set(rid, call);
  const end = () => {
    call.answered = true;
    if (doc.rids.get(rid) === call) doc.rids.delete(rid);
  };
  try {
    const { caller, ancestorFrameIds } = await callerFor(sender);
    doc.ancestorFrameIds = ancestorFrameIds;
    if (call.aborted) return end();
    call.hostId = sendToHost(
      'forms.fill',
      { caller },
      (reply) => {
        end();
        const account = reply.result;
        if (!account || typeof account.id !== 'string' || typeof account.password !== 'string') return;
        // Only to the document that asked, while it is still there.
        if (documents.get(doc.key) !== doc) return;
        sendToDocument(doc, { credwell: 1, kind: 'fill.fill', username: account.id, password: account.password });
      },
      { page: { docKey: doc.key, rid, tabId } },
    );
  } catch {
    end();
  }
}
