// @ts-check
// User verification for a passkey ceremony (the host's `ui.show` kind `verify`): asks for the
// vault passphrase (the account name, the site's words, apart: showPageText) and answers {"passphrase": "..."} (the host checks it; a wrong one shows this
// page again with the next attempt), or {"cancel": true}. The passphrase goes only into that
// answer message, never into storage.
import { cancelWith, loadState, respond, showPageText } from './prompt-page.js';
import { byId } from './dom.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  byId('origin').textContent = state.origin;
  const action = state.purpose === 'create' ? 'create a passkey' : 'sign in with your passkey';
  byId('purpose').textContent = `Enter your vault passphrase to ${action} on ${state.rpId}.`;
  // The account name is the site's (cut short, set apart); the box shows only with one.
  const box = byId('site-says-box');
  showPageText(byId('account'), state.userName);
  box.hidden = !state.userName;
  document.title = `Verify it's you: ${state.rpId}`;
  if (Number(state.attempt) > 1) {
    byId('attempt').textContent =
      `Wrong passphrase. Attempt ${state.attempt} of ${state.attempts}.`;
  }
  byId('passphrase', HTMLInputElement).focus();
}

byId('form').addEventListener('submit', (event) => {
  event.preventDefault();
  respond({ passphrase: byId('passphrase', HTMLInputElement).value });
});
cancelWith({ cancel: true });
main();
