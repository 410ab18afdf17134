// Settings: store consent (storage.local.storeConsent), read by the background.
const select = document.getElementById('consent');
const saved = document.getElementById('saved');
const { storeConsent = 'ask' } = await chrome.storage.local.get('storeConsent');
select.value = storeConsent;
select.addEventListener('change', async () => {
  await chrome.storage.local.set({ storeConsent: select.value });
  saved.textContent = 'Saved.';
});
