// The scenarios on the related-origins TLS server (scenarios/related-origins.mjs: related origin
// requests, account icons) in Firefox ESR: its HTTPS proxy is pointed at a CONNECT tunnel to one
// loopback TLS server for both shop.co.uk and shop.com; the session's acceptInsecureCerts
// (browsers/firefox.mjs) accepts its throwaway certificate, for the extension's fetch too.
import { withBrowser } from '../lib/firefox.mjs';
import { register } from '../lib/run-scenarios.mjs';
import { scenarios } from '../scenarios/related-origins.mjs';

register('firefox', withBrowser, scenarios, { timeout: 180_000 });
