// @ts-check
// When an ordinary form was submitted, for credwell's form saving (part of gen/isolated.js, see
// build.mjs; fields.js reads the fields, classify.js says what they are).
//
// A submission starts with a `submit` event (any form, seen at the window first), or with a
// trusted click on a button-like control or a trusted Enter in a field (pages that never
// submit a form). Its fields are read then, and again every WATCH_MS while the user stays: the
// latest values win. It looks successful, and is passed on to be saved, when
// - a form submission goes ahead (the page did not prevent it: the browser navigates), or
// - the page navigates or goes away (pagehide), or its URL changes (a single-page app's route)
//   (for a sign-in that navigates, the background then asks the next document whether it shows
//   a password field again, showsPasswordField: a failed sign-in is not saved),
// - or the password field is removed or hidden after it, or cleared (a fetch signed the user in;
//   hidden counts only for a field that was shown).
// A sign-in whose password alone is cleared while its form stays (the field still shown in the
// same document at the same URL, the user name still in its field, for FAILED_AFTER_MS) is a
// failed attempt: the page asks for the password again, as single-page apps do after their
// fetch returned an error, and nothing is passed on (the user's next attempt is a submission of
// its own). A sign-in that succeeds moves on: it removes or hides the form, changes the route,
// navigates, or empties the whole form (the user name too). Sign-ups and changes of password
// are passed on either way, as for those that navigate (the background does not probe them).
// Nothing happening within WATCH_FOR_MS drops it. One submission is watched at a time, and one
// is passed on once. A `username` form (the first page of a two-page sign-in) is passed on as
// soon as it is submitted, for the background to remember.
//
// The page's own store() of a password credential (seen by the relay) is the page saving what
// was typed: a submission watched since shortly before it is not passed on (one prompt, not two).
//
// A watched sign-in, sign-up or change of password is also passed on as pending as it starts (and
// again when its fields change while watched), and dropped when it ends without being passed on:
// the background keeps it for the frame's next commit, so that a submission whose document leaves
// is saved even when the departing document's own message is lost (form-saves.js).

const WATCH_MS = 250;
const WATCH_FOR_MS = 30_000;
// How long a sign-in's cleared password must stay shown in its form to be a failed attempt: a
// page that signed the user in may clear the field a moment before it removes the form.
const FAILED_AFTER_MS = 1_000;
const PAGE_STORE_GRACE_MS = 2_000;

/**
 * A submission being watched.
 * @typedef {object} Watched
 * @property {HTMLInputElement[]} inputs the fields it covers
 * @property {FormKind} found what they were last seen to be
 * @property {HTMLInputElement | null} password the stored password's field
 * @property {HTMLInputElement | null} user the user name's field
 * @property {boolean} shown whether that field was rendered when it started
 * @property {number} cleared since when a sign-in's password was seen cleared in its form (0: not)
 * @property {string} url the document's URL when it started
 * @property {number} at when it started
 * @property {ReturnType<typeof setInterval> | null} timer
 */

/**
 * Reads `inputs` and classifies them.
 * @param {HTMLInputElement[]} inputs
 */
function classifyInputs(inputs) {
  const live = inputs.filter((el) => el.isConnected);
  const found = classifyFields(live.map(describeField));
  return {
    found,
    password: found && found.passwordField !== -1 ? live[found.passwordField] : null,
    user: found && found.usernameField !== -1 ? live[found.usernameField] : null,
  };
}

/**
 * Whether a sign-in's cleared password field stays in a form that asks again: the field still
 * shown, the user name (when the form has a field for it) still there as submitted.
 * @param {Watched} w
 * @param {HTMLInputElement} field the password's field, connected and empty
 */
function asksAgain(w, field) {
  if (w.found.kind !== 'sign-in' || !w.shown || field.getClientRects().length === 0) return false;
  const user = w.user;
  return !user || (user.isConnected && user.value === w.found.username);
}

/**
 * Whether an element a trusted click landed on is a control that may submit: a button, a
 * submit / image / button input, a link, anything with role=button, or (its inside unknown) a
 * closed shadow root's host.
 * @param {EventTarget[]} path the event's composed path
 */
function clickedControl(path) {
  for (const node of path.slice(0, 8)) {
    if (!(node instanceof Element)) continue;
    if (node instanceof HTMLButtonElement || node instanceof HTMLAnchorElement) return node;
    if (node instanceof HTMLInputElement && ['submit', 'image', 'button'].includes(node.type)) return node;
    if (node.getAttribute('role') === 'button') return node;
    if (!node.shadowRoot && shadowOf(node)) return node;
  }
  return null;
}

/**
 * Whether this document shows a password field (the page a sign-in led to offering it again:
 * the sign-in failed). Answered to the background (form-saves.js), as a boolean only.
 */
function showsPasswordField() {
  return deepInputs(document).some((el) => el.type === 'password' && el.getClientRects().length > 0);
}

/**
 * Starts watching this document's submissions; `save` receives each one that looks successful:
 * {kind, username, password, navigates} (`navigates`: the answer comes as the next document);
 * `pending` receives a sign-in, sign-up or change of password as its watch starts and when its
 * fields change ({kind, username, password}), `drop` is called when that watch ends without
 * `save`.
 * @param {(form: {kind: string, username: string, password: string, navigates: boolean}) => void} save
 * @param {{pending?: (form: {kind: string, username: string, password: string}) => void, drop?: () => void}} [notes]
 */
function watchForms(save, { pending = () => {}, drop = () => {} } = {}) {
  /** @type {Watched | null} */
  let watched = null;
  let pageStoredAt = -Infinity;
  // Whether an `input` event reached the window yet: until then a click outside any form has
  // nothing typed to look for, and the page-wide walk is skipped (most clicks of most pages).
  let typed = false;

  const stop = () => {
    if (watched?.timer) clearInterval(watched.timer);
    watched = null;
  };
  /** The watch ends without passing the submission on (its pending copy goes too). */
  const abandon = () => {
    const w = watched;
    stop();
    if (w && w.found.kind !== 'username') drop();
  };
  /** @param {Watched} w */
  const notePending = (w) => pending({ kind: w.found.kind, username: w.found.username, password: w.found.password });
  /** @param {boolean} navigates the document is going away for the submission's answer */
  const pass = (navigates = false) => {
    const w = watched;
    if (!w) return;
    if (pageStoredAt >= w.at - PAGE_STORE_GRACE_MS) return abandon();
    stop();
    save({ kind: w.found.kind, username: w.found.username, password: w.found.password, navigates });
  };
  const tick = () => {
    const w = watched;
    if (!w) return;
    if (location.href !== w.url) return pass();
    const field = w.password;
    if (!field || !field.isConnected || (w.shown && field.getClientRects().length === 0)) return pass();
    if (field.value === '') {
      if (!asksAgain(w, field)) return pass();
      // The form asks again: a failed attempt, once it stayed so for FAILED_AFTER_MS.
      if (!w.cleared) w.cleared = Date.now();
      else if (Date.now() - w.cleared >= FAILED_AFTER_MS) abandon();
      return;
    }
    w.cleared = 0;
    const now = classifyInputs(w.inputs);
    if (now.found && now.found.kind === w.found.kind) {
      const changed = now.found.username !== w.found.username || now.found.password !== w.found.password;
      w.found = now.found;
      w.password = now.password;
      w.user = now.user;
      if (changed) notePending(w);
    }
    if (Date.now() - w.at > WATCH_FOR_MS) abandon();
  };

  /**
   * A submission covering `inputs` starts.
   * @param {HTMLInputElement[]} inputs
   * @returns {boolean} whether it is one to save
   */
  const start = (inputs) => {
    // Nothing typed anywhere (most clicks): done before any layout is asked for.
    if (!inputs.some((el) => el.value !== '')) return false;
    const { found, password, user } = classifyInputs(inputs);
    if (!found) return false;
    stop();
    const shown = !!password && password.getClientRects().length > 0;
    watched = { inputs, found, password, user, shown, cleared: 0, url: location.href, at: Date.now(), timer: null };
    if (found.kind === 'username') {
      pass();
      return true;
    }
    notePending(watched);
    watched.timer = setInterval(() => guarded(tick), WATCH_MS);
    return true;
  };

  /** @param {() => void} fn */
  const guarded = (fn) => {
    try {
      fn();
    } catch {
      // A page's odd DOM is no reason to break the relay.
    }
  };

  /** @type {{event: Event, watched: Watched | null} | null} */
  let submitted = null;
  window.addEventListener('submit', (e) => guarded(() => {
    const form = e.target instanceof HTMLFormElement ? e.target : null;
    if (!form || !start(scopeInputs(form))) return;
    const w = watched;
    submitted = { event: e, watched: w };
    // After the page's own handlers: a submission they did not prevent navigates now. Passed on
    // at once, as the event reaches the window again (before the document can go away: Chromium
    // drops a departing document's message to a service worker still starting), else on the
    // next task (a handler stopped the event).
    setTimeout(() => {
      if (watched === w && !e.defaultPrevented) pass(true);
    }, 0);
  }), true);
  window.addEventListener('submit', (e) => guarded(() => {
    if (submitted?.event === e && watched === submitted.watched && !e.defaultPrevented) pass(true);
  }));
  window.addEventListener('click', (e) => guarded(() => {
    if (!e.isTrusted || typeof e.composedPath !== 'function') return;
    const control = clickedControl(e.composedPath());
    if (control) start(controlInputs(control, typed));
  }), true);
  window.addEventListener('keydown', (e) => guarded(() => {
    if (!e.isTrusted || e.key !== 'Enter' || typeof e.composedPath !== 'function') return;
    const [target] = e.composedPath();
    if (target instanceof HTMLInputElement) start(controlInputs(target, true));
  }), true);
  window.addEventListener('input', () => {
    typed = true;
  }, true);
  window.addEventListener('pagehide', () => guarded(() => {
    if (watched) pass(true);
  }), true);

  return {
    /** The page stored a password credential itself (the relay saw its store() call). */
    pageStored() {
      pageStoredAt = Date.now();
    },
  };
}
