// credwell's browser layer, shared by the e2e suites (e2e/lib/harness.mjs, e2e/lib/firefox.mjs)
// and the demo (demo/run.mjs): Debian's Chromium (playwright-core) or Firefox ESR (WebDriver
// BiDi) on a throwaway profile, with credwell's extension loaded and credwell-host registered as
// its native-messaging host through a wrapper script.
//
//   const b = await launch('chromium' | 'firefox', { dir, host: { bin, env, unset }, ... });
//   b.page ... b.newPage(url) ... b.hostPids() ... await b.close();
//
// Never downloads a browser: CHROMIUM and FIREFOX pick other binaries.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXTENSION_ID } from '../extension/src/id.js';
import { launchChromium } from './chromium.mjs';
import { Frame, firefoxPrefs, launchFirefox, userJs } from './firefox.mjs';
import { windowCalls } from './windows.mjs';
import {
  EXTENSION_DIR,
  credwellBinary,
  hostLog,
  hostPids,
  registerChromiumHost,
  registerFirefoxHost,
  writeHostWrapper,
} from './host.mjs';

export { CHROMIUM_ARGS, launchChromium } from './chromium.mjs';
export { Bidi, Frame, firefoxPrefs, fromRemote, launchFirefox, sleep, userJs } from './firefox.mjs';
export * from './host.mjs';
export { WINDOW_TIMEOUT, poll, withBrowser } from './windows.mjs';
export { EXTENSION_ID, HOST_NAME } from '../extension/src/id.js';

export const BINARIES = {
  chromium: process.env.CHROMIUM ?? '/usr/bin/chromium',
  firefox: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
};
/** The Debian package of each browser (never a downloaded build). */
export const PACKAGES = { chromium: 'chromium', firefox: 'firefox-esr' };
/** The Firefox add-on id (manifest browser_specific_settings.gecko.id). */
export const GECKO_ID = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')).browser_specific_settings.gecko.id;
/** The moz-extension:// host, pinned by the extensions.webextensions.uuids pref. */
export const FIREFOX_EXTENSION_UUID = '6c7c1a3e-4f0b-4d38-9a51-c4ed5e11a001';
/** Where credwell's extension pages live in each browser. */
export const EXTENSION_ORIGINS = {
  chromium: `chrome-extension://${EXTENSION_ID}`,
  firefox: `moz-extension://${FIREFOX_EXTENSION_UUID}`,
};

/**
 * Launches `browser` ('chromium' or 'firefox') with credwell's extension and its native host.
 *
 * options.dir: a directory the caller made and removes; the profile (`dir/profile`), Firefox's
 *   HOME (`dir/home`), the host wrapper and its host.pids / host.log go there.
 * options.host: {bin, env, unset}: the host binary and its environment (writeHostWrapper).
 * options.extension: the unpacked extension dir (default extension/), or a Firefox .xpi.
 * options.headless (default true), options.viewport ({width, height}; null: the window's).
 * Chromium: options.args (extra switches), options.handleSignals (false: the caller ends the
 *   browser on Ctrl-C).
 * Firefox: options.proxyPort (every http host but localhost/127.0.0.1 goes to that loopback
 *   port), options.prefs (more prefs), options.requireCredwellInstall (fail without the CLI
 *   instead of writing the manifest).
 *
 * Returns {browser, version, dir, profile, home, wrapper, registered, extensionOrigin, page,
 * newPage(url), hostPids(), hostLog(), close()} and the calls on credwell's windows and host
 * (windows.mjs: waitForWindow(name), windowCount, windowOpen, windowArmed, windowClosed,
 * waitWindowClosed, closing, closeTab, extensionEval, hostStatus, killHost), plus Chromium's
 * {ctx, worker} (Playwright; page is a Playwright Page) or Firefox's {bidi, capabilities, child,
 * exited, browserLog, destroyed (the ids of closed browsing contexts), topLevel()} (page is a
 * BiDi Frame).
 */
export async function launch(browser, options) {
  const { dir, host, extension = EXTENSION_DIR, headless = true, viewport } = options;
  if (!BINARIES[browser]) throw new Error(`unknown browser ${browser}: chromium or firefox`);
  const profile = join(dir, 'profile');
  const home = join(dir, 'home');
  await mkdir(profile, { recursive: true });
  const wrapper = await writeHostWrapper(dir, host);
  const common = {
    browser,
    dir,
    profile,
    home,
    wrapper,
    extensionOrigin: EXTENSION_ORIGINS[browser],
    hostPids: () => hostPids(dir),
    hostLog: () => hostLog(dir),
  };
  if (browser === 'chromium') {
    const registered = await registerChromiumHost(profile, wrapper);
    const { ctx, worker, page } = await launchChromium({
      binary: BINARIES.chromium,
      profile,
      extension,
      headless,
      args: options.args ?? [],
      viewport,
      handleSignals: options.handleSignals ?? true,
    });
    return withWindows({
      ...common,
      registered,
      version: `chromium ${ctx.browser()?.version() ?? ''}`.trim(),
      ctx,
      worker,
      page,
      async newPage(url) {
        const p = await ctx.newPage();
        if (url) await p.goto(url);
        return p;
      },
      close: () => ctx.close(),
    });
  }

  const registered = await registerFirefoxHost(home, wrapper, {
    credwell: credwellBinary(host.bin),
    extension: EXTENSION_DIR,
    geckoId: GECKO_ID,
    required: options.requireCredwellInstall ?? false,
  });
  const prefs = { ...firefoxPrefs({ proxyPort: options.proxyPort, uuids: { [GECKO_ID]: FIREFOX_EXTENSION_UUID } }), ...(options.prefs ?? {}) };
  await writeFile(join(profile, 'user.js'), userJs(prefs));
  const ff = await launchFirefox({ binary: BINARIES.firefox, profile, home, extension, headless });
  const { bidi } = ff;
  const destroyed = new Set();
  const topLevel = async () => (await bidi.send('browsingContext.getTree', { maxDepth: 0 })).contexts;
  let page;
  try {
    await bidi.send('session.subscribe', { events: ['browsingContext.contextDestroyed', 'log.entryAdded'] });
    bidi.on('browsingContext.contextDestroyed', (p) => destroyed.add(p.context));
    page = new Frame(bidi, (await topLevel())[0].context);
    if (viewport) await bidi.send('browsingContext.setViewport', { context: page.context, viewport });
  } catch (e) {
    await ff.close();
    throw e;
  }
  return withWindows({
    ...common,
    registered,
    version: `${ff.capabilities.browserName ?? 'firefox'} ${ff.capabilities.browserVersion ?? ''}`.trim(),
    bidi,
    capabilities: ff.capabilities,
    child: ff.child,
    exited: ff.exited,
    browserLog: ff.browserLog,
    destroyed,
    topLevel,
    page,
    /** Opens a background tab, optionally at `url`; returns it as a Frame. */
    async newPage(url) {
      const { context } = await bidi.send('browsingContext.create', { type: 'tab', background: true });
      if (url) await bidi.send('browsingContext.navigate', { context, url, wait: 'complete' });
      return new Frame(bidi, context);
    },
    close: () => ff.close(),
  });
}

/** `b` with the calls on credwell's windows and host (windows.mjs's windowCalls). */
function withWindows(b) {
  return Object.assign(b, windowCalls(b));
}
