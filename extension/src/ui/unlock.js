// The unlock page: passphrase → background → host `vault.unlock`. The background closes this
// window when the host reports `vault.unlocked`; closing it without unlocking declines. The input
// guard (guard.js) makes it ignore keys and clicks until it has been shown and focused long enough.
import './guard.js';

const form = document.getElementById('form');
const input = document.getElementById('passphrase');
const error = document.getElementById('error');
const button = document.getElementById('unlock');

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
document.getElementById('cancel').addEventListener('click', () => window.close());
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') window.close(); });
