// @ts-check
// Settings: store consent, kept by the background in the extension's IndexedDB (src/settings.js);
// read and changed only through it (`settings.get`, `settings.set`).
import { byId } from './dom.js';
import { offer } from './browser-saving.js';
const select = byId('consent', HTMLSelectElement);
const saved = byId('saved');
const { result } = await chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.get' });
select.value = result?.storeConsent ?? 'ask';
select.addEventListener('change', async () => {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.set', key: 'storeConsent', value: select.value });
  saved.textContent = reply?.result ? 'Saved.' : `Not saved: ${reply?.error?.message ?? 'no answer'}`;
});
await offer(byId('browser-saving'), byId('browser-saving-switch', HTMLButtonElement));
