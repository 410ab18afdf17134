// credwell's own windows in a launched browser (index.mjs's launch): finding the extension's
// unlock, prompt and chooser windows as they open, their input guard, their closing, and the
// background's view of the native host. One implementation for the e2e harnesses and the demo;
// the per-browser branches are where Playwright (Chromium) and WebDriver BiDi (Firefox) differ.

import { Frame, sleep } from './firefox.mjs';

/** How long a credwell window may take to open, arm or close (ms). */
export const WINDOW_TIMEOUT = 30_000;

// What a BiDi call may fail with when its context went away (the window closed itself).
const GONE = /no such frame|no such window|discarded|closed|destroyed/i;

/**
 * Polls `fn` until it returns a truthy value (errors count as not yet) and returns that value;
 * after `timeout` ms, fails with `what` (a string, or a function that makes one then).
 */
export async function poll(what, fn, timeout = WINDOW_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e; // e.g. the document is being replaced
    }
    if (Date.now() > deadline) {
      const said = typeof what === 'function' ? what() : what;
      throw new Error(`${said} within ${timeout} ms${last ? ` (${last.message})` : ''}`);
    }
    await sleep(50);
  }
}

/**
 * The window calls of a launched browser `b` (the fields launch gives it: newPage, hostPids,
 * extensionOrigin, Chromium's ctx, Firefox's bidi, topLevel and destroyed). A window is a
 * Playwright Page (Chromium) or a Frame (Firefox); `name` is a page of the extension's src/ui/
 * (unlock, prompt, chooser, ...).
 *   waitForWindow(name, timeout): the next window of that page not returned before, once loaded;
 *   windowCount(name), windowOpen(name): how many are open now, whether one is;
 *   windowArmed(win): waits until its input guard takes input; windowClosed(win): whether it
 *   closed; waitWindowClosed(win); closing(win, action): runs `action` (which makes it close
 *   itself) and waits for the close; closeTab(tab): closes a tab of newPage's;
 *   extensionEval(fn, arg): fn(arg) in an extension page; hostStatus(): the background's
 *   {locked, connected, ...}; killHost(): kills the current host and waits until the background
 *   noticed.
 */
export function windowCalls(b) {
  const prefix = (name) => `${b.extensionOrigin}/src/ui/${name}.html`;
  const calls = b.browser === 'chromium' ? chromiumWindows(b.ctx, prefix) : firefoxWindows(b, prefix);
  const w = {
    ...calls,
    async windowOpen(name) {
      return (await w.windowCount(name)) > 0;
    },
    async extensionEval(fn, arg) {
      const tab = await b.newPage(prefix('options'));
      try {
        return await tab.evaluate(fn, arg);
      } finally {
        await w.closeTab(tab);
      }
    },
    async hostStatus() {
      return (await w.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'status' }))).result;
    },
    async killHost(timeout = WINDOW_TIMEOUT) {
      const pids = await b.hostPids();
      process.kill(pids[pids.length - 1], 'SIGKILL');
      const deadline = Date.now() + timeout;
      while ((await w.hostStatus()).connected) {
        if (Date.now() > deadline) throw new Error('the background did not notice the host exit');
        await sleep(100);
      }
    },
  };
  return w;
}

function chromiumWindows(ctx, prefix) {
  const consumed = new WeakSet();
  const open = (name) => ctx.pages().filter((p) => !p.isClosed() && p.url().startsWith(prefix(name)));
  return {
    async waitForWindow(name, timeout = WINDOW_TIMEOUT) {
      const p = await poll(
        () => `no ${name} page (open: ${ctx.pages().map((x) => x.url()).join(', ')})`,
        async () => open(name).find((x) => !consumed.has(x)),
        timeout,
      );
      consumed.add(p);
      await p.waitForLoadState('domcontentloaded');
      return p;
    },
    windowCount: async (name) => open(name).length,
    async windowArmed(win) {
      await win.locator('html:not([data-armed="false"])').waitFor({ state: 'attached' });
    },
    windowClosed: async (win) => win.isClosed(),
    async waitWindowClosed(win, timeout = WINDOW_TIMEOUT) {
      if (!win.isClosed()) await win.waitForEvent('close', { timeout });
    },
    // The page may close while Playwright still finishes the action: that is not an error.
    async closing(win, action) {
      const closed = win.waitForEvent('close', { timeout: WINDOW_TIMEOUT });
      closed.catch(() => {});
      try {
        await action();
      } catch (e) {
        if (!/closed/i.test(String(e?.message))) throw e;
      }
      await closed;
    },
    closeTab: (tab) => tab.close(),
  };
}

function firefoxWindows({ bidi, topLevel, destroyed }, prefix) {
  const consumed = new Set();
  const open = async (name) => (await topLevel()).filter((c) => !destroyed.has(c.context) && c.url.startsWith(prefix(name)));
  const windowClosed = async (win) => destroyed.has(win.context) || !(await topLevel()).some((c) => c.context === win.context);
  const waitWindowClosed = (win, timeout = WINDOW_TIMEOUT) =>
    poll(`the window ${win.initialUrl} did not close`, () => windowClosed(win), timeout);
  return {
    async waitForWindow(name, timeout = WINDOW_TIMEOUT) {
      let seen = [];
      const c = await poll(
        () => `no ${name} page (open: ${seen.map((x) => x.url).join(', ')})`,
        async () => {
          seen = await topLevel();
          return seen.find((x) => !consumed.has(x.context) && !destroyed.has(x.context) && x.url.startsWith(prefix(name)));
        },
        timeout,
      );
      consumed.add(c.context);
      const win = new Frame(bidi, c.context, c.url);
      // Loaded: its script has run (the page is complete).
      await poll(`the ${name} page did not load`, () => win.evaluate(() => document.readyState === 'complete'), timeout);
      return win;
    },
    windowCount: async (name) => (await open(name)).length,
    async windowArmed(win, timeout = WINDOW_TIMEOUT) {
      await poll(
        `${win.initialUrl} did not take input (not shown and focused?)`,
        async () => (await win.evaluate(() => document.documentElement.dataset.armed)) !== 'false',
        timeout,
      );
    },
    windowClosed,
    waitWindowClosed,
    async closing(win, action) {
      try {
        await action();
      } catch (e) {
        if (!GONE.test(String(e?.message))) throw e;
      }
      await waitWindowClosed(win);
    },
    async closeTab(tab) {
      await bidi.send('browsingContext.close', { context: tab.context }).catch(() => {});
    },
  };
}

/**
 * Runs `fn(h)` on `h = await start(options)` (a harness's browser: it has hostLog() and close()),
 * closing it afterwards; on failure the host's log is appended to the error's message.
 */
export async function withBrowser(start, options, fn) {
  const h = await start(options);
  try {
    return await fn(h);
  } catch (e) {
    const log = await h.hostLog();
    if (log && e && typeof e === 'object') e.message = `${e.message}\n--- credwell-host log ---\n${log}`;
    throw e;
  } finally {
    await h.close();
  }
}
