// @ts-check
// What every prompt window of the host (chooser, save / update prompt, passkey pages) shares: its
// state, which the background keeps in storage.session under the `key` of the window's URL, and
// its one answer, sent back through the background (`ui.respond`). Importing it arms the input
// guard (guard.js): the window ignores clicks and keys until it has been shown and focused long
// enough. No confirming control gets the focus by default (focusNeutral): a key press meant for
// the page must not confirm anything here.
import './guard.js';
import { pageText } from './page-text.js';
import { byId } from './dom.js';

/** The key of this window's state in storage.session. */
export const key = new URLSearchParams(location.search).get('key');

/**
 * The prompt's state; null, with the window closed, when there is none (answered or closed
 * elsewhere, or the host went away). Its fields are the host's `ui.show` prompt's, which vary by
 * kind (docs/protocol.md), and the background's (src/background/prompts.js).
 * @returns {Promise<{[field: string]: any} | null>}
 */
export async function loadState() {
  const state = key ? (await chrome.storage.session.get(key))[key] : undefined;
  if (!state) {
    window.close();
    return null;
  }
  return state;
}

/** @typedef {import('../background/prompts.js').Answer} Answer */

/**
 * Sends `answer` once (every button is disabled first) and closes the window.
 * @param {Answer} answer
 */
export async function respond(answer) {
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'ui.respond', key, answer });
  window.close();
}

/**
 * The Cancel button and the Escape key both answer `answer`.
 * @param {Answer} answer
 */
export function cancelWith(answer) {
  byId('cancel').addEventListener('click', () => respond(answer));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') respond(answer);
  });
}

/**
 * Shows text a page supplied in `el` (page-text.js): cut short, marked as the site's words
 * (class site-text: quoted, monospace, bidi-isolated). Hides `row` (elements) when it is empty.
 * @param {HTMLElement} el
 * @param {unknown} value
 * @param {HTMLElement[]} row
 */
export function showPageText(el, value, ...row) {
  const text = pageText(value);
  el.textContent = text;
  el.classList.add('site-text');
  el.dir = 'auto';
  for (const r of [el, ...row]) r.hidden = text === '';
}

/**
 * An account's round icon: `image` (a data: URL) when there is one, else `label`'s initial.
 * @param {string} label
 * @param {unknown} [image]
 */
export function accountIcon(label, image) {
  const box = document.createElement('span');
  box.className = 'icon';
  box.setAttribute('aria-hidden', 'true');
  if (typeof image === 'string' && image.startsWith('data:image/')) {
    const img = document.createElement('img');
    img.src = image;
    img.alt = '';
    box.append(img);
  } else {
    box.textContent = (label || '?').trim().charAt(0).toUpperCase() || '?';
  }
  return box;
}

/**
 * Gives the keyboard focus to the window's <main> (not to a control), so that the next key the
 * user presses confirms nothing; Tab then reaches the controls in order.
 */
export function focusNeutral() {
  const main = document.querySelector('main');
  if (!main) return;
  main.tabIndex = -1;
  main.focus();
}

/**
 * Fills `list` with one button per account (none focused: see focusNeutral); a click answers
 * {"choose": index}. `describe(account)` gives the button's `data` attributes, its `icon`, its
 * bold `title` (text the site supplied: shown by showPageText) and further `lines` ([className,
 * text] pairs; a line whose className has `site-text` is the site's text too).
 * @param {HTMLElement} list
 * @param {any[]} accounts
 * @param {(account: any) => {data: {[name: string]: string}, icon: Node, title: string,
 *   lines: [string, string][]}} describe
 */
export function renderAccounts(list, accounts, describe) {
  accounts.forEach((account, index) => {
    const { data, icon, title, lines } = describe(account);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'account';
    button.dataset.index = String(index);
    Object.assign(button.dataset, data);
    button.append(icon);
    const text = document.createElement('span');
    text.className = 'account-text';
    const name = document.createElement('span');
    showPageText(name, title);
    name.hidden = false;
    name.style.fontWeight = '600';
    text.append(name);
    for (const [className, line] of lines) {
      const span = document.createElement('span');
      span.className = className;
      if (span.classList.contains('site-text')) showPageText(span, line);
      else span.textContent = line;
      text.append(span);
    }
    button.append(text);
    button.addEventListener('click', () => respond({ choose: index }));
    const li = document.createElement('li');
    li.append(button);
    list.append(li);
  });
}
