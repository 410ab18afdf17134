// The account chooser: shows the requesting origin, the accounts (name, id, icon, and their
// origin when it is not exactly the requesting one), and answers the host's `ui.show` chooser
// with {"choose": index} or {"cancel": true} through the background.
import { loadState, respond } from './prompt-page.js';

function iconFor(account) {
  const box = document.createElement('span');
  box.className = 'icon';
  box.setAttribute('aria-hidden', 'true');
  if (typeof account.icon === 'string' && account.icon.startsWith('data:image/')) {
    const img = document.createElement('img');
    img.src = account.icon;
    img.alt = '';
    box.append(img);
  } else {
    box.textContent = (account.name || account.id || '?').trim().charAt(0).toUpperCase() || '?';
  }
  return box;
}

async function main() {
  const state = await loadState();
  if (!state) return;
  document.getElementById('origin').textContent = state.origin;
  document.title = `Choose an account for ${state.origin}`;
  const list = document.getElementById('accounts');
  state.accounts.forEach((account, index) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'account';
    button.dataset.index = String(index);
    button.dataset.id = account.id;
    button.append(iconFor(account));
    const text = document.createElement('span');
    text.className = 'account-text';
    const name = document.createElement('span');
    name.textContent = account.name || account.id;
    name.style.fontWeight = '600';
    text.append(name);
    if (account.name) {
      const id = document.createElement('span');
      id.className = 'muted';
      id.textContent = account.id;
      text.append(id);
    }
    if (account.type === 'federated' && account.provider) {
      const p = document.createElement('span');
      p.className = 'notice';
      p.textContent = `via ${account.provider}`;
      text.append(p);
    }
    if (account.exactOrigin === false) {
      const o = document.createElement('span');
      o.className = 'notice';
      o.textContent = `saved for ${account.origin}`;
      text.append(o);
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
