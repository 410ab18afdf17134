// The host goes away (killed): requests in flight fail with UnknownError and their UI closes; the
// next call starts a new host, which asks to unlock and then works.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, getCredential, settle } from '../lib/harness.mjs';

test('after the host is killed the next call reconnects and works after unlock', { timeout: 120_000 }, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    const [first] = await h.hostPids();
    assert.ok(first > 0);
    const pending = settle(h.page, () => navigator.credentials.get({ password: true, mediation: 'required' }));
    const chooser = await h.waitForUi('chooser');
    const closed = chooser.waitForEvent('close');
    process.kill(first, 'SIGKILL');
    const r = await pending;
    assert.equal(r.name, 'UnknownError');
    assert.equal(r.domException, true);
    await closed;

    const got = getCredential(h.page, { password: true, mediation: 'silent' });
    await h.unlock();
    // The ephemeral vault died with the first host: nothing is saved in the new one.
    assert.equal(await got, null);
    const pids = await h.hostPids();
    assert.equal(pids.length, 2);
    assert.notEqual(pids[1], first);
    assert.equal(await h.storePassword({ id: 'bob', password: 'x' }), 'undefined');
    assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'bob');
  }),
);

test('the bench echo path works only when enabled', { timeout: 120_000 }, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const echo = () =>
      h.page.evaluate(
        () =>
          new Promise((ok) => {
            document.addEventListener('credwell-response', (e) => ok(JSON.parse(e.detail)), { once: true });
            document.dispatchEvent(new CustomEvent('credwell-request', { detail: JSON.stringify({ t: 'call', rid: 1, method: 'credwell.echo', params: {} }) }));
          }),
      );
    assert.equal((await echo()).error?.name, 'NotSupportedError');
    await h.worker.evaluate(() => chrome.storage.local.set({ benchEcho: true }));
    const r = await echo();
    assert.equal(r.result?.protocol, 1);
    assert.equal(r.result?.locked, true);
  }),
);

test('with a vault file, credentials survive a host restart (unlock with the same passphrase)', { timeout: 120_000 }, async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const vaultDir = await mkdtemp(join(tmpdir(), 'credwell-vault-'));
  try {
    await withBrowser(
      { env: { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: join(vaultDir, 'vault.sqlite'), CREDWELL_DANGER_INSECURE_KDF: '1' } },
      async (h) => {
        await h.goto('/blank.html');
        assert.equal(await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true }), 'undefined');
        await h.killHost();
        const got = getCredential(h.page, { password: true, mediation: 'silent' });
        await h.unlock();
        assert.equal((await got)?.password, 'pencil');
        assert.equal((await h.hostPids()).length, 2);
      },
    );
  } finally {
    await rm(vaultDir, { recursive: true, force: true });
  }
});

test('after the browser closes, the vault file and its WAL hold no canary string in clear', { timeout: 120_000 }, async () => {
  const { mkdtemp, rm, readdir, readFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const vaultDir = await mkdtemp(join(tmpdir(), 'credwell-canary-'));
  const canaries = ['CanaryUser7731', 'CanaryPass4410', 'CanaryName9923', 'canary-idp-5581.example'];
  let origin = null;
  try {
    await withBrowser(
      { env: { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: join(vaultDir, 'vault.sqlite'), CREDWELL_DANGER_INSECURE_KDF: '1' } },
      async (h) => {
        origin = h.origin;
        await h.goto('/blank.html');
        await h.storePassword({ id: canaries[0], password: canaries[1], name: canaries[2] }, { unlock: true });
        const stored = h.page.evaluate(
          (c) => navigator.credentials.store(new FederatedCredential({ id: c[0], provider: `https://${c[3]}` })),
          canaries,
        );
        const prompt = await h.waitForUi('prompt');
        await h.clickAndClose(prompt, '#save');
        assert.equal(await stored, undefined);
      },
    );
    // The browser (and with it the host) is gone: scan every file the vault left behind.
    const needles = [...canaries, new URL(origin).host];
    const files = await readdir(vaultDir);
    assert.ok(files.includes('vault.sqlite'), `vault written: ${files}`);
    for (const file of files) {
      const bytes = (await readFile(join(vaultDir, file))).toString('latin1').toLowerCase();
      for (const needle of needles) {
        assert.ok(!bytes.includes(needle.toLowerCase()), `${needle} found in clear in ${file}`);
      }
    }
  } finally {
    await rm(vaultDir, { recursive: true, force: true });
  }
});
