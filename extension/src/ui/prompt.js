// The save / update prompt: answers the host's `ui.show` save with {"save": "save" | "never" |
// "dismiss"} and update with {"update": true | false}. It never sees a password.
const key = new URLSearchParams(location.search).get('key');
let kind = null;

async function respond(answer) {
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  await chrome.runtime.sendMessage({ credwell: 1, kind: 'ui.respond', key, answer });
  window.close();
}

async function main() {
  const state = key ? (await chrome.storage.session.get(key))[key] : undefined;
  if (!state) {
    window.close();
    return;
  }
  kind = state.kind;
  document.getElementById('origin').textContent = state.origin;
  document.getElementById('account').textContent = state.name ? `${state.name} (${state.id})` : state.id;
  if (state.provider) {
    const p = document.getElementById('provider');
    p.hidden = false;
    p.textContent = `Signs in with ${state.provider}`;
  }
  if (kind === 'update') {
    document.getElementById('title').textContent = 'Update the saved password for';
    document.title = `Update password for ${state.origin}`;
    document.getElementById('update-actions').hidden = false;
    document.getElementById('update').focus();
  } else {
    document.title = `Save credential for ${state.origin}`;
    document.getElementById('save-actions').hidden = false;
    document.getElementById('save').focus();
  }
}

document.getElementById('save').addEventListener('click', () => respond({ save: 'save' }));
document.getElementById('never').addEventListener('click', () => respond({ save: 'never' }));
document.getElementById('dismiss').addEventListener('click', () => respond({ save: 'dismiss' }));
document.getElementById('update').addEventListener('click', () => respond({ update: true }));
document.getElementById('keep').addEventListener('click', () => respond({ update: false }));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') respond(kind === 'update' ? { update: false } : { save: 'dismiss' });
});
main();
