// WebAuthn related origin requests end to end in headless Chromium (the scenario:
// e2e/lib/related-origins.mjs): shop.co.uk and shop.com resolve to one loopback TLS server
// (--host-resolver-rules), whose throwaway certificate --ignore-certificate-errors accepts.
import test from 'node:test';
import { withBrowser } from '../lib/harness.mjs';
import { chromiumArgsFor, probeScenario, relatedOriginsScenario, wellKnownServer } from '../lib/related-origins.mjs';

test('related origins: a listed origin registers and signs in with a foreign RP ID; anything else is SecurityError', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  try {
    await withBrowser({ args: chromiumArgsFor(tls) }, (h) => relatedOriginsScenario(h, tls));
  } finally {
    await tls.close();
  }
});

test('related origins are no probe: one message, no redirects, no intranet names, a per-document budget', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  try {
    await withBrowser({ args: chromiumArgsFor(tls) }, (h) => probeScenario(h, tls));
  } finally {
    await tls.close();
  }
});
