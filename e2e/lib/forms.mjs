// What a user does with an ordinary form, in both browsers (scenarios/forms.mjs): fill its
// fields and click its button with a real (trusted) mouse click. Fields are named by a path of
// selectors from the page: an iframe's selector steps into its (same-origin) document, any other
// element's into its shadow root (a closed one as the page keeps it), e.g. '#login >> #pass' or
// 'login-box >> #go'.
import assert from 'node:assert/strict';
import { realClick } from './autofill.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** In the page: the element at `path` and its offset in the page (iframes' positions added). */
const locate = (path) => {
  let root = document;
  let dx = 0;
  let dy = 0;
  for (const step of path.slice(0, -1)) {
    const el = root.querySelector(step);
    if (!el) return null;
    if (el.tagName === 'IFRAME') {
      const r = el.getBoundingClientRect();
      dx += r.left + el.clientLeft;
      dy += r.top + el.clientTop;
      root = el.contentDocument;
    } else {
      // A closed shadow root: the one the page keeps (pages/forms/shadow.html).
      root = el.shadowRoot ?? window.closedShadowRoots?.get(el);
    }
    if (!root) return null;
  }
  const el = root.querySelector(path[path.length - 1]);
  return el ? { el, dx, dy } : null;
};

/** Types `fields` ({path: value}, paths joined by ' >> ') into the page's fields, by script. */
export async function fill(h, fields) {
  await h.page.evaluate(
    ({ fields, locate }) => {
      const find = (0, eval)(`(${locate})`);
      for (const [path, value] of Object.entries(fields)) {
        const found = find(path.split(' >> '));
        if (!found) throw new Error(`no field ${path}`);
        found.el.focus();
        found.el.value = value;
        found.el.dispatchEvent(new Event('input', { bubbles: true }));
        found.el.dispatchEvent(new Event('change', { bubbles: true }));
      }
    },
    { fields, locate: locate.toString() },
  );
}

/** Clicks the element at `path` (a ' >> '-joined string) with a real mouse click. */
export async function click(h, path) {
  let at = null;
  for (let i = 0; i < 100 && !at; i++) {
    at = await h.page.evaluate(
      ({ path, locate }) => {
        const found = (0, eval)(`(${locate})`)(path.split(' >> '));
        if (!found) return null;
        const r = found.el.getBoundingClientRect();
        if (r.width === 0) return null;
        return { x: found.dx + r.left + r.width / 2, y: found.dy + r.top + r.height / 2 };
      },
      { path, locate: locate.toString() },
    );
    if (!at) await sleep(50);
  }
  if (!at) throw new Error(`nothing to click at ${path}`);
  await realClick(h, at.x, at.y);
}

/**
 * Types `fields` ({selector: value}) into the document of `frame` (an iframe of the page, any
 * origin: h.addFrame's), then clicks `button` in it with a real mouse click; `iframe` is the
 * iframe element's selector in the page.
 */
export async function submitInFrame(h, frame, iframe, fields, button) {
  const at = await frame.evaluate(
    ({ fields, button }) => {
      for (const [selector, value] of Object.entries(fields)) {
        const el = document.querySelector(selector);
        el.value = value;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
      const r = document.querySelector(button).getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    },
    { fields, button },
  );
  const offset = await h.page.evaluate((s) => {
    const el = document.querySelector(s);
    const r = el.getBoundingClientRect();
    return { x: r.left + el.clientLeft, y: r.top + el.clientTop };
  }, iframe);
  await realClick(h, offset.x + at.x, offset.y + at.y);
}

/** Waits until the page's URL ends with `tail` (a navigation or route change happened). */
export async function arrivedAt(h, tail) {
  for (let i = 0; i < 200; i++) {
    const url = await h.page.evaluate(() => location.href).catch(() => '');
    if (url.endsWith(tail)) return;
    await sleep(50);
  }
  throw new Error(`the page never reached ${tail}`);
}

/**
 * Opens `page` (on `origin`), fills `fields`, clicks `button`; then answers the save (or update) prompt with
 * `answer` (unlocking the vault first when `unlock`), checks it names `user`, and returns its
 * text.
 */
export async function submitAndAnswer(h, page, fields, { button = '#go', user, unlock = false, answer = 'save', origin = h.origin }) {
  await h.goto(page, origin);
  await fill(h, fields);
  await click(h, button);
  if (unlock) await h.unlock();
  const text = await h.answerPrompt(answer);
  assert.match(text, new RegExp(user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return text;
}

/** The password the vault gives a get() for `id`: picked in a chooser of every account. */
export async function savedPassword(h, id) {
  return (await savedCredential(h, id)).password;
}

/** The credential ({id, password, name}) a get() returns for `id`, picked in the chooser. */
export async function savedCredential(h, id) {
  const got = h.page.evaluate(async () => {
    const c = await navigator.credentials.get({ password: true, mediation: 'required' });
    return c && { id: c.id, password: c.password, name: c.name, type: c.type };
  });
  const chooser = await h.waitForUi('chooser');
  const account = `button.account[data-id="${id}"]`;
  await h.uiWait(chooser, account);
  await h.clickAndClose(chooser, account);
  const c = await got;
  assert.equal(c?.id, id);
  return c;
}
