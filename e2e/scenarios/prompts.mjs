// credwell's windows and settings under attack from pages (docs/architecture.md, threat model), in
// both browsers: input rushed into a window as it opens, many prompts at once from one tab, the
// unlock window raised again and again after the user closed it; page text in credwell's windows
// and the verify prompt raised again after a cancel; settings written where content scripts can
// write.
import assert from 'node:assert/strict';
import { getCredential, PASSPHRASE, settle } from '../lib/harness.mjs';
import { WIRE } from '../../extension/src/wire.js';
import { choosePasskey, unlockVault } from '../lib/webauthn.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// In a credwell window: it loses the focus and gets it back (as when the page raises it again, or
// the user switches back to it), and at that very moment a click on `selector`, an Escape and a
// form submission arrive (the click or keystroke the user meant for the page). Returns the
// window's data-armed at that moment.
const RUSH = (selector) => {
  window.dispatchEvent(new FocusEvent('blur'));
  window.dispatchEvent(new FocusEvent('focus'));
  window.rushedAt = performance.now();
  const armed = document.documentElement.dataset.armed;
  document.querySelector(selector).click();
  for (const type of ['keydown', 'keyup']) {
    (document.activeElement ?? document.body).dispatchEvent(new KeyboardEvent(type, { key: 'Escape', code: 'Escape', bubbles: true }));
  }
  const form = document.querySelector('form');
  if (form) {
    document.getElementById('passphrase').value = 'what the user typed for the page';
    form.requestSubmit();
  }
  return armed;
};

// Milliseconds from the RUSH until the window took input again.
const ARMED_AFTER_RUSH = () =>
  new Promise((ok) => {
    const check = () => (document.documentElement.dataset.armed === 'true' ? ok(performance.now() - window.rushedAt) : setTimeout(check, 5));
    check();
  });

// What has the keyboard focus in a credwell window.
const FOCUSED = () => {
  const el = document.activeElement;
  return el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${el.className}` : ''}` : 'none';
};

/** Whether `promise` is still pending after `ms`. */
async function pending(promise, ms = 300) {
  return Promise.race([promise.then(() => false, () => false), sleep(ms).then(() => true)]);
}

/**
 * The attack on one window: its focus is not on a confirming control; input rushed in as it
 * (re)gains the focus is ignored (the window stays, `call` stays pending); it takes input only
 * 500 ms later; a real Enter on its default focus confirms nothing.
 */
async function assertGuarded(h, ui, { confirm, call, focus }) {
  assert.match(await ui.evaluate(FOCUSED), focus, 'the default focus');
  const armed = await ui.evaluate(RUSH, confirm);
  assert.equal(await pending(call), true, 'the rushed click / Escape / submit answered nothing');
  assert.equal(await h.uiClosed(ui), false);
  assert.equal(armed, 'false', 'not armed right after regaining the focus');
  const after = await ui.evaluate(ARMED_AFTER_RUSH);
  assert.ok(after >= 450, `armed ${after} ms after regaining the focus`);
  if (!/passphrase/.test(focus)) {
    // A real Enter on what has the focus by default (the user typing on in the page).
    await h.uiKey(ui, 'Enter');
    assert.equal(await pending(call), true, 'Enter on the default focus answered nothing');
    assert.equal(await h.uiClosed(ui), false);
  }
}

export const scenarios = [
  {
    name: 'credwell windows ignore input until shown and focused for 500 ms (again after regaining the focus); no confirming control has the focus',
    async run(h) {
      await h.goto('/blank.html');
      const stored = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'pencil', name: 'Alice' })).then(String));
      stored.catch(() => {});
      // The unlock window.
      const unlock = await h.waitForUi('unlock');
      await assertGuarded(h, unlock, { confirm: '#unlock', call: stored, focus: /^input#passphrase/ });
      await h.uiFill(unlock, '#passphrase', PASSPHRASE);
      await h.clickAndClose(unlock, '#unlock');
      // The save prompt.
      const save = await h.waitForUi('prompt');
      await h.uiWait(save, '#save');
      await assertGuarded(h, save, { confirm: '#save', call: stored, focus: /^main/ });
      await h.clickAndClose(save, '#save');
      assert.equal(await stored, 'undefined');
      await h.storePassword({ id: 'bob', password: 'hunter2', name: 'Bob' });
      // The chooser.
      const got = getCredential(h.page, { password: true, mediation: 'required' });
      got.catch(() => {});
      const chooser = await h.waitForUi('chooser');
      await h.uiWait(chooser, 'button.account');
      await assertGuarded(h, chooser, { confirm: 'button.account', call: got, focus: /^main/ });
      await h.clickAndClose(chooser, 'button.account[data-id="bob"]');
      assert.equal((await got)?.id, 'bob');
    },
  },
  {
    name: 'one prompt per tab: eight iframes asking at once get one chooser at a time; aborted requests settle with AbortError and never show theirs',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
      // The page, on its own: eight same-origin iframes, each asking for a credential.
      await h.gotoRun(`
        out.results = [];
        window.controllers = [];
        for (let i = 0; i < 8; i++) {
          const f = document.createElement('iframe');
          f.src = '/blank.html?' + i;
          f.onload = () => {
            const c = new AbortController();
            controllers[i] = c;
            out.results[i] = 'pending';
            f.contentWindow.navigator.credentials
              .get({ password: true, mediation: 'required', signal: c.signal })
              .then((v) => { out.results[i] = v === null ? null : v.id; }, (e) => { out.results[i] = e.name; });
          };
          document.body.append(f);
        }
      `);
      const first = await h.waitForUi('chooser');
      await sleep(1500);
      assert.equal(await h.uiCount('chooser'), 1, 'one chooser at a time in a tab');
      await h.clickAndClose(first, '#cancel');
      const second = await h.waitForUi('chooser');
      await sleep(500);
      assert.equal(await h.uiCount('chooser'), 1, 'the next request had its turn, alone');
      await h.page.evaluate(() => {
        for (const c of window.controllers) c.abort();
      });
      await h.waitUiClosed(second);
      for (let i = 0; ; i++) {
        const results = await h.page.evaluate(() => out.results);
        if (!results.includes('pending')) {
          assert.deepEqual(results.filter((r) => r === null).length, 1, JSON.stringify(results));
          assert.deepEqual(results.filter((r) => r === 'AbortError').length, 7, JSON.stringify(results));
          break;
        }
        if (i > 200) throw new Error(`calls still pending: ${JSON.stringify(results)}`);
        await sleep(50);
      }
      await sleep(500);
      assert.equal(await h.uiCount('chooser'), 0, 'no chooser of an aborted request shows');
    },
  },
  {
    name: "after the user closes the unlock window, page calls settle at once as declined and do not reopen it; a gesture or the popup's Unlock does",
    async run(h) {
      await h.goto('/blank.html');
      const got = getCredential(h.page, { password: true });
      await h.closeUiWindow(await h.waitForUi('unlock'));
      assert.equal(await got, null);
      // The page, on its own (no gesture), calls again and again.
      await h.gotoRun(`
        out.activation = navigator.userActivation ? navigator.userActivation.isActive : false;
        const calls = {
          store: () => navigator.credentials.store(new PasswordCredential({ id: 'a', password: 'b' })).then(String),
          get: () => navigator.credentials.get({ password: true }),
          silent: () => navigator.credentials.get({ password: true, mediation: 'silent' }),
          preventSilentAccess: () => navigator.credentials.preventSilentAccess().then(String),
          passkey: () => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(16) } }).then(String),
        };
        // One after the other (a document has one password request at a time); then the URL
        // says so. (The test waits on the URL: an evaluate in Chromium would give the page a
        // gesture for its next call.)
        out.results = {};
        (async () => {
          for (const [name, call] of Object.entries(calls)) {
            out.results[name] = await call().catch((e) => e.name);
          }
          history.replaceState(null, '', '#done');
        })();
      `);
      for (let i = 0; !(await h.page.url()).endsWith('#done'); i++) {
        assert.equal(await h.uiOpen('unlock'), false, 'the unlock window stays closed');
        if (i > 100) throw new Error('the calls did not settle at once');
        await sleep(100);
      }
      assert.equal(await h.uiOpen('unlock'), false, 'the unlock window stays closed');
      const { activation, results } = await h.page.evaluate(() => out);
      assert.equal(activation, false, 'the calls were made without a gesture');
      assert.deepEqual(results, { store: 'undefined', get: null, silent: null, preventSilentAccess: 'undefined', passkey: 'NotAllowedError' });
      // The user acts in the page: its call may ask again.
      const asked = h.withGesture(h.page, () => navigator.credentials.get({ password: true }).then(String));
      await h.closeUiWindow(await h.waitForUi('unlock'));
      assert.equal(await asked, 'null');
      // Declined again; the popup's Unlock button brings the window back.
      const popup = await h.openExtensionPage('src/ui/popup.html');
      await h.uiClick(popup, '#unlock');
      await h.unlock();
      await h.closeTab(popup);
      assert.equal((await h.hostStatus()).locked, false);
    },
  },
  {
    name: "settings live where content scripts cannot write them: storage.local's storeConsent and benchEcho change nothing; the options page does",
    async run(h) {
      await h.goto('/blank.html');
      // What a compromised renderer can do with credwell's content-script powers.
      assert.equal(await h.contentScriptEval(() => chrome.storage.local.set({ storeConsent: 'always', benchEcho: true }).then(() => 'written')), 'written');
      const stored = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'pencil' })).then(String));
      await h.unlock();
      const prompt = await Promise.race([h.waitForUi('prompt'), stored.then(() => null)]);
      assert.ok(prompt, 'store() still asks (it was saved without asking)');
      await h.uiWait(prompt, '#dismiss');
      await h.clickAndClose(prompt, '#dismiss');
      assert.equal(await stored, 'undefined');
      assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null, 'nothing was saved');
      const echo = await h.page.evaluate(
        ({ events, message }) =>
          new Promise((ok) => {
            document.addEventListener(events.response, (e) => ok(JSON.parse(e.detail)), { once: true });
            document.dispatchEvent(new CustomEvent(events.request, { detail: JSON.stringify(message) }));
          }),
        { events: WIRE.events, message: WIRE.call(1, 'credwell.echo', {}) },
      );
      assert.equal(echo.error?.name, 'NotSupportedError', 'the bench echo stays off');
      // The options page (an extension page) changes it.
      const options = await h.openExtensionPage('src/ui/options.html');
      await h.uiWait(options, '#consent');
      await options.evaluate(() => {
        const select = document.getElementById('consent');
        select.value = 'always';
        select.dispatchEvent(new Event('change'));
      });
      for (let i = 0; (await options.evaluate(() => document.getElementById('saved').textContent)) !== 'Saved.'; i++) {
        if (i > 200) throw new Error('the options page did not save');
        await sleep(50);
      }
      await h.closeTab(options);
      assert.equal(await h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'bob', password: 'hunter2' })).then(String)), 'undefined');
      assert.equal(await h.uiOpen('prompt'), false);
      assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'bob', 'saved without asking');
    },
  },
  {
    name: "page text in credwell's windows is cut to 64 characters and set apart as the site's; after a cancelled verify prompt the origin's next one is refused",
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      // In a credwell window: each site-text element's text as grapheme clusters, and whether it
      // sits in the box labelled "The site says".
      const SITE_TEXTS = () =>
        [...document.querySelectorAll('.site-text')]
          .filter((el) => !el.hidden)
          .map((el) => ({
            id: el.id,
            graphemes: [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(el.textContent)].map((s) => s.segment),
            boxed: el.closest('.site-says')?.querySelector('.site-says-label')?.textContent ?? null,
          }));
      const assertCut = (shown, id, unit) => {
        const t = shown.find((s) => s.id === id);
        assert.ok(t, `${id} is shown as the site's text`);
        assert.equal(t.graphemes.length, 64, `${id}: 64 characters`);
        assert.equal(t.graphemes[63], '…', `${id} ends with an ellipsis`);
        for (const g of t.graphemes.slice(0, 63)) assert.equal(g, unit, `${id}: cut between whole characters`);
        assert.equal(t.boxed, 'The site says', `${id} is in the box labelled "The site says"`);
      };
      const FAMILY = '👨‍👩‍👧'; // one character, five code points
      // The save prompt: a 1000-character id and name (the host refuses more than 1 KiB each).
      const stored = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'i'.repeat(1000), password: 'p', name: `\u202e${'n'.repeat(1000)}` })).then(String));
      stored.catch(() => {});
      const save = await h.waitForUi('prompt');
      await h.uiWait(save, '#save');
      const inSave = await save.evaluate(SITE_TEXTS);
      assertCut(inSave, 'account', 'i');
      assertCut(inSave, 'name', 'n');
      await h.clickAndClose(save, '#dismiss');
      assert.equal(await stored, 'undefined');

      // The passkey consent: RP name, user name and display name of thousands of characters.
      const created = settle(
        h.page,
        async (o) => {
          const c = await navigator.credentials.create({
            publicKey: {
              rp: { id: 'localhost', name: o.rpName },
              user: { id: new Uint8Array([1, 2, 3, 4]), name: o.name, displayName: o.displayName },
              challenge: new Uint8Array(32),
              pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
              authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
            },
          });
          return c.type;
        },
        { rpName: FAMILY.repeat(1000), name: `${'u'.repeat(2000)}\n`, displayName: 'd'.repeat(2000) },
      );
      const consent = await h.waitForUi('passkey-create');
      await h.uiWait(consent, '#account:not(:empty)');
      const inConsent = await consent.evaluate(SITE_TEXTS);
      assertCut(inConsent, 'rp-name', FAMILY);
      assertCut(inConsent, 'account', 'u');
      assertCut(inConsent, 'display-name', 'd');
      await h.clickAndClose(consent, '#create');
      assert.equal((await created).value, 'public-key');

      // Sign-in with user verification: the chooser and the verify prompt cut them too.
      const signIn = () => settle(h.page, () => navigator.credentials.get({ publicKey: { challenge: new Uint8Array(32), rpId: 'localhost', userVerification: 'required' } }).then((c) => c.type));
      const first = signIn();
      const chooser = await h.waitForUi('passkey-chooser');
      await h.uiWait(chooser, '#accounts button');
      for (const t of await chooser.evaluate(SITE_TEXTS)) assert.ok(t.graphemes.length <= 64, `chooser: ${t.graphemes.length} characters`);
      await h.clickAndClose(chooser, '#accounts button[data-index="0"]');
      const verify = await h.waitForUi('passkey-verify');
      await h.uiWait(verify, '#purpose:not(:empty)');
      assertCut(await verify.evaluate(SITE_TEXTS), 'account', 'u');
      await h.clickAndClose(verify, '#cancel');
      assert.equal((await first).name, 'NotAllowedError');

      // The user cancelled: the origin's next verify prompt is refused, without a window.
      const second = signIn();
      await choosePasskey(h, 0);
      const shown = h.waitForUi('passkey-verify', 5000).then(() => 'the verify prompt opened', () => 'none');
      const outcome = await Promise.race([second.then((r) => r.name), shown]);
      assert.equal(outcome, 'NotAllowedError');
      assert.equal(await h.uiOpen('passkey-verify'), false);
    },
  },
];
