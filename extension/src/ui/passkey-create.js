// Consent to create a passkey (the host's `ui.show` kind `passkey.create`): shows the calling
// origin and the RP ID (credwell's words), the RP name and the account (the site's words, cut
// short and set apart: showPageText); answers {"create": true | false}.
import { cancelWith, focusNeutral, loadState, respond, showPageText } from './prompt-page.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  document.getElementById('origin').textContent = state.origin;
  document.getElementById('rp').textContent = state.rpId;
  const $ = (id) => document.getElementById(id);
  showPageText($('rp-name'), state.rpName !== state.rpId ? state.rpName : '', $('rp-name-label'));
  showPageText($('account'), state.userName);
  $('account').hidden = false;
  const display = state.userDisplayName !== state.userName ? state.userDisplayName : '';
  showPageText($('display-name'), display, $('display-name-label'));
  document.title = `Create a passkey for ${state.rpId}`;
  if (state.alreadyRegistered) {
    document.getElementById('registered').hidden = false;
    document.getElementById('create').textContent = 'OK';
  }
  focusNeutral();
}

document.getElementById('create').addEventListener('click', () => respond({ create: true }));
cancelWith({ create: false });
main();
