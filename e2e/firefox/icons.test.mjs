// Account icons in headless Firefox ESR (the scenario: e2e/lib/icons.mjs), over the HTTPS tunnel
// of e2e/lib/related-origins.mjs.
import test from 'node:test';
import { withBrowser } from '../lib/firefox.mjs';
import { iconScenario } from '../lib/icons.mjs';
import { tunnelTo, wellKnownServer } from '../lib/related-origins.mjs';

test('icons: fetched only after a real Save and only on the caller\'s site; cached out of content scripts\' reach', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  const tunnel = await tunnelTo(tls.port);
  try {
    await withBrowser({ prefs: { 'network.proxy.ssl_port': tunnel.port } }, (h) => iconScenario(h, tls));
  } finally {
    await tunnel.close();
    await tls.close();
  }
});
