// The automatic passkey upgrade scenarios (scenarios/upgrade.mjs) in Firefox ESR over WebDriver BiDi.
import { withBrowser } from '../lib/firefox.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/upgrade.mjs';

register('firefox', withBrowser, scenarios, { timeout: 180_000 });
