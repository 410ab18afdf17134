// The scenarios shared with Firefox (scenarios/core.mjs), in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/core.mjs';

register('chromium', withBrowser, scenarios);
