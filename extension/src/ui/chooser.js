// @ts-check
// The account chooser: shows the requesting origin, the accounts (name, id, icon, and their
// origin when it is not exactly the requesting one), and answers the host's `ui.show` chooser
// with {"choose": index} or {"cancel": true} through the background. A `uiMode: "immediate"`
// request lists the caller's passkeys after its passwords (type "public-key", labelled as
// passkeys of the request's RP ID).
import { accountIcon, cancelWith, focusNeutral, loadState, renderAccounts } from './prompt-page.js';
import { byId } from './dom.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  byId('origin').textContent = state.origin;
  document.title = `Choose an account for ${state.origin}`;
  renderAccounts(byId('accounts'), state.accounts, (account) => {
    /** @type {[string, string][]} */
    const lines = [];
    if (account.name) lines.push(['muted site-text', account.id]);
    if (account.type === 'federated' && account.provider) lines.push(['notice', `via ${account.provider}`]);
    if (account.type === 'public-key') lines.push(['notice', typeof state.rpId === 'string' ? `passkey for ${state.rpId}` : 'passkey']);
    else if (state.uiMode === 'immediate' && account.type === 'password') lines.push(['notice', 'password']);
    if (account.exactOrigin === false) lines.push(['notice', `saved for ${account.origin}`]);
    return {
      data: { id: account.id, type: account.type },
      icon: accountIcon(account.name || account.id, account.icon),
      title: account.name || account.id,
      lines,
    };
  });
  focusNeutral();
}

cancelWith({ cancel: true });
main();
