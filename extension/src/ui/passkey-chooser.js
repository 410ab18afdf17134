// @ts-check
// The passkey chooser (the host's `ui.show` kind `passkey.chooser`, shown even for one account:
// it is the test of user presence): the accounts, most recent first, with their creation date;
// answers {"choose": index} or {"cancel": true}.
import { accountIcon, cancelWith, focusNeutral, loadState, renderAccounts } from './prompt-page.js';
import { byId } from './dom.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  byId('origin').textContent = state.origin;
  byId('rp').textContent = state.rpId;
  document.title = `Sign in to ${state.rpId} with a passkey`;
  renderAccounts(byId('accounts'), state.accounts ?? [], (account) => {
    /** @type {[string, string][]} */
    const lines = [];
    if (account.userDisplayName && account.userName && account.userName !== account.userDisplayName) {
      lines.push(['muted site-text', account.userName]);
    }
    if (Number.isFinite(account.created)) {
      lines.push(['notice', `passkey created ${new Date(account.created).toLocaleString()}`]);
    }
    return {
      data: { credentialId: account.credentialId },
      icon: accountIcon(account.userDisplayName || account.userName),
      title: account.userDisplayName || account.userName,
      lines,
    };
  });
  focusNeutral();
}

cancelWith({ cancel: true });
main();
