// Password credentials through the whole path: shim → relay → background → credwell-host, with
// the unlock page, the save/update prompt and the account chooser driven like a user would.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, getCredential, settle } from '../lib/harness.mjs';

const T = { timeout: 120_000 };

test('store → unlock page → save prompt → silent get returns the credential', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const stored = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'pencil', name: 'Alice' })));
    await h.unlock();
    const prompt = await h.waitForUi('prompt');
    await prompt.locator('#save').waitFor({ state: 'visible' });
    const text = await prompt.locator('main').innerText();
    assert.match(text, new RegExp(h.origin.replace(/[.:/]/g, '\\$&')), 'the prompt names the origin');
    assert.match(text, /Alice \(alice\)/);
    assert.doesNotMatch(text, /pencil/, 'the prompt never shows the password');
    await h.clickAndClose(prompt, '#save');
    assert.equal(await stored, undefined);
    const got = await getCredential(h.page, { password: true, mediation: 'silent' });
    assert.deepEqual(got, { type: 'password', id: 'alice', name: 'Alice', iconURL: '', password: 'pencil', instanceOfInterface: true, instanceOfCredential: true });
  }),
);

test('a wrong passphrase is shown on the unlock page; the right one then completes the call', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    // The ephemeral vault's passphrase is set by the first unlock; lock it again from the popup.
    assert.equal(await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true }), 'undefined');
    const popup = await h.ctx.newPage();
    await popup.goto(`chrome-extension://${new URL(h.worker.url()).host}/src/ui/popup.html`);
    await popup.click('#lock');
    await popup.locator('#status', { hasText: 'locked' }).waitFor();
    await popup.close();

    const got = getCredential(h.page, { password: true, mediation: 'silent' });
    const unlock = await h.waitForUi('unlock');
    await unlock.fill('#passphrase', 'wrong passphrase');
    await unlock.click('#unlock');
    await unlock.locator('#error', { hasText: 'Wrong passphrase' }).waitFor();
    assert.equal(await unlock.locator('#error').getAttribute('data-name'), 'WrongPassphrase');
    await unlock.fill('#passphrase', 'correct horse battery staple');
    await h.clickAndClose(unlock, '#unlock');
    assert.equal((await got)?.id, 'alice');
  }),
);

test('with two credentials an optional get shows the chooser; the picked account is returned', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil', name: 'Alice' }, { unlock: true });
    await h.storePassword({ id: 'bob', password: 'hunter2', name: 'Bob' });
    const got = getCredential(h.page, { password: true });
    const chooser = await h.waitForUi('chooser');
    await chooser.locator('button.account').first().waitFor();
    assert.equal(await chooser.locator('#origin').innerText(), h.origin, 'the requesting origin is shown');
    const accounts = await chooser.locator('button.account').allInnerTexts();
    assert.equal(accounts.length, 2);
    assert.ok(accounts.some((a) => a.includes('Bob') && a.includes('bob')));
    assert.ok(!(await chooser.content()).includes('hunter2'), 'no password in the chooser');
    // Keyboard: the first account has focus; pick Bob with the keyboard.
    await chooser.locator('button.account[data-id="bob"]').focus();
    await h.closing(chooser, () => chooser.keyboard.press('Enter'));
    const c = await got;
    assert.equal(c.id, 'bob');
    assert.equal(c.password, 'hunter2');
  }),
);

test("mediation 'required' always asks, even when a silent get would hand the credential over", T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    const got = getCredential(h.page, { password: true, mediation: 'required' });
    const chooser = await h.waitForUi('chooser');
    await h.clickAndClose(chooser, 'button.account');
    assert.equal((await got).id, 'alice');
    // Cancel in the chooser resolves null.
    const declined = getCredential(h.page, { password: true, mediation: 'required' });
    const chooser2 = await h.waitForUi('chooser');
    await h.clickAndClose(chooser2, '#cancel');
    assert.equal(await declined, null);
  }),
);

test('preventSilentAccess() then silent get → null; an optional get asks', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'alice');
    const psa = await settle(h.page, () => navigator.credentials.preventSilentAccess());
    assert.deepEqual(psa, { ok: true, value: '<undefined>' });
    assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null);
    const got = getCredential(h.page, { password: true });
    const chooser = await h.waitForUi('chooser');
    await h.clickAndClose(chooser, 'button.account');
    assert.equal((await got).id, 'alice');
    // Choosing is user mediation: silent access works again.
    assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'alice');
  }),
);

test('storing a new password for a saved id asks to update it', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    // "Not now" keeps the old password.
    const kept = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'crayon' })));
    const text = await h.answerPrompt('keep');
    assert.match(text, /Update the saved password/);
    assert.doesNotMatch(text, /crayon|pencil/);
    await kept;
    assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' })).password, 'pencil');
    // Update replaces it.
    const updated = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'alice', password: 'crayon' })));
    await h.answerPrompt('update');
    await updated;
    assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' })).password, 'crayon');
  }),
);

test("'Never for this site' stops the prompts for that origin", T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    assert.equal(await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true, answer: 'never' }), 'undefined');
    // No prompt this time: the store resolves by itself.
    assert.equal(await h.storePassword({ id: 'bob', password: 'x' }, { answer: null }), 'undefined');
    assert.equal(h.uiOpen('prompt'), false);
    assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null);
  }),
);

test('closing the unlock window declines: get resolves null, store resolves undefined', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const got = getCredential(h.page, { password: true });
    const unlock = await h.waitForUi('unlock');
    await unlock.close();
    assert.equal(await got, null);
    // The host asks only once per locked period; the extension opens the page again itself.
    const stored = h.page.evaluate(() => navigator.credentials.store(new PasswordCredential({ id: 'a', password: 'b' })).then(String));
    await h.unlock();
    await h.answerPrompt('save');
    assert.equal(await stored, 'undefined');
  }),
);

test('closing the tab or navigating away cancels the request and closes its chooser', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    await h.storePassword({ id: 'bob', password: 'x' });
    // Navigation.
    h.page.evaluate(() => { navigator.credentials.get({ password: true }); });
    const chooser = await h.waitForUi('chooser');
    const closed = chooser.waitForEvent('close');
    await h.page.goto(`${h.origin}/blank.html?next`);
    await closed;
    // Tab close.
    const tab = await h.ctx.newPage();
    await tab.goto(`${h.origin}/blank.html`);
    tab.evaluate(() => { navigator.credentials.get({ password: true }); }).catch(() => {});
    const chooser2 = await h.waitForUi('chooser');
    const closed2 = chooser2.waitForEvent('close');
    await tab.close();
    await closed2;
    // The document's requests are gone: it can ask again at once.
    const got = getCredential(h.page, { password: true });
    const chooser3 = await h.waitForUi('chooser');
    await h.clickAndClose(chooser3, 'button.account[data-id="alice"]');
    assert.equal((await got).id, 'alice');
  }),
);
