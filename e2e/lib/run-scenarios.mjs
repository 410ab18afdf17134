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

/**
 * Wraps a harness so that every call on it, or on its `page`, is recorded while in flight: a
 * scenario that outlasts its time then names the await it is stuck in (which step of a long
 * scenario hung on a loaded machine is otherwise invisible). Calls go to the real object
 * (Playwright's classes keep private fields a proxy cannot reach).
 */
function traced(h, inFlight) {
  const wrap = (target, prefix) =>
    new Proxy(target, {
      get(t, key) {
        const v = Reflect.get(t, key, t);
        if (key === 'page' && prefix === 'h' && v && typeof v === 'object') return wrap(v, 'page');
        // The page's mouse and keyboard too: a real click that never returns is named.
        if ((key === 'mouse' || key === 'keyboard') && prefix === 'page' && v && typeof v === 'object') {
          return wrap(v, `page.${key}`);
        }
        if (typeof v !== 'function' || typeof key !== 'string') return v;
        return (...args) => {
          const [a] = args;
          const shown = typeof a === 'function' ? a.toString().replace(/\s+/g, ' ') : a;
          const first = typeof shown === 'string' ? JSON.stringify(shown.slice(0, 80)) : '';
          const call = { what: `${prefix}.${key}(${first})`, since: Date.now() };
          const out = v.apply(t, args);
          if (!(out instanceof Promise)) return out;
          inFlight.add(call);
          return out.finally(() => inFlight.delete(call));
        };
      },
    });
  return wrap(h, 'h');
}

/**
 * What is still awaited, oldest first: "page.evaluate() for 172 s; ...". With none, the attempt's
 * phase (`inFlight.phase`): starting the browser, in the scenario, or closing the browser.
 */
function describe(inFlight) {
  const now = Date.now();
  const calls = [...inFlight].sort((a, b) => a.since - b.since);
  if (!calls.length) return `no harness call in flight (${inFlight.phase ?? 'before the browser'})`;
  return calls.map((c) => `${c.what} for ${Math.round((now - c.since) / 1000)} s`).join('; ');
}

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
    const once = async (inFlight) => {
      const tmp = typeof s.options === 'function' ? await mkdtemp(join(tmpdir(), 'credwell-scenario-')) : null;
      const fixture = s.fixture ? await s.fixture(browser) : null;
      try {
        const options = tmp ? await s.options(tmp) : (s.options ?? {});
        inFlight.phase = 'starting the browser';
        await withBrowser({ ...(fixture?.options ?? {}), ...options }, async (h) => {
          inFlight.phase = 'in the scenario, between harness calls';
          await s.run(traced(h, inFlight), { tmp, fixture: fixture?.value });
          inFlight.phase = 'closing the browser';
        });
        inFlight.phase = 'after the browser closed';
      } finally {
        await fixture?.close();
        if (tmp) await rm(tmp, { recursive: true, force: true });
      }
    };
    // node:test's own limit comes 5 s after the last attempt's, so that the attempt's error (which
    // names the awaited call) is the one reported.
    test(`${browser}: ${s.name}`, { timeout: timeout * attempts + 5_000, ...(todo ? { todo } : {}) }, async () => {
      for (let attempt = 1; ; attempt++) {
        let timer;
        const inFlight = new Set();
        const outlasted = new Promise((_, no) => {
          timer = setTimeout(
            () => no(new Error(`attempt ${attempt} outlasted ${timeout} ms; waiting on: ${describe(inFlight)}`)),
            timeout,
          );
        });
        try {
          await Promise.race([once(inFlight), outlasted]);
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
