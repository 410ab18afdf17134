// The scenarios shared with Firefox (scenarios/more.mjs), in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/more.mjs';

register('chromium', withBrowser, scenarios);
