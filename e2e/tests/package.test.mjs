// The package extension/build.mjs makes for chromium (dist/chromium (unpacked, Load unpacked)) runs a core scenario.
import test, { after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../extension/build.mjs';
import { withBrowser } from '../lib/harness.mjs';
import { scenarios } from '../scenarios/core.mjs';

const out = await mkdtemp(join(tmpdir(), 'credwell-dist-'));
after(() => rm(out, { recursive: true, force: true }));
const pkgs = build(out);

for (const s of scenarios.filter((x) => /^the tutorial's page with a PasswordCredential|^a cross-origin iframe/.test(x.name))) {
  test(`chromium, packaged: ${s.name}`, { timeout: 120_000 }, () => withBrowser({ extension: pkgs.chromium.dir }, (h) => s.run(h)));
}
