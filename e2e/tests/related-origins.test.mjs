// The scenarios on the related-origins TLS server (scenarios/related-origins.mjs: related origin
// requests, account icons) in Chromium: shop.co.uk and shop.com resolve to one loopback TLS server
// (--host-resolver-rules), whose throwaway certificate --ignore-certificate-errors accepts.
import { withBrowser } from '../lib/harness.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/related-origins.mjs';

register('chromium', withBrowser, scenarios, { timeout: 180_000 });
