// The scenarios shared with Firefox (scenarios/fill.mjs), in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/fill.mjs';

register('chromium', withBrowser, scenarios);
