// The uiMode "immediate" scenarios (scenarios/immediate.mjs) in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/immediate.mjs';

register('chromium', withBrowser, scenarios, { timeout: 180_000 });
