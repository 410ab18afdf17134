// The scenarios shared with Chromium (scenarios/fill.mjs), in Firefox ESR over WebDriver BiDi.
import { withBrowser } from '../lib/firefox.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/fill.mjs';

register('firefox', withBrowser, scenarios);
