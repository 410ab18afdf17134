// Sync between two browsers with two vaults: `credwell sync serve` on a loopback port (SQLite in
// a temp dir), vault A and vault B signed in to one account with the `credwell` CLI, Chromium's
// host on vault A and Firefox's on vault B, each syncing in the background while unlocked
// (CREDWELL_SYNC_INTERVAL_SECS=1; the host also syncs at unlock, after a write and on the server's
// live notice). No `credwell sync now` runs while the browsers are open: what one browser stores
// reaches the other through the server alone. And the popup's sync line: the server and the last
// sync, the error while the server is stopped, and synced again once it is back.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBrowser as withChromium, startServer, getCredential } from '../lib/harness.mjs';
import { withBrowser as withFirefox } from '../lib/firefox.mjs';
import { startSyncServer, twoSignedInVaults, until } from '../lib/sync.mjs';

const FAST = { CREDWELL_SYNC_INTERVAL_SECS: '1' };
const silent = { password: true, mediation: 'silent' };

/** What `credential` looks like as getCredential() describes it. */
const described = ({ id, password, name = '' }) => ({
  type: 'password',
  id,
  name,
  iconURL: '',
  password,
  instanceOfInterface: true,
  instanceOfCredential: true,
});

/** The popup's sync line (`#sync`, refreshed every 2 s while the popup is open). */
const syncLine = (popup) => popup.evaluate(() => document.getElementById('sync')?.textContent ?? '');

/** Waits until the popup's sync line matches `pattern`; returns it. */
const lineUntil = (what, popup, pattern, ms) =>
  until(`the popup's sync line ${what}`, async () => {
    const line = await syncLine(popup);
    return pattern.test(line) && line;
  }, ms);

test('a credential stored in Chromium with vault A is returned by get() in Firefox with vault B after sync, and back', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'credwell-e2e-sync-'));
  const pages = await startServer();
  let sync;
  try {
    sync = await startSyncServer(dir);
    const { a, b } = await twoSignedInVaults(dir, sync.url);
    const alice = { id: 'alice', password: 'pencil from Chromium', name: 'Alice' };
    const bob = { id: 'bob', password: 'hunter2 from Firefox', name: 'Bob' };
    await withChromium({ env: { ...a.env, ...FAST }, server: pages }, async (chromium) => {
      await chromium.goto('/blank.html');
      assert.equal(await chromium.storePassword(alice, { unlock: true }), 'undefined');
      await withFirefox({ env: { ...b.env, ...FAST }, server: pages }, async (firefox) => {
        // Same page server, so the same origin (http://localhost:<port>) in both browsers; the
        // save in Chromium cleared the origin's prevent-silent-access flag, which syncs too.
        await firefox.goto('/blank.html');
        const first = getCredential(firefox.page, silent);
        await firefox.unlock();
        // Firefox's host syncs at unlock: the first get() may come before that sync ends.
        const got = (await first) ?? (await until('Firefox returns the credential stored in Chromium', () => getCredential(firefox.page, silent)));
        assert.deepEqual(got, described(alice));
        const popup = await firefox.openExtensionPage('src/ui/popup.html');
        await lineUntil('in Firefox names the server', popup, new RegExp(`^Synced with ${sync.url} at \\S`), 15_000);
        await firefox.closeTab(popup);
        // And back, on the other page origin (http://127.0.0.1:<port>), which holds nothing yet,
        // with both browsers open: Chromium's host hears of it from the server.
        await firefox.goto('/blank.html', firefox.crossOrigin);
        assert.equal(await firefox.storePassword(bob), 'undefined');
        await chromium.goto('/blank.html', chromium.crossOrigin);
        const back = await until('Chromium returns the credential stored in Firefox', () => getCredential(chromium.page, silent));
        assert.deepEqual(back, described(bob));
      });
      // The first origin still has Chromium's own credential alone.
      await chromium.goto('/blank.html');
      assert.deepEqual(await getCredential(chromium.page, silent), described(alice));
    });
    // What each vault file holds once the browsers are gone (read with the CLI, no sync).
    for (const vault of [a, b]) {
      const ids = (await vault.run(['list'])).map((c) => c.id).sort();
      assert.deepEqual(ids, ['alice', 'bob']);
    }
  } finally {
    await sync?.stop();
    await pages.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the popup's sync line shows the last sync, the error while the server is stopped, and a save made meanwhile syncs once it is back", { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'credwell-e2e-sync-'));
  let sync;
  try {
    sync = await startSyncServer(dir);
    const { a, b } = await twoSignedInVaults(dir, sync.url);
    await withChromium({ env: { ...a.env, ...FAST } }, async (h) => {
      await h.goto('/blank.html');
      const popup = await h.openExtensionPage('src/ui/popup.html');
      // Locked: background sync is off and the line is empty.
      assert.equal(await syncLine(popup), '');
      assert.equal(await h.storePassword({ id: 'carol', password: 'before the outage' }, { unlock: true }), 'undefined');
      const synced = new RegExp(`^Synced with ${sync.url} at \\S`);
      await lineUntil('names the server and the last sync', popup, synced, 15_000);
      // The server goes away: the next sync (within a second) fails, and the popup says why.
      await sync.stop();
      const failed = await lineUntil('shows the error', popup, /^Sync failed: /, 15_000);
      assert.match(failed, /^Sync failed: the sync server cannot be reached/);
      assert.doesNotMatch(failed, /cw1\./, 'no device token in the popup');
      // A save while the server is down stays in vault A, unpushed, until it is back.
      assert.equal(await h.storePassword({ id: 'dave', password: 'during the outage' }), 'undefined');
      // Back on the same address and database: synced again, and the save is pushed.
      sync = await startSyncServer(dir, sync.listen);
      await lineUntil('is back to synced', popup, synced, 20_000);
      await h.closeTab(popup);
      await until('vault B receives the save made during the outage', async () => {
        await b.run(['sync', 'now']);
        return (await b.run(['list'])).some((c) => c.id === 'dave');
      }, 20_000);
    });
  } finally {
    await sync?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
