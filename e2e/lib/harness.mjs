// Test harness: a loopback HTTP server for the test pages, and a fresh headless Chromium profile
// with credwell's extension loaded and a fresh credwell-host (ephemeral vault) behind it.
//
// Each test calls start(); the returned object's close() ends the browser, the host and the
// server and removes the profile.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EXTENSION_DIR,
  REPO,
  WINDOW_TIMEOUT,
  credwellBinary,
  hostBinary,
  launch,
  withBrowser as withStarted,
} from '../../browsers/index.mjs';

export { EXTENSION_DIR, REPO } from '../../browsers/index.mjs';
const here = dirname(fileURLToPath(import.meta.url));
const PAGES = resolve(here, '../pages');
/** The host binary the suites run: CREDWELL_HOST_BIN, else `<target>/debug/credwell-host`. */
export const HOST_BIN = hostBinary(['debug']);
/** The `credwell` CLI next to the host binary (cargo builds both into one target dir), if built. */
export const CREDWELL_BIN = credwellBinary(HOST_BIN);
export const PASSPHRASE = 'correct horse battery staple';
export const UI_TIMEOUT = WINDOW_TIMEOUT;

/**
 * The host's environment in the suites: an ephemeral vault, no idle lock, a signal naming a
 * foreign RP ID settling after 200 ms (3 s by default); plus `extra`.
 */
export function hostEnv(extra = {}) {
  return { CREDWELL_EPHEMERAL: '1', CREDWELL_IDLE_LOCK_SECS: '0', CREDWELL_SIGNAL_RELATED_MS: '200', CREDWELL_LOG: 'warn', ...(extra ?? {}) };
}

// A resolver rule that gives the suite a non-secure origin on loopback (http://insecure.test is
// not potentially trustworthy, unlike localhost/127.0.0.1); the browser layer adds the headless
// CI flags.
const INSECURE_RULE = '--host-resolver-rules=MAP insecure.test 127.0.0.1';

/** The extension id the manifest's key gives: Chromium's sha256-of-the-key id, in a–p letters. */
export function idFromManifestKey() {
  const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8'));
  const der = Buffer.from(manifest.key, 'base64');
  return createHash('sha256').update(der).digest('hex').slice(0, 32).replace(/[0-9a-f]/g, (c) => 'abcdefghijklmnop'[parseInt(c, 16)]);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.png': 'image/png', '.json': 'application/json' };
// Pages served from elsewhere in the repository: the tutorial's page as published has one copy,
// the demo's (demo/site/tutorial/), which the scenarios load as /tutorial.html.
const ELSEWHERE = { '/tutorial.html': join(REPO, 'demo', 'site', 'tutorial', 'index.html') };

export async function startServer() {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const elsewhere = ELSEWHERE[url.pathname];
    const path = elsewhere ?? join(PAGES, url.pathname === '/' ? 'blank.html' : url.pathname);
    if ((!elsewhere && !path.startsWith(PAGES)) || !existsSync(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const headers = { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
    if (url.searchParams.has('csp-sandbox')) headers['content-security-policy'] = 'sandbox allow-scripts';
    res.writeHead(200, headers);
    res.end(await readFile(path));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    port,
    origin: `http://localhost:${port}`,
    crossOrigin: `http://127.0.0.1:${port}`,
    insecureOrigin: `http://insecure.test:${port}`,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}

/**
 * Starts the server, a fresh profile with the extension and the host manifest, and Chromium
 * (browsers/index.mjs).
 * options.env: extra environment for the host (e.g. {CREDWELL_STORE_CONSENT: 'always'});
 * options.server: an already started server (startServer()) to use, and not close, instead;
 * options.extension: another unpacked extension dir (e.g. extension/build.mjs's dist/chromium);
 * options.args: extra Chromium switches (a --host-resolver-rules given here replaces the
 * suite's own).
 */
export async function start(options = {}) {
  if (!existsSync(HOST_BIN)) throw new Error(`${HOST_BIN} is missing: run cargo build -p credwell-host`);
  const ownServer = !options.server;
  const server = options.server ?? (await startServer());
  const dir = await mkdtemp(join(tmpdir(), 'credwell-e2e-'));
  const extraArgs = options.args ?? [];
  const ownRule = extraArgs.some((a) => a.startsWith('--host-resolver-rules='));
  let b;
  try {
    b = await launch('chromium', {
      dir,
      host: { bin: HOST_BIN, env: hostEnv(options.env) },
      extension: options.extension ?? EXTENSION_DIR,
      args: [...(ownRule ? [] : [INSECURE_RULE]), ...extraArgs],
    });
  } catch (e) {
    if (ownServer) await server.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const { ctx, page, worker } = b;

  const h = {
    browser: 'chromium',
    ctx,
    page,
    worker,
    server,
    dir,
    ...server,
    /** Opens `path` on `origin` (default: the secure localhost origin) in the main page. */
    async goto(path = '/blank.html', origin = server.origin) {
      await page.goto(`${origin}${path}`);
      return page;
    },
    /** Runs `fn(arg)` in `frame` with transient user activation (Playwright's evaluate gives it). */
    withGesture(frame, fn, arg) {
      return frame.evaluate(fn, arg);
    },
    /** Clicks `selector` in a UI page that closes itself in answer. */
    async clickAndClose(ui, selector) {
      await ui.locator(selector).first().waitFor({ state: 'visible' });
      await h.uiArmed(ui);
      await h.closing(ui, () => ui.locator(selector).first().click({ noWaitAfter: true }));
    },
    // ---- the driver-neutral surface shared with lib/firefox.mjs (scenarios/) ----
    /**
     * Runs `fn` (no arguments; serialized) in credwell's content-script world of the main frame (the
     * ISOLATED world, where chrome.storage is reachable), as a compromised renderer could;
     * returns its value. Found over CDP: the isolated context Chromium names after the extension.
     */
    async contentScriptEval(fn) {
      const cdp = await ctx.newCDPSession(page);
      try {
        const contexts = [];
        cdp.on('Runtime.executionContextCreated', ({ context }) => contexts.push(context));
        await cdp.send('Runtime.enable');
        const world = contexts.find((c) => c.auxData?.type === 'isolated' && c.auxData?.isDefault === false && c.name === 'credwell');
        if (!world) throw new Error(`no credwell content-script world: ${contexts.map((c) => `${c.name}/${c.auxData?.type}`).join(', ')}`);
        const r = await cdp.send('Runtime.evaluate', { expression: `(${fn})()`, contextId: world.id, awaitPromise: true, returnByValue: true });
        if (r.exceptionDetails) throw new Error(`content script: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value;
      } finally {
        await cdp.detach().catch(() => {});
      }
    },
    /** Waits for `selector` to be visible in a UI page. */
    async uiWait(ui, selector) {
      await ui.locator(selector).first().waitFor({ state: 'visible' });
    },
    /** The visible text of `selector` in a UI page (waits for it to be visible). */
    async uiText(ui, selector) {
      await ui.locator(selector).first().waitFor({ state: 'visible' });
      return ui.locator(selector).first().innerText();
    },
    /** The texts of every element matching `selector` in a UI page (waits for the first). */
    async uiTexts(ui, selector) {
      await ui.locator(selector).first().waitFor({ state: 'visible' });
      return ui.locator(selector).allInnerTexts();
    },
    async uiFill(ui, selector, value) {
      await h.uiArmed(ui);
      await ui.fill(selector, value);
    },
    /** Clicks `selector` in a UI page that stays open. */
    async uiClick(ui, selector) {
      await h.uiArmed(ui);
      await ui.locator(selector).first().click();
    },
    /** Closes a UI page as the user would (its window goes away). */
    async closeUiWindow(ui) {
      await ui.close();
    },
    /** Focuses `selector` in a UI page and presses `key` (a Playwright key name, e.g. 'Enter'). */
    uiPress(ui, selector, key) {
      return h.uiKey(ui, key, selector);
    },
    /**
     * Presses `key` (a Playwright key name) in a UI page, wherever its focus is (or, with
     * `selector`, on that element, focused once the page takes input).
     */
    async uiKey(ui, key, selector) {
      await h.uiArmed(ui);
      if (selector) await ui.locator(selector).first().focus();
      try {
        await ui.keyboard.press(key);
      } catch (e) {
        // The page may close itself in answer to the key.
        if (!/closed/i.test(String(e?.message))) throw e;
      }
    },
    /** Opens one of the extension's pages (e.g. 'src/ui/manager.html') in a new tab. */
    openExtensionPage(path) {
      return h.newTab(`${b.extensionOrigin}/${path}`);
    },
    /** Adds an iframe to the page (or to options.parent); returns its frame. */
    addFrame(options) {
      return addFrame(page, options);
    },
    async close() {
      await b.close().catch(() => {});
      if (ownServer) await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return Object.assign(h, commonSurface(h, b));
}

/**
 * The part of `h` both harnesses (this one and lib/firefox.mjs) share: the browser layer's calls
 * on credwell's windows and host (browsers/windows.mjs) under the names the scenarios use, and
 * what a user does in credwell's windows over the driver-neutral calls (unlock, answerPrompt,
 * storePassword). `b` is the layer's launched browser.
 */
export function commonSurface(h, b) {
  return {
    /** The pids of every host process the browser started, in order; what they wrote to stderr. */
    hostPids: b.hostPids,
    hostLog: b.hostLog,
    /** The background's view of the host: {locked, connected}, asked from an extension page. */
    hostStatus: b.hostStatus,
    /** Kills the current host process and waits until the background has noticed. */
    killHost: b.killHost,
    /** Opens a new tab, optionally at `url`; it has evaluate(fn, arg). */
    newTab: b.newPage,
    closeTab: b.closeTab,
    /** Runs `fn(arg)` in an extension page (the options page) and returns its result. */
    extensionEval: b.extensionEval,
    /** Waits for one of credwell's UI pages (unlock, chooser, prompt) to open; returns it. */
    waitForUi: b.waitForWindow,
    /** How many UI pages of this kind are open now; whether one is. */
    uiCount: b.windowCount,
    uiOpen: b.windowOpen,
    /**
     * Waits until a credwell window takes input: its input guard (src/ui/guard.js) sets
     * <html data-armed="true"> once the window has been shown and focused long enough. Pages
     * without the guard (manager, popup, options) have no data-armed and pass at once.
     */
    uiArmed: b.windowArmed,
    /** Whether the UI page has closed; waits until it has (by itself or the background). */
    uiClosed: b.windowClosed,
    waitUiClosed: b.waitWindowClosed,
    /** Runs `action` (a click or key press that makes `ui` close itself) and waits for the close. */
    closing: b.closing,
    /**
     * Opens pages/run.html with `source` as its fragment: it runs as the page loads, with no user
     * gesture (Playwright's evaluate gives one in Chromium).
     */
    gotoRun(source, origin = h.origin) {
      return h.goto(`/run.html#${encodeURIComponent(source)}`, origin);
    },
    /**
     * Stops the extension's service worker, as Chromium does after 30 s without events (CDP
     * ServiceWorker.stopAllWorkers), and waits until CDP reports it stopped.
     */
    async stopBackground() {
      await watchBackground(h, (statuses) => statuses.length > 0 && statuses.every((status) => status === 'stopped'), 'stop', async (cdp) => {
        await cdp.send('ServiceWorker.stopAllWorkers');
      });
    },
    /**
     * Waits until the extension's service worker runs (Chromium; CDP): what the content script's
     * wake-up ahead of a sign-in does, seen from outside. Throws after `ms`.
     */
    async backgroundRunning(ms = 10_000) {
      await watchBackground(h, (statuses) => statuses.includes('running'), 'run', async () => {}, ms);
    },
    /** Drives the unlock page: fill the passphrase, submit, wait for it to close. */
    async unlock(passphrase = PASSPHRASE) {
      const ui = await h.waitForUi('unlock');
      await h.uiFill(ui, '#passphrase', passphrase);
      await h.clickAndClose(ui, '#unlock');
    },
    /** Answers the save (or update) prompt with the button of that id; returns the prompt's text. */
    async answerPrompt(button, kind = 'prompt') {
      const ui = await h.waitForUi(kind);
      await h.uiWait(ui, `#${button}`);
      const text = await h.uiText(ui, 'main');
      await h.clickAndClose(ui, `#${button}`);
      return text;
    },
    /**
     * Stores a password credential from `frame` (default: the page), driving the unlock page
     * when asked and answering the save prompt with `answer`.
     */
    async storePassword(data, { frame = h.page, unlock = false, answer = 'save' } = {}) {
      const store = (d) => navigator.credentials.store(new PasswordCredential(d)).then((r) => String(r));
      const stored = frame.evaluate(store, data);
      stored.catch(() => {});
      if (unlock) await h.unlock();
      if (answer) await h.answerPrompt(answer);
      return stored;
    },
  };
}

/**
 * Adds a named iframe to the document `parent` (a frame with evaluate) and waits for its load;
 * returns its name. Each harness's addFrame finds the frame it made.
 */
/**
 * Follows the extension's service worker through CDP (Chromium) until `done(statuses)` holds for
 * the running statuses of its versions, after `act(cdp)`; throws after `ms`. The statuses come
 * as events once the domain is enabled: none seen yet is not "all stopped".
 */
async function watchBackground(h, done, what, act, ms = 5_000) {
  const cdp = await h.ctx.newCDPSession(h.page);
  try {
    const running = new Map(); // versionId → runningStatus
    let changed = () => {};
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      for (const v of versions) if (v.scriptURL.startsWith('chrome-extension://')) running.set(v.versionId, v.runningStatus);
      changed();
    });
    await cdp.send('ServiceWorker.enable');
    await act(cdp);
    const deadline = Date.now() + ms;
    while (!done([...running.values()])) {
      if (Date.now() > deadline) throw new Error(`the extension's service worker did not ${what} within ${ms} ms (${[...running.values()]})`);
      await new Promise((ok) => {
        changed = ok;
        setTimeout(ok, 100);
      });
    }
  } finally {
    await cdp.detach().catch(() => {});
  }
}

export async function insertFrame(parent, { src, sandbox, srcdoc, allow, name }) {
  const frameName = name ?? `f${Math.random().toString(36).slice(2, 8)}`;
  await parent.evaluate(
    ({ src, sandbox, srcdoc, allow, frameName }) =>
      new Promise((ok, fail) => {
        const f = document.createElement('iframe');
        f.name = frameName;
        if (sandbox !== undefined) f.setAttribute('sandbox', sandbox);
        if (allow !== undefined) f.setAttribute('allow', allow);
        if (srcdoc !== undefined) f.srcdoc = srcdoc;
        if (src !== undefined) f.src = src;
        f.onload = () => ok();
        f.onerror = () => fail(new Error('iframe failed'));
        document.body.append(f);
      }),
    { src, sandbox, srcdoc, allow, frameName },
  );
  return frameName;
}

/** navigator.credentials.get(options) in `frame`, the credential described as plain data. */
export async function getCredential(frame, options) {
  return frame.evaluate(async (o) => {
    const c = await navigator.credentials.get(o);
    if (c === null) return null;
    const out = { type: c.type, id: c.id, name: c.name, iconURL: c.iconURL };
    if (c.type === 'password') out.password = c.password;
    else Object.assign(out, { provider: c.provider, protocol: c.protocol });
    out.instanceOfInterface = c.type === 'password' ? c instanceof PasswordCredential : c instanceof FederatedCredential;
    out.instanceOfCredential = c instanceof Credential;
    return out;
  }, options);
}

/** A test body with a fresh Chromium and host: `fn(h)`; on failure the host's log is appended. */
export const withBrowser = (options, fn) => withStarted(start, options, fn);

/** Evaluates in `frame` and reports a rejection as {name, message, ...} instead of throwing. */
export async function settle(frame, fn, arg) {
  return frame.evaluate(
    async ({ source, a }) => {
      const f = (0, eval)(`(${source})`);
      try {
        const value = await f(a);
        return { ok: true, value: value === undefined ? '<undefined>' : value };
      } catch (e) {
        return {
          ok: false,
          name: e?.name,
          message: e?.message,
          domException: e instanceof DOMException,
          typeError: e instanceof TypeError,
          value: typeof e === 'object' ? undefined : e,
        };
      }
    },
    { source: fn.toString(), a: arg },
  );
}

/** Adds an iframe to `frame` (default page) and returns its Playwright Frame once loaded. */
export async function addFrame(page, { parent = page.mainFrame(), ...options }) {
  const frameName = await insertFrame(parent, options);
  const frame = page.frames().find((f) => f.name() === frameName);
  if (!frame) throw new Error(`no frame ${frameName}`);
  return frame;
}
