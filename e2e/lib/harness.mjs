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
import { EXTENSION_DIR, EXTENSION_ID, REPO, credwellBinary, hostBinary, launch } from '../../browsers/index.mjs';

export { EXTENSION_DIR, REPO } from '../../browsers/index.mjs';
const here = dirname(fileURLToPath(import.meta.url));
const PAGES = resolve(here, '../pages');
/** The host binary the suites run: CREDWELL_HOST_BIN, else `<target>/debug/credwell-host`. */
export const HOST_BIN = hostBinary(['debug']);
/** The `credwell` CLI next to the host binary (cargo builds both into one target dir), if built. */
export const CREDWELL_BIN = credwellBinary(HOST_BIN);
export const PASSPHRASE = 'correct horse battery staple';
export const UI_TIMEOUT = 30_000;

/** The host's environment in the suites: an ephemeral vault, no idle lock; plus `extra`. */
export function hostEnv(extra = {}) {
  return { CREDWELL_EPHEMERAL: '1', CREDWELL_IDLE_LOCK_SECS: '0', CREDWELL_LOG: 'warn', ...(extra ?? {}) };
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
  const consumed = new WeakSet();

  const h = {
    browser: 'chromium',
    ctx,
    page,
    worker,
    server,
    dir,
    ...server,
    /** The pids of every host process Chromium started, in order. */
    hostPids: b.hostPids,
    hostLog: b.hostLog,
    /** The background's view of the host: {locked, connected}, asked from an extension page. */
    async hostStatus() {
      const ext = await ctx.newPage();
      try {
        await ext.goto(`chrome-extension://${EXTENSION_ID}/src/ui/options.html`);
        return (await ext.evaluate(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'status' }))).result;
      } finally {
        await ext.close();
      }
    },
    /** Kills the current host process and waits until the background has noticed. */
    async killHost() {
      const pids = await h.hostPids();
      process.kill(pids[pids.length - 1], 'SIGKILL');
      const deadline = Date.now() + UI_TIMEOUT;
      while ((await h.hostStatus()).connected) {
        if (Date.now() > deadline) throw new Error('the background did not notice the host exit');
        await new Promise((ok) => setTimeout(ok, 100));
      }
    },
    /** Opens `path` on `origin` (default: the secure localhost origin) in the main page. */
    async goto(path = '/blank.html', origin = server.origin) {
      await page.goto(`${origin}${path}`);
      return page;
    },
    /** Waits for one of credwell's UI pages (unlock, chooser, prompt) to open; returns it. */
    async waitForUi(name, timeout = UI_TIMEOUT) {
      const deadline = Date.now() + timeout;
      for (;;) {
        for (const p of ctx.pages()) {
          if (!consumed.has(p) && !p.isClosed() && p.url().startsWith(`chrome-extension://${EXTENSION_ID}/src/ui/${name}.html`)) {
            consumed.add(p);
            await p.waitForLoadState('domcontentloaded');
            return p;
          }
        }
        if (Date.now() > deadline) {
          throw new Error(`no ${name} page within ${timeout} ms; open: ${ctx.pages().map((p) => p.url()).join(', ')}`);
        }
        await new Promise((ok) => setTimeout(ok, 50));
      }
    },
    /** How many UI pages of this kind are open now. */
    uiCount(name) {
      return ctx.pages().filter((p) => !p.isClosed() && p.url().startsWith(`chrome-extension://${EXTENSION_ID}/src/ui/${name}.html`)).length;
    },
    /**
     * Opens `path` with `source` as its fragment: pages/run.html runs it as the page loads, with
     * no user gesture (Playwright's evaluate gives one in Chromium).
     */
    gotoRun(source, origin = server.origin) {
      return h.goto(`/run.html#${encodeURIComponent(source)}`, origin);
    },
    /** Runs `fn(arg)` in `frame` with transient user activation (Playwright's evaluate gives it). */
    withGesture(frame, fn, arg) {
      return frame.evaluate(fn, arg);
    },
    /** Whether a UI page of this kind is open now. */
    uiOpen(name) {
      return ctx.pages().some((p) => !p.isClosed() && p.url().startsWith(`chrome-extension://${EXTENSION_ID}/src/ui/${name}.html`));
    },
    /**
     * Runs `action` (a click or key press that makes `ui` close itself) and waits for the close.
     * The page may close while Playwright still finishes the action: that is not an error.
     */
    async closing(ui, action) {
      const closed = ui.waitForEvent('close', { timeout: UI_TIMEOUT });
      closed.catch(() => {});
      try {
        await action();
      } catch (e) {
        if (!/closed/i.test(String(e?.message))) throw e;
      }
      await closed;
    },
    /**
     * Waits until a credwell window takes input: its input guard (src/ui/guard.js) sets
     * <html data-armed="true"> once the window has been shown and focused long enough. Pages
     * without the guard (manager, popup, options) have no data-armed and pass at once.
     */
    async uiArmed(ui) {
      await ui.locator('html:not([data-armed="false"])').waitFor({ state: 'attached' });
    },
    /** Clicks `selector` in a UI page that closes itself in answer. */
    async clickAndClose(ui, selector) {
      await ui.locator(selector).first().waitFor({ state: 'visible' });
      await h.uiArmed(ui);
      await h.closing(ui, () => ui.locator(selector).first().click({ noWaitAfter: true }));
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
      await ui.locator(`#${button}`).waitFor({ state: 'visible' });
      const text = await ui.locator('main').innerText();
      await h.clickAndClose(ui, `#${button}`);
      return text;
    },
    /**
     * Stores a password credential from `frame` (default: the page), driving the unlock page
     * when asked and answering the save prompt with `answer`.
     */
    async storePassword(data, { frame = page, unlock = false, answer = 'save' } = {}) {
      const stored = frame.evaluate((d) => navigator.credentials.store(new PasswordCredential(d)).then((r) => String(r)), data);
      if (unlock) await h.unlock();
      if (answer) await h.answerPrompt(answer);
      return stored;
    },
    // ---- the driver-neutral surface shared with lib/firefox.mjs (scenarios/) ----
    /** Runs `fn(arg)` in an extension page (the options page) and returns its result. */
    async extensionEval(fn, arg) {
      const ext = await ctx.newPage();
      try {
        await ext.goto(`chrome-extension://${EXTENSION_ID}/src/ui/options.html`);
        return await ext.evaluate(fn, arg);
      } finally {
        await ext.close();
      }
    },
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
    /** Whether the UI page has closed. */
    async uiClosed(ui) {
      return ui.isClosed();
    },
    /** Waits until the UI page has closed (by itself or the background). */
    async waitUiClosed(ui) {
      if (!ui.isClosed()) await ui.waitForEvent('close', { timeout: UI_TIMEOUT });
    },
    /** Closes a UI page as the user would (its window goes away). */
    async closeUiWindow(ui) {
      await ui.close();
    },
    /** Focuses `selector` in a UI page and presses `key` (a Playwright key name, e.g. 'Enter'). */
    async uiPress(ui, selector, key) {
      await h.uiArmed(ui);
      await ui.locator(selector).first().focus();
      try {
        await ui.keyboard.press(key);
      } catch (e) {
        // The page may close itself in answer to the key.
        if (!/closed/i.test(String(e?.message))) throw e;
      }
    },
    /** Presses `key` (a Playwright key name) in a UI page, wherever its focus is. */
    async uiKey(ui, key) {
      await h.uiArmed(ui);
      try {
        await ui.keyboard.press(key);
      } catch (e) {
        if (!/closed/i.test(String(e?.message))) throw e;
      }
    },
    /** Opens a new tab, optionally at `url`; it has evaluate(fn, arg). */
    newTab: b.newPage,
    async closeTab(tab) {
      await tab.close();
    },
    /** Opens one of the extension's pages (e.g. 'src/ui/manager.html') in a new tab. */
    openExtensionPage(path) {
      return h.newTab(`chrome-extension://${EXTENSION_ID}/${path}`);
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
  return h;
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

/**
 * A node:test test with a fresh browser profile and host: `fn(h, t)`. On failure the host's log
 * is appended to the error.
 */
export async function withBrowser(options, fn) {
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
export async function addFrame(page, { src, sandbox, srcdoc, allow, parent = page.mainFrame(), name }) {
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
  const frame = page.frames().find((f) => f.name() === frameName);
  if (!frame) throw new Error(`no frame ${frameName}`);
  return frame;
}
