// The manager page: lists saved sign-ins without passwords, searches, deletes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, getCredential } from '../lib/harness.mjs';

const T = { timeout: 120_000 };

test('the manager page lists, searches and deletes saved sign-ins, never showing passwords', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil', name: 'Alice' }, { unlock: true });
    await h.storePassword({ id: 'bob', password: 'hunter2', name: 'Bob' });
    const manager = await h.ctx.newPage();
    await manager.goto(`chrome-extension://${new URL(h.worker.url()).host}/src/ui/manager.html`);
    await manager.locator('#list tbody tr').nth(1).waitFor();
    const text = await manager.locator('main').innerText();
    assert.match(text, /Alice \(alice\)/);
    assert.match(text, /Bob \(bob\)/);
    assert.ok(text.includes(h.origin), 'rows name their site');
    assert.doesNotMatch(text, /pencil|hunter2/, 'no password on the page');

    await manager.fill('#search', 'BOB');
    await manager.locator('#status', { hasText: '1 saved sign-in.' }).waitFor();
    assert.equal(await manager.locator('#list tbody tr').count(), 1);

    manager.once('dialog', (dialog) => dialog.accept());
    await manager.click('#list tbody tr button.delete');
    await manager.locator('#status', { hasText: 'Nothing matches.' }).waitFor();
    await manager.fill('#search', '');
    await manager.locator('#status', { hasText: '1 saved sign-in.' }).waitFor();
    await manager.close();

    // Only alice is left: an optional get would now sign in without a chooser if the flag were
    // clear; a required get shows exactly one account.
    const got = getCredential(h.page, { password: true, mediation: 'required' });
    const chooser = await h.waitForUi('chooser');
    await chooser.locator('button.account').first().waitFor();
    assert.equal(await chooser.locator('button.account').count(), 1);
    await h.clickAndClose(chooser, 'button.account');
    assert.equal((await got)?.id, 'alice');
  }),
);
