// Firefox harness: the same shape as lib/harness.mjs (Chromium), driving Debian's Firefox ESR over
// raw WebDriver BiDi (Firefox's own remote port; no geckodriver, no Playwright: Playwright needs
// a patched Firefox).
//
// Each test calls start(); close() ends Firefox, the host and the server and removes the temp
// dir. The browser layer (browsers/index.mjs, shared with demo/run.mjs) runs Firefox with HOME set
// to a throwaway dir inside it: that is where it looks for the native-messaging host manifest
// ($HOME/.mozilla/native-messaging-hosts/), and it keeps Firefox from creating ~/.cache/mozilla
// in the real home. The manifest is written there by `credwell install --firefox-home` (the CLI
// built next to the host; CREDWELL_BIN picks another), so the suite exercises the command a user
// runs; without a built CLI the layer writes it.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARIES, EXTENSION_DIR, EXTENSION_ORIGINS, Frame, launch, poll, withBrowser as withStarted } from '../../browsers/index.mjs';
import { HOST_BIN, UI_TIMEOUT, commonSurface, hostEnv, insertFrame, startServer } from './harness.mjs';

export { getCredential, settle, PASSPHRASE, UI_TIMEOUT, REPO, HOST_BIN, CREDWELL_BIN, EXTENSION_DIR } from './harness.mjs';
export { Bidi, Frame, fromRemote } from '../../browsers/index.mjs';

export const EXTENSION_ORIGIN = EXTENSION_ORIGINS.firefox;

/**
 * Starts the server, a fresh profile with the host manifest under a throwaway HOME, Firefox with
 * the extension installed (temporary add-on over BiDi), and opens a tab.
 * options.env: extra environment for the host; options.prefs: extra Firefox prefs;
 * options.server: a started server to use (and not close); options.extension: another extension
 * to install, an unpacked dir or an .xpi (e.g. extension/build.mjs's dist/credwell-firefox.xpi).
 * Every http host but localhost/127.0.0.1 is proxied to the test server (it serves the same
 * pages whatever the host): that gives a non-secure origin on loopback, http://insecure.test
 * (not potentially trustworthy, unlike localhost/127.0.0.1); https goes to a closed port unless
 * options.prefs points network.proxy.ssl_port elsewhere.
 */
export async function start(options = {}) {
  if (!existsSync(HOST_BIN)) throw new Error(`${HOST_BIN} is missing: run cargo build -p credwell-host`);
  if (!existsSync(BINARIES.firefox)) throw new Error(`${BINARIES.firefox} is missing: apt-get install -y firefox-esr`);
  const ownServer = !options.server;
  const server = options.server ?? (await startServer());
  const dir = await mkdtemp(join(tmpdir(), 'credwell-ff-'));
  const removeTemp = async () => {
    if (ownServer) await server.close();
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
  };
  let b;
  try {
    b = await launch('firefox', {
      dir,
      host: { bin: HOST_BIN, env: hostEnv(options.env) },
      extension: options.extension ?? EXTENSION_DIR,
      proxyPort: server.port,
      prefs: options.prefs ?? {},
    });
  } catch (e) {
    await removeTemp();
    throw e;
  }
  const { bidi, child, browserLog, capabilities, page, home, profile } = b;
  const registeredBy = b.registered.by;
  const cleanup = async () => {
    await b.close();
    await removeTemp();
  };
  const consoleListeners = [];
  bidi.on('log.entryAdded', (entry) => {
    for (const fn of consoleListeners) fn(entry);
  });

  const h = {
    browser: 'firefox',
    bidi,
    page,
    server,
    dir,
    home,
    profile,
    registeredBy,
    child,
    ...server,
    extensionOrigin: EXTENSION_ORIGIN,
    browserLog,
    /** Firefox's version as its BiDi session reports it (e.g. "153.8.0"). */
    browserVersion: capabilities.browserVersion ?? '',
    /** Its major version, a number (e.g. 153). */
    browserMajor: Number.parseInt(capabilities.browserVersion ?? '', 10),
    /** Console messages (BiDi log.entryAdded) from any context: fn({level, text, args, source}). */
    onConsole(fn) {
      consoleListeners.push(fn);
    },
    /** Opens one of the extension's pages (e.g. 'src/ui/manager.html') in a new tab. */
    async openExtensionPage(path) {
      const tab = await h.newTab(`${EXTENSION_ORIGIN}/${path}`);
      await bidi.send('browsingContext.activate', { context: tab.context }).catch(() => {});
      return tab;
    },
    /**
     * Runs `fn` (no arguments; serialized) where credwell's content scripts could: WebDriver BiDi does not
     * expose WebExtension content-script realms, so this runs it in an extension page, which
     * shares the same storage.local (the one content scripts can write); returns its value.
     */
    async contentScriptEval(fn) {
      return h.extensionEval(fn);
    },
    /** Opens `path` on `origin` (default: the secure localhost origin) in the main tab. */
    async goto(path = '/blank.html', origin = server.origin) {
      await bidi.send('browsingContext.navigate', { context: page.context, url: `${origin}${path}`, wait: 'complete' });
      return page;
    },
    /** Runs `fn(arg)` in `frame` with transient user activation (BiDi's userActivation). */
    withGesture(frame, fn, arg) {
      return frame.evaluate(fn, arg, { userActivation: true });
    },
    /** Waits for `selector` to exist and be rendered in a UI page. */
    async uiWait(ui, selector, timeout = UI_TIMEOUT) {
      const shown = (s) => {
        const el = document.querySelector(s);
        return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
      };
      await poll(`${selector} not visible in ${ui.initialUrl}`, () => ui.evaluate(shown, selector), timeout);
    },
    async uiText(ui, selector) {
      await h.uiWait(ui, selector);
      return ui.evaluate((s) => document.querySelector(s).innerText, selector);
    },
    async uiTexts(ui, selector) {
      await h.uiWait(ui, selector);
      return ui.evaluate((s) => [...document.querySelectorAll(s)].map((e) => e.innerText), selector);
    },
    async uiFill(ui, selector, value) {
      await h.uiWait(ui, selector);
      await h.uiArmed(ui);
      await ui.evaluate(
        ({ selector, value }) => {
          const el = document.querySelector(selector);
          el.focus();
          el.value = value;
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
        },
        { selector, value },
      );
    },
    async uiClick(ui, selector) {
      await h.uiWait(ui, selector);
      await h.uiArmed(ui);
      await ui.evaluate((s) => document.querySelector(s).click(), selector);
    },
    /**
     * Focuses `selector` in a UI page and presses `key` ('Enter', 'Escape', 'Space' or one
     * character) as real key events (BiDi input.performActions).
     */
    async uiPress(ui, selector, key) {
      await h.uiWait(ui, selector);
      await h.uiKey(ui, key, selector);
    },
    /**
     * Presses `key` ('Enter', 'Escape', 'Space' or one character) in a UI page, wherever its
     * focus is (or, with `selector`, on that element, focused once the page takes input).
     */
    async uiKey(ui, key, selector) {
      await bidi.send('browsingContext.activate', { context: ui.context }).catch(() => {});
      await h.uiArmed(ui);
      if (selector) await ui.evaluate((s) => document.querySelector(s).focus(), selector);
      const value = { Enter: '\uE007', Escape: '\uE00C', Space: ' ' }[key] ?? key;
      await bidi
        .send('input.performActions', {
          context: ui.context,
          actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value }, { type: 'keyUp', value }] }],
        })
        .catch((e) => {
          // The page may close itself in answer to the key.
          if (!/no such frame|discarded|closed/i.test(String(e?.message))) throw e;
        });
    },
    /** Clicks `selector` in a UI page that closes itself in answer; waits for the close. */
    async clickAndClose(ui, selector) {
      await h.uiWait(ui, selector);
      await h.uiArmed(ui);
      // Click after the evaluate returned: the page may close itself in answer.
      const click = (s) => {
        const el = document.querySelector(s);
        setTimeout(() => el.click(), 0);
      };
      await b.closing(ui, () => ui.evaluate(click, selector));
    },
    /** Closes a UI page as the user would (its window goes away). */
    async closeUiWindow(ui) {
      await bidi.send('browsingContext.close', { context: ui.context }).catch(() => {});
      await h.waitUiClosed(ui);
    },
    /** Adds an iframe to the page (or to options.parent, a Frame); returns its Frame once loaded. */
    addFrame(opts) {
      return addFrame(h, opts);
    },
    async close() {
      await cleanup();
    },
  };
  return Object.assign(h, commonSurface(h, b));
}

/** Adds an iframe to `parent` (default: the page) and returns it as a Frame once loaded. */
export async function addFrame(h, { parent = h.page, ...options }) {
  const frameName = await insertFrame(parent, options);
  // The child contexts of `parent`, in document order; ours is the last one added.
  const { contexts } = await h.bidi.send('browsingContext.getTree', { root: parent.context });
  const children = contexts[0]?.children ?? [];
  const child = children[children.length - 1];
  if (!child) throw new Error(`no child context for frame ${frameName}`);
  return new Frame(h.bidi, child.context, child.url);
}

/** A test body with a fresh Firefox and host: `fn(h)`; on failure the host's log is appended. */
export const withBrowser = (options, fn) => withStarted(start, options, fn);
