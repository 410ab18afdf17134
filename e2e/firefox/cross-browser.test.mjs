// One vault, two browsers: a credential stored from Chromium is returned in Firefox (same page
// origin, same vault file, each browser starting its own host process).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBrowser as withChromium, startServer, getCredential } from '../lib/harness.mjs';
import { withBrowser as withFirefox } from '../lib/firefox.mjs';

test('a credential stored from Chromium is returned in Firefox from the same vault', { timeout: 180_000 }, async () => {
  const vaultDir = await mkdtemp(join(tmpdir(), 'credwell-xb-'));
  const server = await startServer();
  const env = { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: join(vaultDir, 'vault.sqlite'), CREDWELL_DANGER_INSECURE_KDF: '1' };
  try {
    await withChromium({ env, server }, async (h) => {
      await h.goto('/tutorial.html');
      assert.equal(await h.storePassword({ id: 'alice', password: 'pencil', name: 'Alice' }, { unlock: true }), 'undefined');
    });
    await withFirefox({ env, server }, async (h) => {
      await h.goto('/tutorial.html');
      const got = getCredential(h.page, { password: true, mediation: 'silent' });
      await h.unlock();
      assert.deepEqual(await got, {
        type: 'password',
        id: 'alice',
        name: 'Alice',
        iconURL: '',
        password: 'pencil',
        instanceOfInterface: true,
        instanceOfCredential: true,
      });
      // And back: what Firefox stores, Chromium returns.
      assert.equal(await h.storePassword({ id: 'bob', password: 'hunter2' }), 'undefined');
    });
    await withChromium({ env, server }, async (h) => {
      await h.goto('/tutorial.html');
      const got = getCredential(h.page, { password: true, mediation: 'required' });
      await h.unlock();
      const chooser = await h.waitForUi('chooser');
      assert.deepEqual((await h.uiTexts(chooser, 'button.account')).length, 2);
      await h.clickAndClose(chooser, 'button.account[data-id="bob"]');
      assert.equal((await got)?.password, 'hunter2');
    });
  } finally {
    await server.close();
    await rm(vaultDir, { recursive: true, force: true });
  }
});
