// @ts-check
// Reading a page's form fields for credwell's form saving (part of gen/isolated.js, see
// build.mjs). Runs in the ISOLATED world: the DOM properties read here are the browser's own
// (a page script cannot replace this world's getters); a field's value is read when it is
// needed, at the submission. Shadow roots are searched too: open ones, and closed ones where the
// browser lets an extension open them (chrome.dom.openOrClosedShadowRoot in Chromium,
// Element.openOrClosedShadowRoot in Firefox).

/** The most fields of one form or page looked at: a page with more is not a sign-in form. */
const MAX_FIELDS = 200;
/** The input types that can hold a user name or a password. */
const ACCOUNT_TYPES = new Set(['text', 'email', 'tel', 'password', 'url', 'number', 'search', '']);

/**
 * An element's shadow root, open or closed, where the browser gives it to extensions.
 * @param {Element} el
 * @returns {ShadowRoot | null}
 */
function shadowOf(el) {
  if (el.shadowRoot) return el.shadowRoot;
  try {
    const dom = /** @type {any} */ (globalThis.chrome)?.dom;
    if (dom && typeof dom.openOrClosedShadowRoot === 'function') return dom.openOrClosedShadowRoot(el) ?? null;
    const own = /** @type {any} */ (el).openOrClosedShadowRoot;
    return own ? own : null;
  } catch {
    return null;
  }
}

/**
 * The input elements of `root` and of the shadow roots inside it, in tree order (a shadow
 * root's inputs where its host is).
 * @param {Document | ShadowRoot | Element} root
 * @returns {HTMLInputElement[]}
 */
function deepInputs(root) {
  /** @type {HTMLInputElement[]} */
  const out = [];
  /** @param {Document | ShadowRoot | Element} node */
  const walk = (node) => {
    for (const el of node.querySelectorAll('*')) {
      if (out.length >= MAX_FIELDS) return;
      if (el instanceof HTMLInputElement) out.push(el);
      // Closed roots are looked for on custom elements only: asking the browser for every
      // element's costs 3.4 times the walk (78 against 23 ms for 18,000 elements, Chromium).
      const shadow = el.shadowRoot ?? (el.localName.includes('-') ? shadowOf(el) : null);
      if (shadow) walk(shadow);
    }
  };
  walk(root);
  return out;
}

/**
 * The inputs a submission covers: the form's own (its `elements`, and inputs in shadow roots
 * inside it), or, for a control outside any form, the inputs of the whole page outside forms.
 * @param {HTMLFormElement | null} form
 * @returns {HTMLInputElement[]}
 */
function scopeInputs(form) {
  if (form) {
    const own = [...form.elements].filter((el) => el instanceof HTMLInputElement);
    const inner = deepInputs(form).filter((el) => !own.includes(el));
    return own.concat(inner).slice(0, MAX_FIELDS);
  }
  return deepInputs(document).filter((el) => !el.form);
}

/**
 * The form a control belongs to: its form owner, else the nearest form around it.
 * @param {Element | null} el
 * @returns {HTMLFormElement | null}
 */
function formOf(el) {
  if (!el) return null;
  if (el instanceof HTMLFormElement) return el;
  const owner = /** @type {any} */ (el).form;
  if (owner instanceof HTMLFormElement) return owner;
  return el.closest('form');
}

/**
 * The inputs a control a user clicked or pressed Enter in covers: a closed shadow root's host
 * (the page's scripts cannot see in, nor can the event's path): every input inside it; else
 * those of its form (scopeInputs); outside any form, those of the whole page only when
 * `pageWide` (that walk is the costly one: the caller asks for it once something was typed).
 * @param {Element} el
 * @param {boolean} pageWide
 * @returns {HTMLInputElement[]}
 */
function controlInputs(el, pageWide) {
  const closed = el.shadowRoot ? null : shadowOf(el);
  if (closed) return deepInputs(closed);
  const form = formOf(el);
  return form || pageWide ? scopeInputs(form) : [];
}

/** @param {string} s */
const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * What the classifier reads of one input (classify.js's FieldInfo).
 * @param {HTMLInputElement} el
 * @returns {FieldInfo}
 */
function describeField(el) {
  const type = ACCOUNT_TYPES.has(el.type) ? el.type : `other:${el.type}`;
  const labels = el.labels ? [...el.labels].map((l) => (l.textContent ?? '').slice(0, 100)) : [];
  const words = [el.name, el.id, el.placeholder, el.getAttribute('aria-label') ?? '', ...labels];
  return {
    type,
    tokens: lower(el.getAttribute('autocomplete') ?? '').split(/[\t\n\f\r ]+/).filter(Boolean),
    hints: lower(words.join(' ').slice(0, 400)),
    visible: el.isConnected && el.getClientRects().length > 0,
    value: el.value,
    inputMode: lower(el.inputMode ?? ''),
    maxLength: el.maxLength,
  };
}
