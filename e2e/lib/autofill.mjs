// The passkey autofill list of a conditional get() against clickjacking, for both browsers
// (e2e/tests/passkeys.test.mjs, e2e/firefox/passkeys.test.mjs).
//
// The attack: the list lived in the page's DOM with non-important inline styles, so a page
// stylesheet could make it invisible (`credwell-autofill { opacity: 0 !important }`) and put it
// under a decoy button: the user's real click on the decoy signed in. Now the list is an
// extension page in a fixed-size iframe; a click picks only when the browser says the frame was
// visible (Chromium: IntersectionObserver v2), else (Firefox) it only opens credwell's passkey
// chooser window, where the user picks.
import assert from 'node:assert/strict';
import { authenticationOptions, choosePasskey, registerPasskey, unlockVault, verifyAuthentication } from './webauthn.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** `promise`, or a failure naming `what` after `ms` (a call the harness does not trace). */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, no) => {
    timer = setTimeout(() => no(new Error(`${what} gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
// The list's frame: 280 × 172 px whatever it lists; the first account's row is 25..65 px down.
export const LIST_SIZE = { width: 280, height: 172 };
const FIRST_ACCOUNT = { dx: 30, dy: 45 };

/** A real (trusted) mouse click at page coordinates (x, y). */
export async function realClick(h, x, y) {
  if (h.browser === 'chromium') {
    await h.page.mouse.click(x, y);
    return;
  }
  await h.bidi.send('input.performActions', {
    context: h.page.context,
    actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: [
      { type: 'pointerMove', x: Math.round(x), y: Math.round(y) },
      { type: 'pointerDown', button: 0 },
      { type: 'pointerUp', button: 0 },
    ] }],
  });
  await h.bidi.send('input.releaseActions', { context: h.page.context }).catch(() => {});
}

/** Where the list is drawn now (null: not shown). */
const listBox = (h) =>
  h.page.evaluate(() => {
    const el = document.querySelector('credwell-autofill');
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });

/** Focuses the webauthn field and waits for the list (and its frame to load and be seen). */
export async function openList(h) {
  await h.page.evaluate(() => {
    document.getElementById('other').focus();
    document.getElementById('login').focus();
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    const box = await listBox(h);
    if (box) {
      // The frame loads, asks for its accounts, and must be seen for a while before a pick counts.
      await sleep(1500);
      return box;
    }
    if (Date.now() > deadline) assert.fail('no autofill list under the webauthn field within 30 s');
    await sleep(50);
  }
}

/** Starts a conditional get(); its outcome lands in window.outcome. */
async function startConditional(h) {
  const options = await authenticationOptions({ userVerification: 'discouraged' });
  await h.page.evaluate((json) => {
    window.outcome = null;
    navigator.credentials
      .get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) })
      .then((c) => { window.outcome = { json: c.toJSON() }; }, (e) => { window.outcome = { error: e.name }; });
  }, options);
  return options;
}

const outcome = (h) => h.page.evaluate(() => window.outcome);

async function waitOutcome(h, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const o = await outcome(h);
    if (o) return o;
    if (Date.now() > deadline) return null;
    await sleep(100);
  }
}

// Each trick makes the list invisible or covered while a real click still reaches it.
const TRICKS = [
  ['opacity: 0 on the list', 'credwell-autofill { opacity: 0 !important; }'],
  ['a near-transparent filter', 'credwell-autofill { filter: opacity(0.02) !important; }'],
  // Turned edge-on around the first account's row: a few pixels high, unreadable, still clickable.
  ['a 3D transform', 'credwell-autofill { transform-origin: 0 45px !important; transform: perspective(500px) rotateX(88deg) !important; }'],
  ['a clip that leaves only the click target', 'credwell-autofill { clip-path: inset(35px 200px 97px 20px) !important; }'],
  // Shrunk to a dot around the click target (IntersectionObserver v2 counts a 2D scale as visible).
  ['a scale that shrinks it to a dot', 'credwell-autofill { transform-origin: 30px 45px !important; transform: scale(0.04) !important; }'],
  // Zoomed out, it moves too: the click goes to the first account's row where it is drawn now.
  ['a zoom that shrinks it to a dot', 'credwell-autofill { zoom: 0.1 !important; }', 'scaled'],
  ['opacity 0.01 on the page around it', 'html { opacity: 0.01 !important; }'],
  ['a decoy drawn over it that lets the click through', null],
];

/** Adds (or removes, with null) the trick's style, or the decoy overlay over `box`. */
async function applyTrick(h, css, box) {
  await h.page.evaluate(({ css, box }) => {
    document.getElementById('trick')?.remove();
    if (css === undefined) return;
    if (css !== null) {
      const style = document.createElement('style');
      style.id = 'trick';
      style.textContent = css;
      document.head.append(style);
      return;
    }
    const decoy = document.createElement('button');
    decoy.id = 'trick';
    decoy.textContent = 'Claim your prize';
    decoy.style.cssText = `position: fixed; left: ${box.x}px; top: ${box.y}px; width: ${box.width}px; height: ${box.height}px; z-index: 2147483647; pointer-events: none; background: #fc0; font-size: 24px;`;
    // After the list in tree order, so that it paints over it at the same z-index.
    document.documentElement.append(decoy);
  }, { css, box });
}

export async function autofillClickjackingScenario(h) {
  await h.goto('/blank.html');
  await unlockVault(h);
  const { credential } = await registerPasskey(h, 'gus');
  await h.page.evaluate(() => {
    const other = document.createElement('input');
    other.id = 'other';
    const login = document.createElement('input');
    login.id = 'login';
    login.autocomplete = 'username webauthn';
    login.style.cssText = 'position: fixed; left: 20px; top: 20px;';
    other.style.cssText = 'position: fixed; left: 20px; top: 400px;';
    document.body.append(other, login);
  });

  let auth = await startConditional(h);
  let box = await openList(h);
  // The page learns nothing about the list: a fixed size, another origin's document.
  assert.deepEqual({ width: box.width, height: box.height }, LIST_SIZE, 'the list has the same size whatever it lists');
  const peek = await h.page.evaluate(() => {
    const el = document.querySelector('credwell-autofill');
    // Every child window the page can reach: the list's is another origin's (or not listed).
    const inside = [];
    for (let i = 0; i < window.frames.length; i++) {
      try {
        inside.push(window.frames[i].document.body.innerText);
      } catch (e) {
        inside.push(e.name);
      }
    }
    return { shadowRoot: el.shadowRoot === null, text: el.textContent, inside: inside.join(' ') };
  });
  assert.equal(peek.shadowRoot, true, 'a closed shadow root');
  assert.equal(peek.text, '');
  assert.ok(!/gus|GUS/.test(peek.inside), `the page read the list: ${peek.inside}`);

  for (const [what, css, at] of TRICKS) {
    await applyTrick(h, css, box);
    await sleep(500);
    let target = box;
    if (at === 'scaled') {
      const now = await listBox(h);
      const k = now.width / LIST_SIZE.width;
      assert.ok(k < 0.5, `${what}: the list was not shrunk (${now.width} px wide)`);
      target = { x: now.x + FIRST_ACCOUNT.dx * (k - 1), y: now.y + FIRST_ACCOUNT.dy * (k - 1) };
    }
    await realClick(h, target.x + FIRST_ACCOUNT.dx, target.y + FIRST_ACCOUNT.dy);
    await sleep(1500);
    assert.equal(await outcome(h), null, `${what}: the click signed in`);
    if (h.browser === 'firefox') {
      // No IntersectionObserver v2: the click only opened credwell's chooser, outside the page.
      // Closing it declines that pick; the conditional request goes on (it settles only by an
      // assertion or an abort) and is offered again.
      const chooser = await h.waitForUi('passkey-chooser');
      assert.equal(await outcome(h), null, `${what}: signed in before the chooser was answered`);
      await h.closeUiWindow(chooser);
      await sleep(1000);
      assert.equal(await outcome(h), null, `${what}: closing the chooser settled the request`);
      await applyTrick(h, undefined, box);
      box = await openList(h);
    } else {
      // The click reached the list, which refused it (and says so inside, out of the page's reach).
      const frame = h.page.frames().find((f) => f.url().includes('/src/autofill-frame.html'));
      const refused = await within(frame.evaluate(() => document.body.dataset.refused), 15_000, `${what}: the list's frame.evaluate()`);
      assert.equal(refused, '1', `${what}: the click did not reach the list`);
      assert.equal(await h.uiOpen('passkey-chooser'), false);
      await applyTrick(h, undefined, box);
      box = await openList(h);
    }
  }

  // The honest list, in plain view: the click signs in (in Firefox after the chooser).
  await applyTrick(h, undefined, box);
  await sleep(500);
  // The list counts a pick only once it has been seen visible for a while: on a loaded machine
  // a click can come before that and is (rightly) ignored, so click again while nothing settled.
  // (Firefox confirms in credwell's chooser instead: one click, one pick.)
  const firefox = h.browser === 'firefox';
  let done = null;
  for (let attempt = 1; !done && attempt <= (firefox ? 1 : 4); attempt++) {
    await realClick(h, box.x + FIRST_ACCOUNT.dx, box.y + FIRST_ACCOUNT.dy);
    if (firefox) await choosePasskey(h, 0);
    done = await waitOutcome(h, firefox ? 15_000 : 5_000);
  }
  assert.ok(done?.json, `the honest click did not sign in: ${JSON.stringify(done)}`);
  await verifyAuthentication(done.json, auth, h.origin, credential);
}
