// @ts-check
// The unlock page: passphrase → background → host `vault.unlock`. The background closes this
// window when the host reports `vault.unlocked`; closing it without unlocking declines. The input
// guard (guard.js) makes it ignore keys and clicks until it has been shown and focused long enough.
import './guard.js';
import { byId } from './dom.js';

const form = byId('form');
const input = byId('passphrase', HTMLInputElement);
const error = byId('error');
const button = byId('unlock', HTMLButtonElement);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  button.disabled = true;
  try {
    const reply = await chrome.runtime.sendMessage({ credwell: 1, kind: 'unlock', passphrase: input.value });
    if (reply?.error) {
      error.textContent = reply.error.name === 'WrongPassphrase'
        ? 'Wrong passphrase. Try again.'
        : `The vault cannot be opened: ${reply.error.message ?? reply.error.name}`;
      error.dataset.name = reply.error.name ?? '';
      input.select();
    } else {
      error.textContent = '';
      document.body.dataset.unlocked = 'true';
    }
  } finally {
    button.disabled = false;
  }
});
byId('cancel').addEventListener('click', () => window.close());
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') window.close(); });
