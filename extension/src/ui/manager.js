// The manager page: list, search and delete saved credentials and passkeys (never their
// passwords or keys).
// Everything comes from the host's `vault.list` through the background; nothing remote is loaded.
const search = document.getElementById('search');
const status = document.getElementById('status');
const body = document.querySelector('#list tbody');

async function call(kind, fields = {}) {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind, ...fields });
  if (reply?.error) throw new Error(reply.error.message || reply.error.name);
  return reply?.result;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

async function refresh() {
  status.textContent = 'Loading…';
  let items;
  try {
    items = await call('list', { query: search.value });
  } catch (e) {
    status.textContent = `Cannot read the vault: ${e.message}`;
    return;
  }
  body.replaceChildren();
  for (const item of items) {
    const row = document.createElement('tr');
    const passkey = item.type === 'public-key';
    if (passkey) row.dataset.credentialId = item.credentialId;
    else row.dataset.record = String(item.record);
    const account = item.name && item.name !== item.id ? `${item.name} (${item.id})` : item.id;
    const kind = passkey ? 'passkey' : item.type === 'federated' ? `signs in with ${item.provider}` : 'password';
    const where = passkey ? item.rpId : item.origin;
    row.append(cell(where), cell(account), cell(kind));
    const actions = document.createElement('td');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.textContent = 'Delete';
    remove.setAttribute('aria-label', `Delete ${account} on ${where}`);
    remove.addEventListener('click', async () => {
      if (!confirm(`Delete ${passkey ? 'the passkey of ' : ''}${account} on ${where}?`)) return;
      try {
        await call('delete', passkey ? { credentialId: item.credentialId } : { record: item.record });
        status.textContent = `Deleted ${account} on ${where}.`;
      } catch (e) {
        status.textContent = `Could not delete: ${e.message}`;
      }
      refresh();
    });
    actions.append(remove);
    row.append(actions);
    body.append(row);
  }
  if (items.length === 0) status.textContent = search.value ? 'Nothing matches.' : 'No saved sign-ins yet.';
  else if (!status.textContent.startsWith('Deleted')) status.textContent = `${items.length} saved sign-in${items.length === 1 ? '' : 's'}.`;
}

let timer = null;
search.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(refresh, 150);
});
refresh();
