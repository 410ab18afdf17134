// Debian's Chromium driven by playwright-core (no browser download), with an unpacked extension
// loaded. Part of the browser layer (index.mjs) the e2e harness and the demo share.
import { chromium } from 'playwright-core';

// Headless CI flags: no sandbox, GPU, QUIC, first-run pages or background traffic.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts `binary` on the user data dir `profile` with `extension` loaded (and no other), waits
 * for the extension's service worker, and returns {ctx (Playwright's BrowserContext), worker,
 * page (the first tab)}. `args` adds switches; `viewport` null leaves the window's size;
 * `handleSignals` false leaves SIGINT/SIGTERM/SIGHUP to the caller.
 */
export async function launchChromium({ binary, profile, extension, headless = true, args = [], viewport, handleSignals = true, timeout = 30_000 }) {
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: binary,
    headless,
    ...(handleSignals ? {} : { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false }),
    ...(viewport === undefined ? {} : { viewport }),
    args: [...CHROMIUM_ARGS, ...args, `--load-extension=${extension}`, `--disable-extensions-except=${extension}`],
  });
  ctx.setDefaultTimeout(timeout);
  try {
    const worker = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker', { timeout }));
    await backgroundListening(worker, timeout);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    return { ctx, worker, page };
  } catch (e) {
    await ctx.close().catch(() => {});
    throw e;
  }
}

/**
 * Waits until the extension's service worker has run its script: its listeners are registered.
 * The worker Playwright reports as a fresh browser starts may not have run it yet (hundreds of
 * milliseconds on a loaded machine), and Chromium drops what a document sends to a worker that
 * is not running once that document has gone: a form submitted in that time, by a test that
 * types at machine speed, would be lost. (A person needs longer than that to sign in; a worker
 * that sleeps later is woken ahead of a sign-in, src/content/isolated.js.)
 */
async function backgroundListening(worker, timeout) {
  const until = Date.now() + timeout;
  for (;;) {
    const ready = await worker.evaluate(() => globalThis.chrome?.runtime?.onConnect?.hasListeners?.() === true).catch(() => false);
    if (ready) return;
    if (Date.now() > until) throw new Error(`the extension's service worker registered no listeners within ${timeout} ms`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}
