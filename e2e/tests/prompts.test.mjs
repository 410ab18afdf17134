// The scenarios shared with Firefox (scenarios/prompts.mjs), in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/prompts.mjs';

register('chromium', withBrowser, scenarios);
