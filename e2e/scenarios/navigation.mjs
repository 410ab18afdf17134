// A save outlives the page that asked for it, in both browsers: a store() whose document
// navigates away (in the same turn, or on the next task) still shows its prompt and saves on
// Save; its other calls (a get()) still end; a closed tab ends it; one such save per tab.
// Run by tests/navigation.test.mjs (Chromium) and firefox/navigation.test.mjs (Firefox ESR),
// over the driver-neutral surface of scenarios/core.mjs.
import assert from 'node:assert/strict';
import { getCredential } from '../lib/harness.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Waits until `frame`'s document is the one at `search` (?after...): the navigation committed. */
async function arrived(frame, search) {
  for (let i = 0; i < 200; i++) {
    const now = await frame.evaluate(() => location.search).catch(() => null);
    if (now === search) return;
    await sleep(50);
  }
  throw new Error(`the page never reached ${search}`);
}

/**
 * In `frame`: store() each password credential, not waiting, and navigate to `search` in the
 * same turn (`nextTask` false) or on the next task (setTimeout 0), as published sign-in pages do.
 */
function storeAndLeave(frame, credentials, search, nextTask = false) {
  return frame.evaluate(
    ({ credentials, search, nextTask }) => {
      for (const c of credentials) navigator.credentials.store(new PasswordCredential(c));
      const leave = () => {
        location.href = `/blank.html${search}`;
      };
      if (nextTask) setTimeout(leave, 0);
      else leave();
    },
    { credentials, search, nextTask },
  );
}

/**
 * Wakes the background with a call from another tab that it answers itself (a method it does not
 * know: NotSupportedError), so that the next page's first message finds it running.
 */
async function wakeBackground(h) {
  const tab = await h.newTab(`${h.origin}/blank.html`);
  await tab.evaluate(
    () =>
      new Promise((ok) => {
        document.addEventListener('credwell-response', () => ok(), { once: true });
        const detail = JSON.stringify({ t: 'call', rid: 1, method: 'credwell.wake', params: {} });
        document.dispatchEvent(new CustomEvent('credwell-request', { detail }));
      }),
  );
  await h.closeTab(tab);
}

/** The ids the password chooser of a get() offers, then the chooser cancelled. */
async function offeredIds(h) {
  const got = getCredential(h.page, { password: true });
  const chooser = await h.waitForUi('chooser');
  await h.uiWait(chooser, 'button.account');
  const ids = await h.uiTexts(chooser, 'button.account');
  await h.clickAndClose(chooser, '#cancel');
  assert.equal(await got, null);
  return ids;
}

export const scenarios = [
  {
    name: 'a store() whose page navigates in the same turn still prompts, and Save saves it',
    // The background is awake here (woken by another tab's call): a page without a sign-in
    // field, whose store() comes without any user input while the worker sleeps, is Chromium's
    // limit (docs/architecture.md, "A save outlives its page"); the sleeping case with a sign-in
    // form is the next scenario.
    async run(h) {
      await wakeBackground(h);
      await h.goto('/blank.html');
      await storeAndLeave(h.page, [{ id: 'alice', password: 'pencil', name: 'Alice' }], '?after');
      await arrived(h.page, '?after');
      // The vault was locked: the unlock page, then the save prompt, as for a page that stayed.
      await h.unlock();
      assert.match(await h.answerPrompt('save'), /alice/);
      const got = await getCredential(h.page, { password: true, mediation: 'silent' });
      assert.deepEqual({ id: got?.id, password: got?.password }, { id: 'alice', password: 'pencil' });
    },
  },
  {
    name: 'a sign-in form that stores and navigates in the same turn while the background sleeps still prompts',
    // Chromium drops a message whose document is gone before the sleeping service worker has
    // started; credwell wakes it when the user focuses or types into a sign-in field, ahead of
    // the submission (src/content/isolated.js). Stopping the worker and seeing it run need CDP.
    // A person takes longer to type a user name and a password than the worker takes to start;
    // this test types at machine speed, so it checks that the focus alone woke the worker
    // before it types, rather than race the worker's start.
    only: ['chromium'],
    async run(h) {
      await h.goto('/signin-leave.html');
      await h.stopBackground();
      await h.page.click('#username');
      await h.backgroundRunning();
      await h.page.keyboard.type('alice');
      await h.page.click('#password');
      await h.page.keyboard.type('pencil');
      await h.page.keyboard.press('Enter');
      await arrived(h.page, '?after');
      await h.unlock();
      assert.match(await h.answerPrompt('save'), /alice/);
      const got = await getCredential(h.page, { password: true, mediation: 'silent' });
      assert.deepEqual({ id: got?.id, password: got?.password }, { id: 'alice', password: 'pencil' });
    },
  },
  {
    name: "a store() whose page navigates on the next task prompts once the frame's get() ends",
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'bob', password: 'x' }, { unlock: true });
      // A get() in the page's iframe holds the tab's prompt turn (its chooser); the page's
      // store() waits behind it. (In the same document, a get() pending would make the store()
      // NotAllowedError: one request per credential type and settings object.)
      const frame = await h.addFrame({ src: '/blank.html' });
      await frame.evaluate(() => {
        navigator.credentials.get({ password: true, mediation: 'required' });
      });
      const chooser = await h.waitForUi('chooser');
      await storeAndLeave(h.page, [{ id: 'alice', password: 'pencil' }], '?after', true);
      await arrived(h.page, '?after');
      // The get() ended with the document that held its frame; the save did not.
      await h.waitUiClosed(chooser);
      assert.match(await h.answerPrompt('save'), /alice/);
      const got = getCredential(h.page, { password: true });
      const next = await h.waitForUi('chooser');
      await h.uiWait(next, 'button.account[data-id="alice"]');
      await h.clickAndClose(next, 'button.account[data-id="alice"]');
      assert.deepEqual(await got.then((c) => [c?.id, c?.password]), ['alice', 'pencil']);
    },
  },
  {
    name: 'a closed tab ends its outliving save; a tab keeps one outliving save, not more',
    async run(h) {
      await h.goto('/blank.html');
      await h.storePassword({ id: 'bob', password: 'x' }, { unlock: true });
      // Tab close: the prompt closes, nothing is saved.
      const tab = await h.newTab(`${h.origin}/blank.html`);
      await storeAndLeave(tab, [{ id: 'carol', password: 'c' }], '?after');
      const prompt = await h.waitForUi('prompt');
      await h.closeTab(tab);
      await h.waitUiClosed(prompt);
      // Two saves leaving with their document: the first outlives it, the second ends. The next
      // document's save, leaving while the first still waits for the user, ends too.
      await storeAndLeave(h.page, [{ id: 'dave', password: 'd' }, { id: 'erin', password: 'e' }], '?one');
      await arrived(h.page, '?one');
      const first = await h.waitForUi('prompt');
      await h.uiWait(first, '#save');
      assert.match(await h.uiText(first, 'main'), /dave/);
      await storeAndLeave(h.page, [{ id: 'frank', password: 'f' }], '?two');
      await arrived(h.page, '?two');
      await h.clickAndClose(first, '#save');
      // Had erin's or frank's save been kept, its prompt would follow at once.
      await sleep(1500);
      assert.equal(await h.uiOpen('prompt'), false);
      const ids = (await offeredIds(h)).join('\n');
      for (const id of ['bob', 'dave']) assert.match(ids, new RegExp(id));
      for (const id of ['carol', 'erin', 'frank']) assert.doesNotMatch(ids, new RegExp(id));
    },
  },
];
