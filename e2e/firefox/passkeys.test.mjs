// The passkey scenarios (scenarios/passkeys.mjs) in Firefox ESR over WebDriver BiDi. A passkey
// registered in Chromium and used from Firefox is in cross-browser.test.mjs.
import { withBrowser } from '../lib/firefox.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/passkeys.mjs';

register('firefox', withBrowser, scenarios, { timeout: 180_000 });
