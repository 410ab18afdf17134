// The vault file on disk (Chromium only; the host restart and idle cases are shared scenarios in
// scenarios/core.mjs): after the browser closes, no canary string is in clear in any file.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser } from '../lib/harness.mjs';

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
