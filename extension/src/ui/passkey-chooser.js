// The passkey chooser (the host's `ui.show` kind `passkey.chooser`, shown even for one account:
// it is the test of user presence): the accounts, most recent first, with their creation date;
// answers {"choose": index} or {"cancel": true}.
import { loadState, respond } from './prompt-page.js';

async function main() {
  const state = await loadState();
  if (!state) return;
  document.getElementById('origin').textContent = state.origin;
  document.getElementById('rp').textContent = state.rpId;
  document.title = `Sign in to ${state.rpId} with a passkey`;
  const list = document.getElementById('accounts');
  (state.accounts ?? []).forEach((account, index) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'account';
    button.dataset.index = String(index);
    button.dataset.credentialId = account.credentialId;
    const icon = document.createElement('span');
    icon.className = 'icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = (account.userDisplayName || account.userName || '?').trim().charAt(0).toUpperCase() || '?';
    button.append(icon);
    const text = document.createElement('span');
    text.className = 'account-text';
    const name = document.createElement('span');
    name.textContent = account.userDisplayName || account.userName;
    name.style.fontWeight = '600';
    text.append(name);
    if (account.userDisplayName && account.userName && account.userName !== account.userDisplayName) {
      const user = document.createElement('span');
      user.className = 'muted';
      user.textContent = account.userName;
      text.append(user);
    }
    if (Number.isFinite(account.created)) {
      const created = document.createElement('span');
      created.className = 'notice';
      created.textContent = `passkey created ${new Date(account.created).toLocaleString()}`;
      text.append(created);
    }
    button.append(text);
    button.addEventListener('click', () => respond({ choose: index }));
    li.append(button);
    list.append(li);
  });
  list.querySelector('button')?.focus();
}

document.getElementById('cancel').addEventListener('click', () => respond({ cancel: true }));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') respond({ cancel: true }); });
main();
