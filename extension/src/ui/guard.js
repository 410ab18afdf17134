// @ts-check
// Input protection for every credwell window (unlock, chooser, save / update prompt, passkey
// create / chooser / verify). A page can make credwell open one of these windows at any moment,
// focused, in front of it: at the instant the user is clicking or typing in the page. Without
// protection that click or keystroke lands on credwell's window instead (a "rushed" answer).
//
// So the window ignores every click, key and text input until it has been visible and focused
// for ARM_DELAY_MS without interruption, and again each time it loses the focus or is hidden
// (the delay starts over when it comes back). A press that began while the window was not armed
// is ignored to its end (its click, its key up), so holding a button across the delay does not
// count either. While armed, <html> carries data-armed="true" (styles and the e2e harness wait
// for it); before, data-armed="false".
//
// Page scripts cannot reach this document (it is an extension page), so every event here comes
// from the user or the browser; synthetic events are treated the same way as real ones.

/** How long a window must have been visible and focused before it takes input. */
export const ARM_DELAY_MS = 500;

const root = document.documentElement;
let armed = false;
/** @type {ReturnType<typeof setTimeout> | null} */
let timer = null;
// Presses (pointer buttons, keys by code) that began while the window was not armed.
let pointerPressedEarly = false;
const keysPressedEarly = new Set();

/** @param {boolean} value */
function setArmed(value) {
  armed = value;
  root.dataset.armed = value ? 'true' : 'false';
}

function disarm() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  setArmed(false);
}

const shown = () => document.visibilityState === 'visible' && document.hasFocus();

// Starts the delay over (from now) when the window is shown and focused.
function restart() {
  disarm();
  if (!shown()) return;
  timer = setTimeout(() => {
    timer = null;
    setArmed(shown());
  }, ARM_DELAY_MS);
}

const POINTER_DOWN = new Set(['pointerdown', 'mousedown', 'touchstart']);
const POINTER_END = new Set(['click', 'dblclick', 'auxclick', 'contextmenu', 'pointerup', 'mouseup', 'touchend']);
const KEYS = new Set(['keydown', 'keypress', 'keyup']);
const OTHER = ['beforeinput', 'input', 'paste', 'drop', 'submit'];

/** @param {Event & {code?: string, key?: string}} event */
function guard(event) {
  let blocked = !armed;
  if (POINTER_DOWN.has(event.type)) {
    pointerPressedEarly = blocked;
  } else if (POINTER_END.has(event.type)) {
    blocked ||= pointerPressedEarly;
    if (event.type === 'click' || event.type === 'dblclick' || event.type === 'auxclick') pointerPressedEarly = false;
  } else if (KEYS.has(event.type)) {
    const code = event.code || event.key;
    if (event.type === 'keydown' && blocked) keysPressedEarly.add(code);
    blocked ||= keysPressedEarly.has(code);
    if (event.type === 'keyup') keysPressedEarly.delete(code);
  }
  if (!blocked) return;
  // The window may have got the focus without a focus event reaching this script (it was
  // focused before the script ran, then hasFocus() was still false): start the delay now.
  if (!armed && timer === null && shown()) restart();
  event.preventDefault();
  event.stopImmediatePropagation();
}

for (const type of [...POINTER_DOWN, ...POINTER_END, ...KEYS, ...OTHER]) {
  window.addEventListener(type, guard, { capture: true });
}
window.addEventListener('focus', restart);
window.addEventListener('blur', disarm);
document.addEventListener('visibilitychange', restart);
restart();

/** Whether the window takes input now. */
export function isArmed() {
  return armed;
}
