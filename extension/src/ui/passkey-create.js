// @ts-check
// Consent to create a passkey (the host's `ui.show` kind `passkey.create`): shows the calling
// origin and the RP ID (credwell's words), the RP name and the account (the site's words, cut
// short and set apart: showPageText); answers {"create": true | false}.
import { cancelWith, focusNeutral, loadState, respond, showPageText } from './prompt-page.js';
import { byId } from './dom.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  byId('origin').textContent = state.origin;
  byId('rp').textContent = state.rpId;
    showPageText(byId('rp-name'), state.rpName !== state.rpId ? state.rpName : '', byId('rp-name-label'));
  showPageText(byId('account'), state.userName);
  byId('account').hidden = false;
  const display = state.userDisplayName !== state.userName ? state.userDisplayName : '';
  showPageText(byId('display-name'), display, byId('display-name-label'));
  document.title = `Create a passkey for ${state.rpId}`;
  if (state.alreadyRegistered) {
    byId('registered').hidden = false;
    byId('create').textContent = 'OK';
  }
  focusNeutral();
}

byId('create').addEventListener('click', () => respond({ create: true }));
cancelWith({ create: false });
main();
