// @ts-check
// Settings: store consent and automatic passkey upgrades, kept by the background in the extension's IndexedDB (src/settings.js);
// read and changed only through it (`settings.get`, `settings.set`).
import { byId } from './dom.js';
import { offer } from './browser-saving.js';
const select = byId('consent', HTMLSelectElement);
const saved = byId('saved');
const { result } = await chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.get' });
select.value = result?.storeConsent ?? 'ask';
/**
 * @param {string} key
 * @param {unknown} value
 */
async function save(key, value) {
  const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.set', key, value });
  saved.textContent = reply?.result ? 'Saved.' : `Not saved: ${reply?.error?.message ?? 'no answer'}`;
}
select.addEventListener('change', () => save('storeConsent', select.value));
const upgrades = byId('upgrades', HTMLInputElement);
upgrades.checked = result?.passkeyUpgrades ?? true;
upgrades.addEventListener('change', () => save('passkeyUpgrades', upgrades.checked));
await offer(byId('browser-saving'), byId('browser-saving-switch', HTMLButtonElement));
