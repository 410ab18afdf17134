// @ts-check
// Filling ordinary sign-in forms (part of gen/isolated.js, see build.mjs; classify.js's
// fillFields says which fields, fields.js reads them).
//
// When the user focuses a sign-in form's user name or password field (a trusted focus that a
// trusted mouse press on the field, or a Tab key, brought there within GESTURE_MS; or a
// trusted click on the focused field), this script asks the background for the origin's
// accounts (`fill.ask`, nothing of the page's in it: the background builds the caller from the
// browser's sender). The background asks the host, which offers them in credwell's protected
// account list (src/autofill.js, the same list as passkey autofill; `credwellFillAnchor` tells
// it which field to show it under). A page's script that focuses a field, or dispatches focus
// or click events itself, gets no list: nothing tells it whether credwell holds an account.
// Once the user picks an account in the list, the background sends `fill.fill` {username,
// password} to this document alone, and the fields found at the ask are filled: their value set
// as the browser's own setter sets it (under a framework's value tracking), then `input` and
// `change` events, so that the page's code sees what was filled.

const GESTURE_MS = 1_000;

/**
 * Whether `node` is `el` or contains it, across shadow roots (a closed root's host stands for
 * what is inside: a window listener's event path stops there).
 * @param {EventTarget} node
 * @param {Node} el
 */
function containsDeep(node, el) {
  /** @type {Node | null} */
  let at = el;
  while (at) {
    if (at === node) return true;
    const root = at.getRootNode();
    at = at.parentNode ?? (root instanceof ShadowRoot ? root.host : null);
  }
  return false;
}

/**
 * The focused element inside `el` when it is a shadow root's host (open or closed), else `el`.
 * @param {Element | null} el
 */
function deepFocused(el) {
  for (let i = 0; el && i < 32; i++) {
    const root = shadowOf(el);
    const inner = root?.activeElement ?? null;
    if (!inner) break;
    el = inner;
  }
  return el;
}

/**
 * Whether `el` is the document's focused element (inside shadow roots too). Not `:focus`, which
 * Firefox does not match while its window is in the background.
 * @param {Element} el
 */
const hasFocus = (el) => deepFocused(document.activeElement) === el;

/**
 * Sets `el`'s value as typing would look to the page: the browser's own value setter (a
 * framework that tracks the property on the element sees a change), then `input` and `change`.
 * @param {HTMLInputElement} el
 * @param {string} value
 */
function setFieldValue(el, value) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  if (setter) setter.call(el, value);
  else el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

/**
 * Starts offering fills; `ask` sends the background `fill.ask`. Returns what the relay passes on:
 * the background's `fill.fill`.
 * @param {() => void} ask
 */
function watchFills(ask) {
  /** @type {{path: EventTarget[], at: number}} */
  let press = { path: [], at: -Infinity };
  let tabAt = -Infinity;
  /** @type {{field: HTMLInputElement, username: HTMLInputElement | null, password: HTMLInputElement | null, at: number} | null} */
  let target = null;

  /** @param {Event} e */
  const onPress = (e) => {
    if (e.isTrusted && typeof e.composedPath === 'function') press = { path: e.composedPath(), at: performance.now() };
  };
  window.addEventListener('pointerdown', onPress, true);
  window.addEventListener('mousedown', onPress, true);
  window.addEventListener('keydown', (e) => {
    if (e.isTrusted && e.key === 'Tab') tabAt = performance.now();
  }, true);

  // The user moved the focus to `field`: a press on it (or on a label of it), or a Tab, just now.
  /** @param {HTMLInputElement} field */
  const userFocused = (field) => {
    const now = performance.now();
    if (now - tabAt < GESTURE_MS) return true;
    if (now - press.at >= GESTURE_MS) return false;
    const [first] = press.path;
    if (!first) return false;
    if (containsDeep(first, field)) return true;
    const labels = field.labels ? [...field.labels] : [];
    return labels.some((l) => press.path.includes(l));
  };

  /** @param {HTMLInputElement} field */
  const offerFor = (field) => {
    const form = formOf(field);
    const root = field.getRootNode();
    const inputs = form ? scopeInputs(form) : root instanceof ShadowRoot ? deepInputs(root) : scopeInputs(null);
    const index = inputs.indexOf(field);
    if (index === -1) return;
    const found = fillFields(inputs.map(describeField), index);
    if (!found) return;
    target = {
      field,
      username: found.usernameField === -1 ? null : inputs[found.usernameField],
      password: found.passwordField === -1 ? null : inputs[found.passwordField],
      at: performance.now(),
    };
    ask();
  };

  /** @param {Event} e */
  const fieldOf = (e) => {
    if (!e.isTrusted || typeof e.composedPath !== 'function') return null;
    const el = deepFocused(/** @type {Element | null} */ (e.composedPath()[0] ?? null));
    return el instanceof HTMLInputElement ? el : null;
  };
  /** @param {() => void} fn */
  const guarded = (fn) => {
    try {
      fn();
    } catch {
      // A page's odd DOM is no reason to break the relay.
    }
  };
  window.addEventListener('focusin', (e) => guarded(() => {
    const field = fieldOf(e);
    if (field && userFocused(field)) offerFor(field);
  }), true);
  // A click on the field that already has the focus (the list was closed meanwhile).
  window.addEventListener('click', (e) => guarded(() => {
    const field = fieldOf(e);
    if (!field || !hasFocus(field)) return;
    if (target?.field === field && performance.now() - target.at < GESTURE_MS) return;
    offerFor(field);
  }), true);

  // The field the list belongs under (src/autofill.js, this isolated world), while it has focus.
  /** @type {any} */ (globalThis).credwellFillAnchor = () => {
    const field = target?.field;
    return field && field.isConnected && hasFocus(field) ? field : null;
  };

  return {
    /**
     * The background's `fill.fill`: the account the user picked.
     * @param {{username?: unknown, password?: unknown}} message
     */
    fill(message) {
      const t = target;
      const { username, password } = message;
      if (!t || typeof password !== 'string' || typeof username !== 'string') return;
      guarded(() => {
        if (t.username?.isConnected && username) setFieldValue(t.username, username);
        if (t.password?.isConnected) setFieldValue(t.password, password);
      });
    },
  };
}
