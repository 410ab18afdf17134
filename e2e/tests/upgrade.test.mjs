// The automatic passkey upgrade scenarios (scenarios/upgrade.mjs) in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/upgrade.mjs';

register('chromium', withBrowser, scenarios, { timeout: 180_000 });
