// @ts-check
// The options page's offer to switch off the browser's own password saving while credwell is the
// credential manager, so that a user sees one save prompt and not two (the browser's and
// credwell's) after signing in.
//
// Both browsers give extensions `privacy.services.passwordSavingEnabled` (the "privacy"
// permission). A value an extension sets holds only while that extension is installed: the
// browser reverts it when credwell is removed, and `clear()` gives the user's own choice back.
// Another extension or an enterprise policy may hold it instead; then credwell says so and
// offers nothing.

/**
 * What the page shows for the setting's state: a sentence, and the button (if any) with what
 * it does.
 * @param {{value: boolean, levelOfControl: string} | undefined} state
 * @returns {{text: string, action: 'off' | 'restore' | null, label: string}}
 */
export function describe(state) {
  if (!state) {
    return { text: "This browser does not let extensions change its password saving.", action: null, label: '' };
  }
  switch (state.levelOfControl) {
    case 'controlled_by_this_extension':
      return {
        text: "The browser's own password saving is off while credwell is installed: only credwell offers to save.",
        action: 'restore',
        label: "Let the browser save passwords again",
      };
    case 'controlled_by_other_extensions':
    case 'not_controllable':
      return {
        text: `The browser's own password saving is ${state.value ? 'on' : 'off'}, and another extension or a policy decides it.`,
        action: null,
        label: '',
      };
    default:
      return state.value
        ? {
            text: 'The browser also offers to save passwords, so after a sign-in you may be asked twice.',
            action: 'off',
            label: "Turn off the browser's password saving",
          }
        : { text: "The browser's own password saving is off.", action: null, label: '' };
  }
}

/**
 * Shows the offer in `text` and `button`, and acts on a click.
 * @param {HTMLElement} text
 * @param {HTMLButtonElement} button
 */
export async function offer(text, button) {
  const setting = chrome.privacy?.services?.passwordSavingEnabled;
  /** @type {'off' | 'restore' | null} */
  let action = null;
  const refresh = async () => {
    /** @type {{value: boolean, levelOfControl: string} | undefined} */
    let state;
    try {
      state = setting ? /** @type {any} */ (await setting.get({})) : undefined;
    } catch {
      state = undefined;
    }
    const shown = describe(state);
    text.textContent = shown.text;
    button.textContent = shown.label;
    button.hidden = !shown.action;
    action = shown.action;
  };
  button.addEventListener('click', async (event) => {
    if (!event.isTrusted || !setting) return;
    if (action === 'off') await setting.set({ value: false });
    else if (action === 'restore') await setting.clear({});
    await refresh();
  });
  await refresh();
}
