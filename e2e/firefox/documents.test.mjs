// Document identity in Firefox, which gives the extension no document ids: a document that
// replaces another in the same frame (a navigation) must not take over the old document's
// requests, offers or budgets. The background keys each document by its own port there
// (src/background/documents.js docKeyOf); before, by tab and frame id, so the new document was
// the old one.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, addFrame } from '../lib/firefox.mjs';
import { answerCreate, authenticationOptions, registrationOptions, unlockVault, CREATE } from '../lib/webauthn.mjs';

const T = { timeout: 240_000 };
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function waitFor(what, fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

// The new document calls at once as it loads (run.html runs its fragment): its first request has
// the same request id as the old document's pending one.
const CALL_AT_ONCE = `navigator.credentials.get({ password: true }).then(
  (c) => { window.out.r = String(c); },
  (e) => { window.out.r = e.name + ': ' + e.message; });`;

test('firefox documents: a navigation in the same frame starts a new document: its calls are its own, the old one\'s request ends', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    await h.storePassword({ id: 'bob', password: 'x' });
    for (let round = 0; round < 4; round++) {
      // The old document: a request waiting in the chooser.
      await h.goto(`/blank.html?round=${round}`);
      await h.page.evaluate(() => {
        navigator.credentials.get({ password: true });
        // The old document takes its time to go: the new one, in another process, starts
        // meanwhile.
        addEventListener('unload', () => {
          const end = Date.now() + 2000;
          while (Date.now() < end);
        });
      });
      const chooser = await h.waitForUi('chooser');
      // Same tab, same (top) frame, another origin in another process: the new document calls
      // at once, maybe before the old one's end reached the background.
      await h.gotoRun(CALL_AT_ONCE, h.crossOrigin);
      const r = await waitFor('the new document\'s call', () => h.page.evaluate(() => window.out.r));
      assert.equal(r, 'null', `round ${round}: the new document's call was taken for the old one's`);
      await h.waitUiClosed(chooser);
    }
  }));

test('firefox documents: the old document\'s passkey offer does not appear in the document that replaced it in its frame', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await unlockVault(h);
    const options = await registrationOptions('ida', { userVerification: 'discouraged' });
    const creating = h.page.evaluate(CREATE, options);
    creating.catch(() => {});
    await answerCreate(h);
    await creating;
    const auth = await authenticationOptions({ userVerification: 'discouraged' });
    const addField = () => {
      const input = document.createElement('input');
      input.id = 'login';
      input.autocomplete = 'username webauthn';
      document.body.append(input);
      input.focus();
    };
    const listShown = () => document.querySelector('credwell-autofill') !== null;
    const frame = await addFrame(h, { src: `${h.origin}/blank.html?old` });
    // The old document: a conditional get() offered under its field.
    await frame.evaluate(addField);
    await frame.evaluate((json) => {
      navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
    }, auth);
    await waitFor('the old document\'s list', async () => ((await frame.evaluate(listShown)) ? true : null));
    // The frame navigates; the new document has a field of its own and no request.
    await frame.evaluate(() => {
      location.href = `${location.origin}/blank.html?new`;
    });
    const { contexts } = await h.bidi.send('browsingContext.getTree', { root: h.page.context });
    const child = contexts[0].children[0].context;
    await waitFor('the new document', async () => {
      const { contexts: now } = await h.bidi.send('browsingContext.getTree', { root: child });
      return now[0].url.endsWith('?new') ? true : null;
    });
    const next = new (frame.constructor)(h.bidi, child);
    await waitFor('the new document loaded', async () => ((await next.evaluate(() => document.readyState)) === 'complete' ? true : null));
    await next.evaluate(addField);
    await sleep(2000);
    assert.equal(await next.evaluate(listShown), false, 'the old document\'s offer showed in the new one');
    // Its own conditional get() is offered to it.
    await next.evaluate((json) => {
      navigator.credentials.get({ mediation: 'conditional', publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
    }, auth);
    await next.evaluate(() => {
      document.body.focus();
      document.getElementById('login').blur();
      document.getElementById('login').focus();
    });
    await waitFor('the new document\'s own list', async () => ((await next.evaluate(listShown)) ? true : null));
  }));
