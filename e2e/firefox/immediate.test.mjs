// The uiMode "immediate" scenarios (scenarios/immediate.mjs) in Firefox ESR over WebDriver BiDi.
import { withBrowser } from '../lib/firefox.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/immediate.mjs';

register('firefox', withBrowser, scenarios, { timeout: 180_000 });
