// Account icons in headless Chromium (the scenario: e2e/lib/icons.mjs).
import test from 'node:test';
import { withBrowser } from '../lib/harness.mjs';
import { iconScenario } from '../lib/icons.mjs';
import { chromiumArgsFor, wellKnownServer } from '../lib/related-origins.mjs';

test('icons: fetched only after a real Save and only on the caller\'s site; cached out of content scripts\' reach', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  try {
    await withBrowser({ args: chromiumArgsFor(tls) }, (h) => iconScenario(h, tls));
  } finally {
    await tls.close();
  }
});
