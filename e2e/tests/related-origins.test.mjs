// WebAuthn related origin requests end to end in headless Chromium (the scenario:
// e2e/lib/related-origins.mjs): shop.co.uk and shop.com resolve to one loopback TLS server
// (--host-resolver-rules), whose throwaway certificate --ignore-certificate-errors accepts.
import test from 'node:test';
import { withBrowser } from '../lib/harness.mjs';
import { CALLER_HOST, RP_ID, relatedOriginsScenario, wellKnownServer } from '../lib/related-origins.mjs';

test('related origins: a listed origin registers and signs in with a foreign RP ID; anything else is SecurityError', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  const args = [
    `--host-resolver-rules=MAP insecure.test 127.0.0.1, MAP ${CALLER_HOST} 127.0.0.1:${tls.port}, MAP ${RP_ID} 127.0.0.1:${tls.port}`,
    '--ignore-certificate-errors',
  ];
  try {
    await withBrowser({ args }, (h) => relatedOriginsScenario(h, tls));
  } finally {
    await tls.close();
  }
});
