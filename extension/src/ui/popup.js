// The toolbar popup: lock state, the last automatic sign-in, unlock (the way back to the unlock
// window after closing it: pages cannot reopen it by themselves), lock now, settings.
const status = document.getElementById('status');
async function refresh() {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'status' });
  const s = reply?.result;
  status.textContent = !s ? 'Unknown state.' : !s.connected ? 'Not connected to the vault.' : s.locked ? 'The vault is locked.' : 'The vault is unlocked.';
  const { lastAutoSignIn } = await chrome.storage.session.get('lastAutoSignIn');
  document.getElementById('auto').textContent = lastAutoSignIn
    ? `Last automatic sign-in: ${lastAutoSignIn.name || lastAutoSignIn.id} on ${lastAutoSignIn.origin}`
    : '';
  document.getElementById('unlock').hidden = !s?.locked;
}
document.getElementById('unlock').addEventListener('click', async () => {
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'unlock.show' });
  refresh();
});
document.getElementById('lock').addEventListener('click', async () => {
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'lock' });
  refresh();
});
document.getElementById('settings').addEventListener('click', () => chrome.runtime.openOptionsPage());
document.getElementById('manage').addEventListener('click', () => chrome.tabs.create({ url: chrome.runtime.getURL('src/ui/manager.html') }));
refresh();
