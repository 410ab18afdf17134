// The scenarios shared with Firefox (scenarios/forms.mjs), in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/forms.mjs';

register('chromium', withBrowser, scenarios);
