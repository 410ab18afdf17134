// The scenarios on the loopback TLS server of lib/related-origins.mjs (https://shop.co.uk and
// https://shop.com), in both browsers: WebAuthn related origin requests, and account icons.
// Run by tests/related-origins.test.mjs (Chromium) and firefox/related-origins.test.mjs
// (Firefox ESR); the fixture routes both names to the server in each browser.
import { iconScenario } from '../lib/icons.mjs';
import { probeScenario, relatedOriginsScenario, tlsFixture } from '../lib/related-origins.mjs';

export const scenarios = [
  {
    name: 'related origins: a listed origin registers and signs in with a foreign RP ID; anything else is SecurityError',
    fixture: tlsFixture,
    run: (h, { fixture }) => relatedOriginsScenario(h, fixture),
  },
  {
    name: 'related origins are no probe: one message, no redirects, no intranet names, a per-document budget',
    fixture: tlsFixture,
    run: (h, { fixture }) => probeScenario(h, fixture),
  },
  {
    name: "icons: fetched only after a real Save and only on the caller's site; cached out of content scripts' reach",
    fixture: tlsFixture,
    run: (h, { fixture }) => iconScenario(h, fixture),
  },
];
