// @ts-check
// Passkey autofill (a conditional get()), and a sign-in form's password accounts (the host's
// `password.autofill`, asked for by form-fills.js): the list a page's field offers.

import { hostPending, sendToHost } from './host.js';
import { documents, sendToDocument } from './documents.js';
import { releaseTab, showInTurn } from './prompts.js';

// ui id → {doc, tabId, token, event}: offers shown in a page (the document that asked only). The page's content
// script (src/autofill.js) gets only the ui id and a random token, frames
// src/autofill-frame.html and hands the token to that frame alone (postMessage to the extension
// origin); the frame asks for the accounts here and sends the pick, both accepted only with the
// token, from the offer's tab. A frame the page made itself has no token.
/**
 * An offer shown in a page.
 * @typedef {object} Offer
 * @property {import('./documents.js').Doc} doc the document that asked
 * @property {number} tabId
 * @property {string} token what the offer's list frame must show
 * @property {HostEvent & {accounts: any[]}} event the host's `ui.show`
 * @property {boolean} [confirming] the pick waits for credwell's chooser window (Firefox)
 */
/** @typedef {import('./host.js').HostEvent} HostEvent */
/** @typedef {chrome.runtime.MessageSender} Sender */

/** @type {Map<number, Offer>} */
const autofills = new Map();

/** @param {HostEvent} event a `ui.show` passkey.autofill */
export function offerAutofill(event) {
  const entry = hostPending.get(event.request);
  const doc = entry?.page ? documents.get(entry.page.docKey) : undefined;
  if (!doc || !Number.isSafeInteger(event.ui) || doc.tabId === undefined) return;
  const accounts = Array.isArray(event.accounts) ? event.accounts : [];
  const token = crypto.randomUUID();
  autofills.set(event.ui, { doc, tabId: doc.tabId, token, event: { ...event, accounts } });
  /** @type {{credwell: 1, kind: string, ui: number, token: string, fill?: true}} */
  const message = { credwell: 1, kind: 'autofill.offer', ui: event.ui, token };
  if (event.kind === 'password.autofill') message.fill = true;
  sendToDocument(doc, message);
}

/**
 * @param {number} ui
 * @returns {boolean} whether it was an offer
 */
export function closeAutofill(ui) {
  const offer = autofills.get(ui);
  if (!offer) return false;
  autofills.delete(ui);
  hideAutofill(ui, offer);
  return true;
}

/**
 * @param {number} ui
 * @param {Offer} offer
 */
function hideAutofill(ui, offer) {
  sendToDocument(offer.doc, { credwell: 1, kind: 'autofill.close', ui });
}

// Whether `message` comes from the offer's own list frame: its tab, its token.
/**
 * @param {any} message
 * @param {Sender} sender
 * @param {Offer} offer
 */
function fromOfferFrame(message, sender, offer) {
  return sender.tab?.id === offer.tabId && typeof message.token === 'string' && message.token === offer.token;
}

// The list's frame asks for its offer: the RP ID and the accounts' names.
/**
 * @param {any} message
 * @param {Sender} sender
 */
export async function onAutofillFrame(message, sender) {
  const offer = autofills.get(message.ui);
  if (!offer || !fromOfferFrame(message, sender, offer)) return { error: { name: 'NotFoundError', message: 'credwell: no such offer here' } };
  const { rpId, accounts } = offer.event;
  if (offer.event.kind === 'password.autofill') {
    // A sign-in form's accounts: the user name, and the display name when there is one.
    const title = `Sign in to ${String(offer.event.origin ?? '')} (credwell)`;
    return { result: { title, accounts: accounts.map((/** @type {any} */ a) => ({ userName: String(a.id ?? ''), userDisplayName: String(a.name ?? '') })) } };
  }
  return { result: { rpId: String(rpId ?? ''), accounts: accounts.map((/** @type {any} */ a) => ({ userName: String(a.userName ?? ''), userDisplayName: String(a.userDisplayName ?? '') })) } };
}

// A trusted click in the list's frame. `visible`: the browser (IntersectionObserver v2) saw the
// frame entirely in view and unobscured for a while: the pick counts. `v2` without `visible`: it
// was hidden or covered: ignored. No v2 (Firefox): the user confirms in credwell's passkey
// chooser window, outside the page; closing that window offers the list in the page again.
/**
 * @param {any} message
 * @param {Sender} sender
 */
export async function onAutofillPick(message, sender) {
  const ui = message.ui;
  const offer = autofills.get(ui);
  if (!offer || offer.confirming || !fromOfferFrame(message, sender, offer)) return;
  const count = offer.event.accounts.length;
  if (!Number.isSafeInteger(message.choose) || message.choose < 0 || message.choose >= count) return;
  if (message.visible === true) {
    autofills.delete(ui);
    hideAutofill(ui, offer);
    sendToHost('ui.respond', { ui, answer: { choose: message.choose } }, () => {});
  } else if (message.v2 === false) {
    offer.confirming = true;
    hideAutofill(ui, offer);
    // In the tab's turn, as every prompt (one credwell prompt per tab at a time); a sign-in
    // form's accounts in the account chooser.
    const kind = offer.event.kind === 'password.autofill' ? 'chooser' : 'passkey.chooser';
    await showInTurn({ ...offer.event, kind, autofill: true });
  }
}

// The confirmation window of an autofill pick closed without an answer: offer the list again,
// and give the tab's turn to its other requests (a conditional get() may wait for a long time).
/** @param {number} ui */
export function reofferAutofill(ui) {
  const offer = autofills.get(ui);
  if (!offer?.confirming) return;
  offer.confirming = false;
  releaseTab(offer.event.request);
  sendToDocument(offer.doc, { credwell: 1, kind: 'autofill.offer', ui, token: offer.token, again: true });
}

/** The host went away: every offer ends. */
export function closeAllAutofills() {
  for (const ui of [...autofills.keys()]) closeAutofill(ui);
}

/** The offer's pick was answered in credwell's chooser: forget the offer. */
/** @param {number} ui */
export function forgetAutofill(ui) {
  autofills.delete(ui);
}
