// One vault, two browsers: a credential stored from Chromium is returned in Firefox, and a passkey
// registered in Chromium signs in from Firefox (same page origin, same vault file, each browser
// starting its own host process).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBrowser as withChromium, startServer, getCredential } from '../lib/harness.mjs';
import { withBrowser as withFirefox } from '../lib/firefox.mjs';
import { GET, authenticationOptions, choosePasskey, registerPasskey, unlockVault, verifyAuthentication, verifyUser } from '../lib/webauthn.mjs';

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

test('a passkey registered in Chromium signs in from Firefox with the same vault file', { timeout: 180_000 }, async () => {
  const vaultDir = await mkdtemp(join(tmpdir(), 'credwell-xb-pk-'));
  const server = await startServer();
  const env = { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: join(vaultDir, 'vault.sqlite'), CREDWELL_DANGER_INSECURE_KDF: '1' };
  try {
    // Same server, so the same origin (http://localhost:<port>) in both browsers.
    let registered;
    await withChromium({ env, server }, async (h) => {
      await h.goto('/blank.html');
      await unlockVault(h);
      registered = await registerPasskey(h, 'carol');
    });
    await withFirefox({ env, server }, async (h) => {
      await h.goto('/blank.html');
      await unlockVault(h);
      const options = await authenticationOptions({ allow: [registered.credential.id], userVerification: 'required' });
      const getting = h.page.evaluate(GET, options);
      getting.catch(() => {});
      const accounts = await choosePasskey(h, 0);
      assert.equal(accounts.length, 1, 'the passkey Chromium registered is offered');
      assert.match(accounts[0], /CAROL/);
      await verifyUser(h);
      const got = await getting;
      assert.equal(got.id, registered.credential.id);
      assert.equal(got.userHandle, registered.userId);
      assert.equal(got.attachment, 'platform');
      const info = await verifyAuthentication(got.json, options, h.origin, registered.credential, { requireUserVerification: true });
      assert.equal(info.userVerified, true);
    });
  } finally {
    await server.close();
    await rm(vaultDir, { recursive: true, force: true });
  }
});
