// Passkey sign-in latency in headless Chromium, on one page in one run:
// navigator.credentials.get({publicKey}) through credwell (shim → relay → background → host →
// credwell-passkey, user verification "discouraged", one passkey) against Chromium's own
// WebAuthn with its built-in virtual authenticator (CDP WebAuthn.addVirtualAuthenticator,
// ctap2 / internal, automatic presence) holding a credential registered through it.
// Timed in the page with performance.now(); every assertion of the timed loop is then verified
// with @simplewebauthn/server (a sample of each side), so neither side is a no-op.
//
// credwell always shows its passkey chooser (it is the test of user presence, even for one
// account). The timed loop measures the machinery, so it runs a *copy* of the extension whose
// background answers the chooser itself, at once, as an instantly clicking user would (the
// switch exists only in that copy, never in extension/). A second, smaller loop measures the real
// path with the chooser window opened and clicked by Playwright.
//
//   cargo build -p credwell-host && node e2e/bench-passkey.mjs [N] [N_WINDOW]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { start, HOST_BIN, EXTENSION_DIR } from './lib/harness.mjs';
import {
  authenticationOptions,
  choosePasskey,
  registerPasskey,
  registrationOptions,
  unlockVault,
  verifyAuthentication,
  verifyRegistration,
  virtualAuthenticator,
} from './lib/webauthn.mjs';
import { benchWire } from './lib/bench-page.mjs';
import { printTable, stats } from './lib/stats.mjs';

const N = Number(process.argv[2] ?? 300);
const N_WINDOW = Number(process.argv[3] ?? 20);
const WARMUP = 20;

// The extension copy with the bench-only chooser switch.
const copy = mkdtempSync(join(tmpdir(), 'credwell-bench-ext-'));
cpSync(EXTENSION_DIR, copy, { recursive: true });
const bg = join(copy, 'src', 'background', 'prompts.js');
const anchor = '  const { ui, kind } = event;\n  if (!Number.isSafeInteger(ui) || closedUis.has(ui)) return;\n';
const source = readFileSync(bg, 'utf8');
if (!source.includes(anchor)) throw new Error('bench-passkey: background/prompts.js changed; update the anchor');
writeFileSync(
  bg,
  source.replace(
    anchor,
    `${anchor}  if (kind === 'passkey.chooser' && globalThis.credwellBenchAutoChoose === true) {\n    sendToHost('ui.respond', { ui, answer: { choose: 0 } }, () => {});\n    return;\n  }\n`,
  ),
);

const h = await start({ extension: copy });
try {
  await h.goto('/blank.html');
  await unlockVault(h);
  // Chromium's virtual authenticator, and a credential registered through it (native: the
  // request names only a security key, so credwell's shim passes it to the browser).
  const { cdp, id: authenticatorId } = await virtualAuthenticator(h, h.page, {
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
  });
  const nativeReg = await registrationOptions('native', { userVerification: 'discouraged' });
  const nativeCreated = await h.page.evaluate(async (json) => {
    const publicKey = { ...PublicKeyCredential.parseCreationOptionsFromJSON(json), hints: ['security-key'] };
    const c = await navigator.credentials.create({ publicKey });
    return { json: c.toJSON(), attachment: c.authenticatorAttachment };
  }, nativeReg);
  assert.equal(nativeCreated.attachment, 'platform'); // the virtual authenticator, not credwell
  const nativeCredential = (await verifyRegistration(nativeCreated.json, nativeReg, h.origin)).credential;
  assert.equal((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length, 1);

  // credwell's passkey (the consent prompt answered once).
  const { credential: credwellCredential } = await registerPasskey(h, 'credwell');

  const nativeAuth = await authenticationOptions({ allow: [nativeCredential.id], userVerification: 'discouraged' });
  const credwellAuth = await authenticationOptions({ allow: [credwellCredential.id], userVerification: 'discouraged' });

  await h.worker.evaluate(() => { globalThis.credwellBenchAutoChoose = true; });
  await h.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.set', key: 'benchEcho', value: true }));
  await new Promise((ok) => setTimeout(ok, 200));
  const run = await h.page.evaluate(
    async ({ n, warmup, nativeJson, credwellJson, wire }) => {
      const nativeOptions = { ...PublicKeyCredential.parseRequestOptionsFromJSON(nativeJson), hints: ['security-key'] };
      const credwellOptions = PublicKeyCredential.parseRequestOptionsFromJSON(credwellJson);
      let rid = 1e9;
      // The bare round trip page → background → host (vault.status) → page (e2e/bench.mjs).
      const echo = () =>
        new Promise((ok, fail) => {
          const id = rid++;
          document.addEventListener(wire.events.response, function listener(e) {
            const reply = JSON.parse(e.detail);
            if (reply.rid !== id) return;
            document.removeEventListener(wire.events.response, listener);
            if (reply.error) fail(new Error(reply.error.message));
            else ok({ toJSON: () => null });
          });
          document.dispatchEvent(new CustomEvent(wire.events.request, { detail: JSON.stringify({ ...wire.echo, rid: id }) }));
        });
      const paths = {
        echo: echo,
        credwell: async () => navigator.credentials.get({ publicKey: credwellOptions }),
        'Chromium virtual authenticator': async () => navigator.credentials.get({ publicKey: nativeOptions }),
      };
      const out = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
      const last = {};
      for (let i = 0; i < warmup + n; i++) {
        for (const [name, fn] of Object.entries(paths)) {
          const t0 = performance.now();
          const c = await fn();
          const dt = performance.now() - t0;
          if (i >= warmup) out[name].push(dt);
          last[name] = { json: c.toJSON(), attachment: c.authenticatorAttachment };
        }
      }
      return { out, last };
    },
    { n: N, warmup: WARMUP, nativeJson: nativeAuth, credwellJson: credwellAuth, wire: benchWire() },
  );
  await h.worker.evaluate(() => { globalThis.credwellBenchAutoChoose = false; });
  // The last assertion of each side, verified by the RP library (signatures, RP ID, counters).
  await verifyAuthentication(run.last.credwell.json, credwellAuth, h.origin, credwellCredential);
  await verifyAuthentication(run.last['Chromium virtual authenticator'].json, nativeAuth, h.origin, nativeCredential);

  // The real path: the chooser window opens and Playwright clicks it.
  const windowed = [];
  for (let i = 0; i < N_WINDOW; i++) {
    const timed = h.page.evaluate(async (json) => {
      const t0 = performance.now();
      await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
      return performance.now() - t0;
    }, credwellAuth);
    await choosePasskey(h, 0);
    windowed.push(await timed);
  }

  const c = stats(run.out.credwell);
  const v = stats(run.out['Chromium virtual authenticator']);
  const w = stats(windowed);
  const rows = [
    ['echo (page → background → host vault.status → page)', stats(run.out.echo)],
    ['credwell (chooser answered at once)', c],
    ['Chromium virtual authenticator (ctap2/internal)', v],
    ['credwell, chooser window clicked by Playwright (includes its 500 ms input guard)', w],
  ];
  console.log(`credwell passkey bench: get({publicKey}), userVerification "discouraged", one passkey; headless Chromium; host ${HOST_BIN}; ms`);
  printTable(rows, { withN: true });
  console.log(`credwell / virtual authenticator: median ${(c.median / v.median).toFixed(2)}x, p95 ${(c.p95 / v.p95).toFixed(2)}x (target ≤ 2.5x)`);
} finally {
  await h.close();
  rmSync(copy, { recursive: true, force: true });
}
