// @ts-check
// The toolbar popup: lock state, sync state (the host's background sync, refreshed while the
// popup is open), the last automatic sign-in, the last automatic passkey upgrade (a passkey
// created without asking; removable in the manager), unlock (the way back to the unlock window
// after closing it: pages cannot reopen it by themselves), lock now, settings.
import { byId } from './dom.js';
import { pageText } from './page-text.js';
import { syncText } from './sync-status.js';
const status = byId('status');
async function refresh() {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'status' });
  const s = reply?.result;
  status.textContent = !s ? 'Unknown state.' : !s.connected ? 'Not connected to the vault.' : s.locked ? 'The vault is locked.' : 'The vault is unlocked.';
  const { lastAutoSignIn } = /** @type {{lastAutoSignIn?: {name?: string, id: string, origin: string}}} */ (
    await chrome.storage.session.get('lastAutoSignIn')
  );
  byId('auto').textContent = lastAutoSignIn
    ? `Last automatic sign-in: ${lastAutoSignIn.name || lastAutoSignIn.id} on ${lastAutoSignIn.origin}`
    : '';
  const { lastPasskeyUpgrade: up } = /** @type {{lastPasskeyUpgrade?: {origin: string, rpId: string, userName: string}}} */ (
    await chrome.storage.session.get('lastPasskeyUpgrade')
  );
  const upgrade = byId('upgrade');
  upgrade.hidden = !up;
  upgrade.textContent = up
    ? `A passkey was created for ${up.rpId} (account “${pageText(up.userName)}”) after you signed in on ${up.origin}. ` +
      'You can remove it in Saved sign-ins.'
    : '';
  byId('unlock').hidden = !s?.locked;
  await refreshSync();
}
async function refreshSync() {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'sync.status' });
  byId('sync').textContent = syncText(reply?.result);
}
setInterval(refreshSync, 2000);
byId('unlock').addEventListener('click', async () => {
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'unlock.show' });
  refresh();
});
byId('lock').addEventListener('click', async () => {
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'lock' });
  refresh();
});
byId('settings').addEventListener('click', () => chrome.runtime.openOptionsPage());
byId('manage').addEventListener('click', () => chrome.tabs.create({ url: chrome.runtime.getURL('src/ui/manager.html') }));
refresh();
