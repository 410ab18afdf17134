// The WebAuthn hints scenarios (scenarios/hints.mjs) in Chromium.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/hints.mjs';

register('chromium', withBrowser, scenarios, { timeout: 180_000 });
