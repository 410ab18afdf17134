// @ts-check
// The manager page: list, search and delete saved credentials and passkeys (never their
// passwords or keys); restore or purge the passkeys a site's signal hid.
// Everything comes from the host's `vault.list` (a page at a time) through the background;
// nothing remote is loaded.
import { byId } from './dom.js';
const search = byId('search', HTMLInputElement);
const status = byId('status');
const body = /** @type {HTMLTableSectionElement} */ (document.querySelector('#list tbody'));

/**
 * @param {string} kind
 * @param {object} [fields]
 */
async function call(kind, fields = {}) {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind, ...fields });
  if (reply?.error) throw new Error(reply.error.message || reply.error.name);
  return reply?.result;
}

/** @param {string} text */
function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

// The host answers `vault.list` a page at a time (a native message may not exceed 1 MB): the
// rows are added page by page until the last one. A newer refresh (the search changed) makes
// an older one stop.
let generation = 0;
// What the last delete did, shown before the count once the list is read again.
let notice = '';

async function refresh() {
  const mine = ++generation;
  status.textContent = 'Loading…';
  let count = 0;
  let cursor = null;
  do {
    let page;
    try {
      page = await call('list', cursor === null ? { query: search.value } : { query: search.value, cursor });
    } catch (e) {
      if (mine === generation) status.textContent = `Cannot read the vault: ${e.message}`;
      return;
    }
    if (mine !== generation) return;
    if (cursor === null) body.replaceChildren();
    for (const item of page.items) body.append(row(item));
    count += page.items.length;
    cursor = typeof page.next === 'string' ? page.next : null;
    if (cursor !== null) status.textContent = `Loading… ${count} so far.`;
  } while (cursor !== null);
  const summary =
    count > 0 ? `${count} saved sign-in${count === 1 ? '' : 's'}.` : search.value ? 'Nothing matches.' : 'No saved sign-ins yet.';
  status.textContent = notice ? `${notice} ${summary}` : summary;
  notice = '';
}

/**
 * @param {string} className
 * @param {string} text
 * @param {string} label
 * @param {() => void} onClick
 */
function button(className, text, label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

// One entry's row: where, which account, what kind, and its Delete button. A passkey the site
// hid (signalUnknownCredential / signalAllAcceptedCredentials) is kept but offered to no page:
// Restore offers it again, Purge deletes it.
/** @param {{[field: string]: any}} item a `vault.list` record (docs/protocol.md) */
function row(item) {
  const tr = document.createElement('tr');
  const passkey = item.type === 'public-key';
  const hidden = passkey && item.hidden === true;
  if (passkey) tr.dataset.credentialId = item.credentialId;
  else tr.dataset.record = String(item.record);
  if (hidden) tr.dataset.hidden = 'true';
  const cut = item.truncated ? '…' : '';
  const account = (item.name && item.name !== item.id ? `${item.name} (${item.id})` : item.id) + cut;
  let kind = passkey ? 'passkey' : item.type === 'federated' ? `signs in with ${item.provider}` : 'password';
  if (hidden) kind = 'passkey, hidden: the site says it no longer accepts it';
  const where = passkey ? item.rpId : item.origin;
  tr.append(cell(where), cell(account), cell(kind));
  const actions = document.createElement('td');
  if (hidden) {
    const restore = button('restore', 'Restore', `Restore ${account} on ${where}`, async () => {
      try {
        await call('restore', { credentialId: item.credentialId });
        notice = `Restored ${account} on ${where}.`;
      } catch (e) {
        notice = `Could not restore: ${e.message}`;
      }
      refresh();
    });
    actions.append(restore);
  }
  const verb = hidden ? 'Purge' : 'Delete';
  const remove = button('delete', verb, `${verb} ${account} on ${where}`, async () => {
    if (!confirm(`Delete ${passkey ? 'the passkey of ' : ''}${account} on ${where}?`)) return;
    try {
      await call('delete', passkey ? { credentialId: item.credentialId } : { record: item.record });
      notice = `Deleted ${account} on ${where}.`;
    } catch (e) {
      notice = `Could not delete: ${e.message}`;
    }
    refresh();
  });
  actions.append(remove);
  tr.append(actions);
  return tr;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
search.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(refresh, 150);
});
refresh();
