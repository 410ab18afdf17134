// @ts-check
// The save / update prompt: answers the host's `ui.show` save with {"save": "save" | "never" |
// "dismiss"} and update with {"update": true | false}. It never sees a password. The account's id
// and name (and the provider) are the site's words: cut short and set apart (showPageText).
import { focusNeutral, loadState, respond, showPageText } from './prompt-page.js';
import { byId } from './dom.js';
/** @type {string | null} */
let kind = null;

async function main() {
  const state = await loadState();
  if (!state) return;
  kind = state.kind;
  byId('origin').textContent = state.origin;
    showPageText(byId('account'), state.id);
  showPageText(byId('name'), state.name, byId('name-label'));
  // The provider is an origin: shown whole (cutting one could hide its registrable domain).
  byId('provider').textContent = state.provider ?? '';
  byId('provider').className = 'site-text';
  byId('provider').hidden = byId('provider-label').hidden = !state.provider;
  if (kind === 'update') {
    byId('title').textContent = 'Update the saved password for';
    document.title = `Update password for ${state.origin}`;
    byId('update-actions').hidden = false;
  } else {
    document.title = `Save credential for ${state.origin}`;
    byId('save-actions').hidden = false;
  }
  focusNeutral();
}

byId('save').addEventListener('click', () => respond({ save: 'save' }));
byId('never').addEventListener('click', () => respond({ save: 'never' }));
byId('dismiss').addEventListener('click', () => respond({ save: 'dismiss' }));
byId('update').addEventListener('click', () => respond({ update: true }));
byId('keep').addEventListener('click', () => respond({ update: false }));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') respond(kind === 'update' ? { update: false } : { save: 'dismiss' });
});
main();
