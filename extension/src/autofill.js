// @ts-check
// credwell's passkey autofill (ISOLATED world): the offer of a conditional get()
// (`navigator.credentials.get({mediation: "conditional", publicKey})`), which the host sends as a
// `passkey.autofill` prompt and the background forwards to the calling frame only, as its UI id
// and a token: the accounts never enter the page's process through this script.
//
// While an offer is open, focusing an <input> or <textarea> whose autocomplete attribute has the
// `webauthn` token shows the list under it: an extension page (src/autofill-frame.html) in a
// fixed-size iframe, inside a closed shadow root. The frame has the extension's origin, so the
// page can neither read nor restyle the entries, nor learn how many there are or how long their
// names are; what the frame accepts as a pick (only when the browser says it was really visible,
// or after a confirmation outside the page) is decided in the frame and the background. The offer
// ends on `autofill.close` (the request settled or was aborted, or the pick went to a window).
//
// The same list offers a sign-in form's password accounts (`autofill.offer` with `fill: true`,
// the host's `password.autofill`): asked for by src/content/forms/fill.js when the user focused a
// user name or password field, and shown under that field (`credwellFillAnchor`) while it has
// the focus. A field that is both (`autocomplete="username webauthn"`) shows the passkeys.
(() => {
  'use strict';
  const api = globalThis.chrome;
  const WIDTH = 280;
  const HEIGHT = 172; // the title and three accounts; more scroll inside the frame
  const EXTENSION_ORIGIN = new URL(api.runtime.getURL('')).origin;
  /** @type {{ui: number, token: string} | null} */
  let offer = null;
  /** @type {{ui: number, token: string} | null} */
  let fillOffer = null; // a sign-in form's password accounts
  /** @returns {HTMLInputElement | null} the field a fill offer belongs under, while focused */
  const fillAnchor = () => /** @type {any} */ (globalThis).credwellFillAnchor?.() ?? null;
  /** @type {(HTMLElement & {sampler?: ReturnType<typeof setInterval>}) | null} */
  let box = null; // the list's host element
  /** @type {HTMLInputElement | HTMLTextAreaElement | null} */
  let lastField = null; // the field the list was last shown under
  /** @type {number | null} */
  let shownUi = null; // the offer the list shows

  /**
   * @param {unknown} el
   * @returns {el is HTMLInputElement | HTMLTextAreaElement}
   */
  const hasWebauthnToken = (el) => {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) return false;
    const tokens = (el.getAttribute('autocomplete') ?? '').split(/[\t\n\f\r ]+/);
    return tokens.some((t) => t.toLowerCase() === 'webauthn');
  };

  const hide = () => {
    if (box) clearInterval(box.sampler);
    box?.remove();
    box = null;
  };

  /**
   * @param {HTMLInputElement | HTMLTextAreaElement} input
   * @param {{ui: number, token: string} | null} shown the offer to show (the passkeys' by default)
   */
  const show = (input, shown = offer) => {
    hide();
    if (!shown) return;
    lastField = input;
    shownUi = shown.ui;
    const rect = input.getBoundingClientRect();
    box = document.createElement('credwell-autofill');
    box.style.cssText = `all: initial; display: block; position: fixed; z-index: 2147483647; left: ${Math.round(rect.left)}px; top: ${Math.round(rect.bottom + 2)}px; width: ${WIDTH}px; height: ${HEIGHT}px;`;
    const root = box.attachShadow({ mode: 'closed' });
    const frame = document.createElement('iframe');
    frame.src = api.runtime.getURL(`src/autofill-frame.html?ui=${shown.ui}`);
    frame.title = shown === fillOffer ? 'credwell accounts' : 'credwell passkeys';
    frame.style.cssText = `display: block; border: 0; margin: 0; padding: 0; width: ${WIDTH}px; height: ${HEIGHT}px; background: transparent;`;
    // The offer's token goes to this frame only (the extension's origin), once it has loaded: a
    // list frame the page made itself never gets it, so the background answers it nothing.
    const { token } = shown;
    const drawn = box;
    frame.addEventListener(
      'load',
      () => {
        const tell = () => frame.contentWindow?.postMessage({ credwell: 1, token, fullSize: fullSize(drawn, frame) }, EXTENSION_ORIGIN);
        tell();
        drawn.sampler = setInterval(tell, SAMPLE_EVERY_MS);
      },
      { once: true },
    );
    root.append(frame);
    document.documentElement.append(box);
  };

  // Whether the list is drawn at its own size. IntersectionObserver v2 counts a frame shrunk by a
  // scale (or the page's zoom) as visible, and a list shrunk to a dot under a decoy is as good as
  // hidden; the frame cannot see its own scale, this script can. Sent with the token every
  // SAMPLE_EVERY_MS: a frame that stops hearing it (the page blocked this thread) takes no pick.
  const SAMPLE_EVERY_MS = 100;
  /** @param {Element[]} elements */
  const fullSize = (...elements) =>
    elements.every((el) => {
      const r = el.getBoundingClientRect();
      return Math.abs(r.width - WIDTH) < 1 && Math.abs(r.height - HEIGHT) < 1;
    });

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
      // A click in the list moves the focus into its frame (the active element is then the list's
      // host); anything else ends the list (the offer stays open for the next focus).
      setTimeout(() => {
        if (box && document.activeElement !== box && !hasWebauthnToken(document.activeElement) && !fillAnchor()) hide();
      }, 0);
    },
    true,
  );

  // An offer or its end, from the background: for this document only (by its document id, or over
  // its own port through src/isolated.js, which shares this isolated world).
  /** @param {any} message */
  const onOffer = (message) => {
    if (message.kind === 'autofill.offer' && message.fill === true && Number.isSafeInteger(message.ui) && typeof message.token === 'string') {
      fillOffer = { ui: message.ui, token: message.token };
      const anchor = fillAnchor();
      if (anchor && !(offer && hasWebauthnToken(anchor))) show(anchor, fillOffer);
      else if (message.again === true && lastField?.isConnected) show(lastField, fillOffer);
    } else if (message.kind === 'autofill.close' && fillOffer && message.ui === fillOffer.ui) {
      fillOffer = null;
      if (shownUi === message.ui) hide();
    } else if (message.kind === 'autofill.offer' && Number.isSafeInteger(message.ui) && typeof message.token === 'string') {
      offer = { ui: message.ui, token: message.token };
      if (hasWebauthnToken(document.activeElement)) show(document.activeElement);
      // Offered again after the user closed the confirming window: back under the same field.
      else if (message.again === true && lastField?.isConnected) show(lastField);
    } else if (message.kind === 'autofill.close' && offer && message.ui === offer.ui) {
      offer = null;
      if (shownUi === message.ui) hide();
    }
  };
  globalThis.credwellAutofill = onOffer;

  api.runtime.onMessage.addListener((message, sender) => {
    if (!message || message.credwell !== 1 || sender.id !== api.runtime.id || sender.tab) return false;
    onOffer(message);
    return false;
  });
})();
