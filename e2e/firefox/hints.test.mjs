// The WebAuthn hints scenarios (scenarios/hints.mjs) in Firefox ESR over WebDriver BiDi.
import { withBrowser } from '../lib/firefox.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/hints.mjs';

register('firefox', withBrowser, scenarios, { timeout: 180_000 });
