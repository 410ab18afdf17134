// credwell's passkey autofill (ISOLATED world): the offer of a conditional get()
// (`navigator.credentials.get({mediation: "conditional", publicKey})`), which the host sends as a
// `passkey.autofill` prompt and the background forwards to the calling frame only.
//
// While an offer is open, focusing an <input> or <textarea> whose autocomplete attribute has the
// `webauthn` token shows the RP's passkeys in a small list under it, in a closed shadow root (the
// page cannot read the account names before the user picks one). Only a trusted click (a real
// user gesture, `event.isTrusted`) picks an account; the background checks that the pick comes
// from this frame's document and answers the host. The offer ends on `autofill.close` (the
// request settled or was aborted).
(() => {
  'use strict';
  const api = globalThis.chrome;
  let offer = null; // {ui, rpId, accounts}
  let box = null; // the list's host element

  const hasWebauthnToken = (el) => {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) return false;
    const tokens = (el.getAttribute('autocomplete') ?? '').split(/[\t\n\f\r ]+/);
    return tokens.some((t) => t.toLowerCase() === 'webauthn');
  };

  const hide = () => {
    box?.remove();
    box = null;
  };

  const pick = (index, event) => {
    if (!event.isTrusted || !offer) return;
    const { ui } = offer;
    offer = null;
    hide();
    try {
      api.runtime.sendMessage({ credwell: 1, kind: 'autofill.choose', ui, choose: index }, () => void api.runtime.lastError);
    } catch {
      // The extension went away.
    }
  };

  const show = (input) => {
    hide();
    if (!offer || offer.accounts.length === 0) return;
    const rect = input.getBoundingClientRect();
    box = document.createElement('credwell-autofill');
    box.style.cssText = `all: initial; position: fixed; z-index: 2147483647; left: ${Math.round(rect.left)}px; top: ${Math.round(rect.bottom + 2)}px;`;
    const root = box.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = `
      .list { font: 14px/1.3 system-ui, sans-serif; background: #fff; color: #111; border: 1px solid #999; border-radius: 6px;
              box-shadow: 0 2px 8px rgba(0,0,0,.25); min-width: 240px; padding: 4px 0; }
      .title { font-size: 12px; color: #555; padding: 4px 10px; height: 20px; box-sizing: border-box; }
      button { all: unset; display: block; box-sizing: border-box; width: 100%; height: 40px; padding: 4px 10px; cursor: pointer; }
      button:hover, button:focus { background: #e8f0fe; }
      .name { font-weight: 600; display: block; }
      .user { color: #555; font-size: 12px; display: block; }`;
    const list = document.createElement('div');
    list.className = 'list';
    list.setAttribute('role', 'listbox');
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = `Passkeys for ${offer.rpId} (credwell)`;
    list.append(title);
    offer.accounts.forEach((account, index) => {
      const b = document.createElement('button');
      b.setAttribute('role', 'option');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = account.userDisplayName || account.userName;
      const user = document.createElement('span');
      user.className = 'user';
      user.textContent = account.userName;
      b.append(name, user);
      b.addEventListener('mousedown', (e) => e.preventDefault()); // keep the input focused
      b.addEventListener('click', (e) => pick(index, e));
      list.append(b);
    });
    root.append(style, list);
    document.documentElement.append(box);
  };

  document.addEventListener(
    'focusin',
    (event) => {
      if (offer && hasWebauthnToken(event.target)) show(event.target);
    },
    true,
  );
  document.addEventListener(
    'focusout',
    () => {
      // A click in the list keeps the focus (mousedown is prevented); anything else ends the
      // list (the offer stays open for the next focus).
      setTimeout(() => {
        if (box && !hasWebauthnToken(document.activeElement)) hide();
      }, 0);
    },
    true,
  );

  api.runtime.onMessage.addListener((message, sender) => {
    if (!message || message.credwell !== 1 || sender.id !== api.runtime.id || sender.tab) return false;
    if (message.kind === 'autofill.offer' && Number.isSafeInteger(message.ui) && Array.isArray(message.accounts)) {
      offer = {
        ui: message.ui,
        rpId: String(message.rpId ?? ''),
        accounts: message.accounts.map((a) => ({ userName: String(a.userName ?? ''), userDisplayName: String(a.userDisplayName ?? '') })),
      };
      if (hasWebauthnToken(document.activeElement)) show(document.activeElement);
    } else if (message.kind === 'autofill.close' && offer && message.ui === offer.ui) {
      offer = null;
      hide();
    }
    return false;
  });
})();
