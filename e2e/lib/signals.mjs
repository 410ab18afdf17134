// Signals hide passkeys, never delete them, for both browsers (e2e/tests/passkeys.test.mjs,
// e2e/firefox/passkeys.test.mjs).
//
// The attack: signalUnknownCredential / signalAllAcceptedCredentials need no user action and
// any origin the RP ID accepts (the RP's related origins too) may send them; one that knew a
// user handle or a credential id wiped that user's passkeys for good. Now a signal hides them:
// no page is offered them, the manager shows them with Restore and Purge.
import assert from 'node:assert/strict';
import { settle } from './harness.mjs';
import { GET, RP_ID, authenticationOptions, choosePasskey, registerPasskey, unlockVault, verifyAuthentication } from './webauthn.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** get() naming only `id`: its name, or 'ok' once signed in (and verified). */
async function signIn(h, id, credential) {
  const options = await authenticationOptions({ allow: [id], userVerification: 'discouraged' });
  const getting = settle(h.page, GET, options);
  // A hidden passkey is never offered: no chooser; else the chooser offers it.
  const outcome = await Promise.race([getting, sleep(3000).then(() => 'waiting')]);
  if (outcome !== 'waiting') return outcome.ok ? 'ok' : outcome.name;
  await choosePasskey(h, 0);
  const got = await getting;
  assert.ok(got.ok, JSON.stringify(got));
  await verifyAuthentication(got.value.json, options, h.origin, credential);
  return 'ok';
}

/** The manager's row for credential `id`, once shown: {hidden, text, buttons}. */
export async function managerRow(h, manager, id) {
  const selector = `#list tbody tr[data-credential-id="${id}"]`;
  await h.uiWait(manager, selector);
  return manager.evaluate((s) => {
    const tr = document.querySelector(s);
    return { hidden: tr.dataset.hidden === 'true', text: tr.textContent, buttons: [...tr.querySelectorAll('button')].map((b) => b.textContent) };
  }, selector);
}

export async function waitStatus(manager, pattern) {
  for (let i = 0; !pattern.test(await manager.evaluate(() => document.getElementById('status').textContent)); i++) {
    if (i > 300) throw new Error(`the manager never said ${pattern}`);
    await sleep(50);
  }
}

export async function hiddenPasskeysScenario(h) {
  await h.goto('/blank.html');
  await unlockVault(h);
  const ann = await registerPasskey(h, 'ann');
  const bea = await registerPasskey(h, 'bea');

  // The page (any origin the RP ID accepts) signals, with no user action.
  const signals = await h.page.evaluate(async ({ rpId, annId, beaUser }) => {
    await PublicKeyCredential.signalUnknownCredential({ rpId, credentialId: annId });
    await PublicKeyCredential.signalAllAcceptedCredentials({ rpId, userId: beaUser, allAcceptedCredentialIds: [] });
    return 'done';
  }, { rpId: RP_ID, annId: ann.credential.id, beaUser: bea.userId });
  assert.equal(signals, 'done');
  // Neither is offered any more, by id or as a discoverable credential.
  assert.equal(await signIn(h, ann.credential.id, ann.credential), 'NotAllowedError', 'a hidden passkey signed in');
  assert.equal(await signIn(h, bea.credential.id, bea.credential), 'NotAllowedError', 'a hidden passkey signed in');
  const any = await settle(h.page, (json) => navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) }), await authenticationOptions({ userVerification: 'discouraged' }));
  assert.equal(any.name, 'NotAllowedError', `a discoverable get() found a hidden passkey: ${JSON.stringify(any)}`);

  // The manager still lists both, hidden, with Restore and Purge.
  const manager = await h.openExtensionPage('src/ui/manager.html');
  for (const { credential } of [ann, bea]) {
    const row = await managerRow(h, manager, credential.id);
    assert.equal(row.hidden, true, row.text);
    assert.match(row.text, /hidden/);
    assert.deepEqual(row.buttons, ['Restore', 'Purge']);
  }
  // Restore ann's: shown again, and she signs in with it.
  await h.uiClick(manager, `#list tbody tr[data-credential-id="${ann.credential.id}"] button.restore`);
  await waitStatus(manager, /^Restored /);
  const restored = await managerRow(h, manager, ann.credential.id);
  assert.equal(restored.hidden, false, restored.text);
  assert.deepEqual(restored.buttons, ['Delete']);
  assert.equal(await signIn(h, ann.credential.id, ann.credential), 'ok');
  // Purge bea's: gone from the vault.
  await manager.evaluate(() => {
    window.confirm = () => true;
  });
  await h.uiClick(manager, `#list tbody tr[data-credential-id="${bea.credential.id}"] button.delete`);
  await waitStatus(manager, /^Deleted .* 1 saved sign-in\.$/);
  assert.equal(await manager.evaluate((id) => document.querySelector(`tr[data-credential-id="${id}"]`), bea.credential.id), null);
  await h.closeTab(manager);
}
