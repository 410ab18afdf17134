// WebAuthn related origin requests end to end in headless Firefox ESR (the scenario:
// e2e/lib/related-origins.mjs): Firefox's HTTPS proxy is pointed at a CONNECT tunnel to one
// loopback TLS server for both shop.co.uk and shop.com; the session's acceptInsecureCerts
// (e2e/lib/firefox-bidi.mjs) accepts its throwaway certificate, for the extension's fetch too.
import test from 'node:test';
import { withBrowser } from '../lib/firefox.mjs';
import { probeScenario, relatedOriginsScenario, tunnelTo, wellKnownServer } from '../lib/related-origins.mjs';

test('related origins: a listed origin registers and signs in with a foreign RP ID; anything else is SecurityError', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  const tunnel = await tunnelTo(tls.port);
  try {
    await withBrowser({ prefs: { 'network.proxy.ssl_port': tunnel.port } }, (h) => relatedOriginsScenario(h, tls));
  } finally {
    await tunnel.close();
    await tls.close();
  }
});

test('related origins are no probe: one message, no redirects, no intranet names, a per-document budget', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  const tunnel = await tunnelTo(tls.port);
  try {
    await withBrowser({ prefs: { 'network.proxy.ssl_port': tunnel.port } }, (h) => probeScenario(h, tls));
  } finally {
    await tunnel.close();
    await tls.close();
  }
});
