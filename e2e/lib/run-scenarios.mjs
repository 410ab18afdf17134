// Registers the shared scenarios (scenarios/*.mjs) as node:test tests for one browser harness.
import test, { after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * For each scenario: test(`${browser}: ${name}`) with a fresh browser from `withBrowser`.
 * scenario.options: an object, or fn(tmpDir) → object for scenarios that need files (the dir is
 * removed afterwards); scenario.fixture: fn(browser) → {value, options, close()} for one that
 * needs a server around the browser (its options are merged in, `value` reaches run() as
 * `fixture`, close() runs afterwards); scenario.only: a list of browsers the scenario applies to;
 * scenario.todo: {browser: reason} for a known difference (the test runs, is reported as TODO,
 * and does not fail the suite).
 */
let exitArmed = false;

export function register(browser, withBrowser, scenarios, { timeout = 120_000 } = {}) {
  // A test that times out leaves its browser and its awaits behind, which keep this file's
  // process alive for ever (a whole CI run waited on one): once every test has finished, the
  // process ends on its own after 10 s, with the runner's exit code.
  if (!exitArmed) {
    exitArmed = true;
    after(() => {
      setTimeout(() => process.exit(), 10_000).unref();
    });
  }
  for (const s of scenarios) {
    if (s.only && !s.only.includes(browser)) continue;
    const todo = s.todo?.[browser];
    // scenario.retries: a scenario known to be timing-sensitive on a loaded machine runs again
    // with a fresh browser when an attempt fails or outlasts `timeout`; the failure is printed.
    const attempts = 1 + (s.retries ?? 0);
    const once = async () => {
      const tmp = typeof s.options === 'function' ? await mkdtemp(join(tmpdir(), 'credwell-scenario-')) : null;
      const fixture = s.fixture ? await s.fixture(browser) : null;
      try {
        const options = tmp ? await s.options(tmp) : (s.options ?? {});
        await withBrowser({ ...(fixture?.options ?? {}), ...options }, (h) => s.run(h, { tmp, fixture: fixture?.value }));
      } finally {
        await fixture?.close();
        if (tmp) await rm(tmp, { recursive: true, force: true });
      }
    };
    test(`${browser}: ${s.name}`, { timeout: timeout * attempts, ...(todo ? { todo } : {}) }, async () => {
      for (let attempt = 1; ; attempt++) {
        let timer;
        const outlasted = new Promise((_, no) => {
          timer = setTimeout(() => no(new Error(`attempt ${attempt} outlasted ${timeout} ms`)), timeout);
        });
        try {
          await Promise.race([once(), outlasted]);
          return;
        } catch (e) {
          if (attempt >= attempts) throw e;
          console.error(`${browser}: ${s.name}: attempt ${attempt} failed (${e?.message ?? e}); once more`);
        } finally {
          clearTimeout(timer);
        }
      }
    });
  }
}
