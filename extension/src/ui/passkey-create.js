// Consent to create a passkey (the host's `ui.show` kind `passkey.create`): shows the calling
// origin, the RP ID and name, and the account; answers {"create": true | false}.
import { cancelWith, focusNeutral, loadState, respond } from './prompt-page.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  document.getElementById('origin').textContent = state.origin;
  document.getElementById('rp').textContent = state.rpName && state.rpName !== state.rpId ? `${state.rpName} (${state.rpId})` : state.rpId;
  const user = state.userDisplayName && state.userDisplayName !== state.userName
    ? `${state.userDisplayName} (${state.userName})`
    : state.userName;
  document.getElementById('account').textContent = user;
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
