// Automatic passkey upgrades (WebAuthn conditional create) through credwell's shim, background
// and host, in both browsers: run by tests/upgrade.test.mjs (Chromium) and
// firefox/upgrade.test.mjs (Firefox ESR). After the page signs in with get() and a password
// credwell holds, create({publicKey, mediation: "conditional"}) makes a passkey without any
// window, with neither UP nor UV (the registration verified by @simplewebauthn/server with
// requireUserPresence false), and the user is told afterwards (the popup's notice, the badge);
// the manager lists the passkey and deletes it. Without the sign-in: NotAllowedError and no
// window; userVerification "required": ConstraintError; an excluded passkey: InvalidStateError;
// switched off in the settings: NotAllowedError; a locked vault: NotAllowedError without the
// unlock page; once the window after the sign-in has passed (shortened for the test with
// CREDWELL_TEST_UPGRADE_WINDOW_MS): NotAllowedError and no window. The upgrade after a fill of
// a saved password into the page's form is in scenarios/fill.mjs.
import assert from 'node:assert/strict';
import { getCredential } from '../lib/harness.mjs';
import { managerRow, waitStatus } from '../lib/signals.mjs';
import { registrationOptions, unlockVault, verifyRegistration } from '../lib/webauthn.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

const UP = 0x01;
const UV = 0x04;
const WINDOWS = ['chooser', 'passkey-chooser', 'passkey-create', 'unlock', 'prompt', 'passkey-verify'];

// In the page: create({publicKey, mediation: "conditional"}) from the RP's JSON options; the
// credential's toJSON() and flags, or the error, as plain data.
const UPGRADE = async (json) => {
  try {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json);
    const c = await navigator.credentials.create({ publicKey, mediation: 'conditional' });
    return { json: c.toJSON(), flags: new Uint8Array(c.response.getAuthenticatorData())[32], id: c.id };
  } catch (e) {
    return { error: e.name, message: e.message, domException: e instanceof DOMException };
  }
};

/** Whether any of credwell's windows is open. */
async function anyWindow(h) {
  for (const name of WINDOWS) if (await h.uiOpen(name)) return name;
  return null;
}

/**
 * A conditional create that must settle at once without any window; returns its result (also
 * used by scenarios/fill.mjs, after a fill).
 */
export async function upgradeWithoutUi(h, options, what) {
  const started = Date.now();
  const got = await h.page.evaluate(UPGRADE, options);
  assert.ok(Date.now() - started < 10_000, `${what}: settled at once`);
  assert.equal(await anyWindow(h), null, `${what}: no window opened`);
  return got;
}

/** Signs in on the page with get({password: true, mediation: "required"}): the chooser, the first account. */
async function signInWithPassword(h) {
  const getting = getCredential(h.page, { password: true, mediation: 'required' });
  getting.catch(() => {});
  const ui = await h.waitForUi('chooser');
  await h.uiWait(ui, '#accounts button');
  await h.clickAndClose(ui, '#accounts button');
  const got = await getting;
  assert.equal(got?.type, 'password', JSON.stringify(got));
  return got;
}

/** The background's notice of the last upgrade, once recorded. */
async function lastUpgrade(h) {
  for (let i = 0; ; i++) {
    const { lastPasskeyUpgrade } = await h.extensionEval(() => chrome.storage.session.get('lastPasskeyUpgrade'));
    if (lastPasskeyUpgrade) return lastPasskeyUpgrade;
    if (i > 100) throw new Error('no passkey.upgraded notice was recorded');
    await sleep(100);
  }
}

export const scenarios = [
  {
    name: 'upgrade: signed in with a saved password → conditional create() makes a passkey without a window (UP and UV clear, verified by @simplewebauthn/server), the user is told afterwards, the manager deletes it; conditionalCreate',
    async run(h) {
      await h.goto('/blank.html');
      const caps = await h.page.evaluate(() => PublicKeyCredential.getClientCapabilities());
      assert.equal(caps.conditionalCreate, true, JSON.stringify(caps));
      await unlockVault(h);
      await h.storePassword({ id: 'alice', password: 'pw-1' });

      // The user signs in to the site with the password credwell holds.
      await h.goto('/blank.html');
      await signInWithPassword(h);

      // The site offers the upgrade at once: no window, a passkey.
      const options = await registrationOptions('alice', { userVerification: 'preferred' });
      const made = await upgradeWithoutUi(h, options, 'after the sign-in');
      assert.equal(made.error, undefined, JSON.stringify(made));
      assert.equal(made.flags & (UP | UV), 0, `flags ${made.flags}: neither UP nor UV`);
      const info = await verifyRegistration(made.json, options, h.origin, { requireUserPresence: false });
      assert.equal(info.userVerified, false);
      assert.equal(info.credential.id, made.id);

      // Told afterwards: the notice, in the popup and on the badge.
      const notice = await lastUpgrade(h);
      assert.equal(notice.origin, h.origin);
      assert.equal(notice.rpId, 'localhost');
      assert.equal(notice.userName, 'alice');
      assert.equal(notice.credentialId, made.id);
      assert.equal(await h.extensionEval(() => chrome.action.getBadgeText({})), 'key');
      const popup = await h.openExtensionPage('src/ui/popup.html');
      const text = await h.uiText(popup, '#upgrade');
      assert.match(text, /A passkey was created for localhost \(account “alice”\)/);
      assert.match(text, /remove it in Saved sign-ins/);
      await h.closeTab(popup);

      // The manager lists it, and deletes it.
      const manager = await h.openExtensionPage('src/ui/manager.html');
      const row = await managerRow(h, manager, made.id);
      assert.deepEqual(row.buttons, ['Delete']);
      await manager.evaluate(() => {
        window.confirm = () => true;
      });
      await h.uiClick(manager, `#list tbody tr[data-credential-id="${made.id}"] button.delete`);
      await waitStatus(manager, /^Deleted /);
      assert.equal(await manager.evaluate((id) => document.querySelector(`tr[data-credential-id="${id}"]`), made.id), null);
      await h.closeTab(manager);
    },
  },
  {
    name: 'upgrade: without a sign-in → NotAllowedError and no window; userVerification "required" → ConstraintError; an excluded passkey → InvalidStateError; switched off in the settings → NotAllowedError; a locked vault → NotAllowedError without the unlock page',
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      // Saving the password is no sign-in.
      await h.storePassword({ id: 'bob', password: 'pw-2' });
      await h.goto('/blank.html');
      const options = await registrationOptions('bob', { userVerification: 'preferred' });
      const refused = await upgradeWithoutUi(h, options, 'no sign-in');
      assert.equal(refused.error, 'NotAllowedError', JSON.stringify(refused));
      assert.equal(refused.domException, true);
      assert.match(refused.message, /signing in to this origin with a saved password/);
      assert.deepEqual(await h.extensionEval(() => chrome.storage.session.get('lastPasskeyUpgrade')), {});

      await signInWithPassword(h);
      const required = await upgradeWithoutUi(h, await registrationOptions('bob', { userVerification: 'required' }), 'UV required');
      assert.equal(required.error, 'ConstraintError', JSON.stringify(required));

      const made = await upgradeWithoutUi(h, options, 'after the sign-in');
      assert.equal(made.error, undefined, JSON.stringify(made));
      const excluded = await upgradeWithoutUi(
        h,
        await registrationOptions('bob-2', { userVerification: 'discouraged', exclude: [made.id] }),
        'excluded',
      );
      assert.equal(excluded.error, 'InvalidStateError', JSON.stringify(excluded));

      // The user switches automatic upgrades off in the settings: refused like no sign-in (the
      // same words), though the sign-in is still recent; on again, the upgrade goes through.
      const settingsPage = await h.openExtensionPage('src/ui/options.html');
      await h.uiWait(settingsPage, '#upgrades');
      assert.equal(await settingsPage.evaluate(() => document.getElementById('upgrades').checked), true, 'on by default');
      await h.uiClick(settingsPage, '#upgrades');
      const savedText = () => settingsPage.evaluate(() => document.getElementById('saved').textContent);
      for (let i = 0; (await savedText()) !== 'Saved.'; i++) {
        if (i > 100) throw new Error(`the setting was not saved: ${await savedText()}`);
        await sleep(50);
      }
      const off = await upgradeWithoutUi(h, await registrationOptions('bob-4'), 'switched off');
      assert.equal(off.error, 'NotAllowedError', JSON.stringify(off));
      assert.equal(off.message, refused.message, 'the page cannot tell it from no sign-in');
      await settingsPage.evaluate(() => {
        document.getElementById('saved').textContent = '';
      });
      await h.uiClick(settingsPage, '#upgrades');
      for (let i = 0; (await savedText()) !== 'Saved.'; i++) {
        if (i > 100) throw new Error(`the setting was not saved: ${await savedText()}`);
        await sleep(50);
      }
      await h.closeTab(settingsPage);
      const on = await upgradeWithoutUi(h, await registrationOptions('bob-4'), 'switched on again');
      assert.equal(on.error, undefined, JSON.stringify(on));

      // Locked: refused at once, the unlock page not shown.
      const locked = await h.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'lock' }));
      assert.equal(locked?.error, undefined, JSON.stringify(locked));
      const whileLocked = await upgradeWithoutUi(h, await registrationOptions('bob-3'), 'locked');
      assert.equal(whileLocked.error, 'NotAllowedError', JSON.stringify(whileLocked));
      assert.equal((await h.hostStatus()).locked, true, 'still locked');
    },
  },
  {
    name: 'upgrade: once the window after the sign-in has passed → NotAllowedError and no window; a new sign-in opens it again',
    // The window is 5 minutes for users; the host takes a shorter one from this test-only
    // variable (docs: crates/credwell-host/src/main.rs).
    options: { env: { CREDWELL_TEST_UPGRADE_WINDOW_MS: '5000' } },
    async run(h) {
      await h.goto('/blank.html');
      await unlockVault(h);
      await h.storePassword({ id: 'cid', password: 'pw-5' });
      await h.goto('/blank.html');
      await signInWithPassword(h);
      const signedInAt = Date.now();
      const options = await registrationOptions('cid', { userVerification: 'preferred' });
      await sleep(5_500 - (Date.now() - signedInAt));
      const late = await upgradeWithoutUi(h, options, 'after the window');
      assert.equal(late.error, 'NotAllowedError', JSON.stringify(late));
      assert.equal(late.domException, true);
      assert.match(late.message, /signing in to this origin with a saved password/);
      assert.deepEqual(await h.extensionEval(() => chrome.storage.session.get('lastPasskeyUpgrade')), {});
      // Signed in again: within the window, the upgrade goes through.
      await signInWithPassword(h);
      const made = await upgradeWithoutUi(h, options, 'after a new sign-in');
      assert.equal(made.error, undefined, JSON.stringify(made));
      assert.equal(made.flags & (UP | UV), 0, `flags ${made.flags}: neither UP nor UV`);
    },
  },
];
