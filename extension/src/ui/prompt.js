// The save / update prompt: answers the host's `ui.show` save with {"save": "save" | "never" |
// "dismiss"} and update with {"update": true | false}. It never sees a password. The account's id
// and name (and the provider) are the site's words: cut short and set apart (showPageText).
import { focusNeutral, loadState, respond, showPageText } from './prompt-page.js';
let kind = null;

async function main() {
  const state = await loadState();
  if (!state) return;
  kind = state.kind;
  document.getElementById('origin').textContent = state.origin;
  const $ = (id) => document.getElementById(id);
  showPageText($('account'), state.id);
  showPageText($('name'), state.name, $('name-label'));
  // The provider is an origin: shown whole (cutting one could hide its registrable domain).
  $('provider').textContent = state.provider ?? '';
  $('provider').className = 'site-text';
  $('provider').hidden = $('provider-label').hidden = !state.provider;
  if (kind === 'update') {
    document.getElementById('title').textContent = 'Update the saved password for';
    document.title = `Update password for ${state.origin}`;
    document.getElementById('update-actions').hidden = false;
  } else {
    document.title = `Save credential for ${state.origin}`;
    document.getElementById('save-actions').hidden = false;
  }
  focusNeutral();
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
