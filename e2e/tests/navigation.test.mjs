// The scenarios shared with Firefox (scenarios/navigation.mjs), in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/navigation.mjs';

register('chromium', withBrowser, scenarios);
