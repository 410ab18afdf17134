// Firefox harness: the same shape as lib/harness.mjs (Chromium), driving Debian's Firefox ESR over
// raw WebDriver BiDi (Firefox's own remote port; no geckodriver, no Playwright: Playwright needs
// a patched Firefox).
//
// Each test calls start(); close() ends Firefox, the host and the server and removes the temp
// dir. Firefox runs with HOME set to a throwaway dir inside it: that is where it looks for the
// native-messaging host manifest ($HOME/.mozilla/native-messaging-hosts/), and it keeps Firefox
// from creating ~/.cache/mozilla in the real home.

import WebSocket from 'ws';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_NAME } from '../../extension/src/id.js';
import { EXTENSION_DIR, HOST_BIN, PASSPHRASE, UI_TIMEOUT, startServer, writeHostWrapper } from './harness.mjs';

export { getCredential, settle, PASSPHRASE, UI_TIMEOUT, REPO, HOST_BIN, EXTENSION_DIR } from './harness.mjs';

export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
/** The add-on id (manifest browser_specific_settings.gecko.id). */
export const GECKO_ID = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')).browser_specific_settings.gecko.id;
/** The moz-extension:// host, pinned by the extensions.webextensions.uuids pref. */
export const EXTENSION_UUID = '6c7c1a3e-4f0b-4d38-9a51-c4ed5e11a001';
export const EXTENSION_ORIGIN = `moz-extension://${EXTENSION_UUID}`;

// firefox.md §5/§6: loopback only, no first-run pages, real timer precision; plus a pinned
// extension UUID. Every other http host goes through the test server as its proxy (it serves the
// same pages whatever the host): that gives a non-secure origin on loopback, http://insecure.test
// (not potentially trustworthy, unlike localhost/127.0.0.1); https goes to a closed port.
function userJs(serverPort, prefs) {
  const all = {
    'network.proxy.type': 1,
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': serverPort,
    'network.proxy.ssl': '127.0.0.1',
    'network.proxy.ssl_port': 9,
    'network.proxy.no_proxies_on': 'localhost, 127.0.0.1',
    'network.proxy.allow_hijacking_localhost': false,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'browser.aboutwelcome.enabled': false,
    'startup.homepage_welcome_url': '',
    'browser.tabs.warnOnClose': false,
    'app.update.disabledForTesting': true,
    'extensions.update.enabled': false,
    'extensions.getAddons.cache.enabled': false,
    'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'extensions.systemAddon.update.enabled': false,
    'browser.newtabpage.enabled': false,
    'privacy.reduceTimerPrecision': false,
    'dom.disable_open_during_load': false,
    ...prefs,
  };
  return Object.entries(all)
    .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
    .join('\n');
}

/** A WebDriver BiDi connection: send(method, params) → result; on(event, fn). */
class Bidi {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.id !== undefined && this.pending.has(m.id)) {
        const { ok, fail, method } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.type === 'success') ok(m.result);
        else fail(Object.assign(new Error(`${method}: ${m.error}: ${m.message}`), { bidiError: m.error }));
      } else if (m.type === 'event') {
        for (const fn of this.listeners.get(m.method) ?? []) fn(m.params);
      }
    });
    ws.on('close', () => {
      for (const { fail, method } of this.pending.values()) fail(new Error(`${method}: the BiDi connection closed`));
      this.pending.clear();
    });
  }

  static async connect(url) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((ok, fail) => {
      ws.once('open', ok);
      ws.once('error', fail);
    });
    return new Bidi(ws);
  }

  send(method, params = {}) {
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail, method });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(fn);
  }

  close() {
    this.ws.close();
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A BiDi RemoteValue as plain data (as Playwright's evaluate would return it). */
export function fromRemote(v) {
  switch (v?.type) {
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'string':
    case 'boolean':
      return v.value;
    case 'number':
      return { NaN: NaN, '-0': -0, Infinity: Infinity, '-Infinity': -Infinity }[v.value] ?? v.value;
    case 'bigint':
      return BigInt(v.value);
    case 'array':
    case 'set':
      return (v.value ?? []).map(fromRemote);
    case 'object':
    case 'map': {
      const out = {};
      for (const [k, val] of v.value ?? []) out[typeof k === 'string' ? k : String(fromRemote(k))] = fromRemote(val);
      return out;
    }
    case 'date':
      return new Date(v.value);
    case 'regexp':
      return new RegExp(v.value.pattern, v.value.flags);
    default:
      // error, node, window, function, promise, ...: what Playwright gives for them ({}).
      return {};
  }
}

/**
 * A browsing context (tab, popup window or iframe) with Playwright's evaluate(fn, arg) shape:
 * `fn` is sent as source and called with `arg` (JSON); its (awaited) result comes back as JSON,
 * `undefined` included. A throw rejects with the page's message.
 */
export class Frame {
  constructor(bidi, context, url = '') {
    this.bidi = bidi;
    this.context = context;
    this.initialUrl = url;
  }

  async evaluate(fn, arg) {
    const source = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
    // The argument goes in as a JS literal; the result comes back in BiDi's own serialization,
    // so neither depends on the page's (possibly overwritten) JSON.
    const expression = `(${source})(${arg === undefined ? 'undefined' : JSON.stringify(arg)})`;
    const r = await this.bidi.send('script.evaluate', {
      expression,
      target: { context: this.context },
      awaitPromise: true,
      resultOwnership: 'none',
      serializationOptions: { maxObjectDepth: null, includeShadowTree: 'none' },
    });
    if (r.type === 'exception') {
      const d = r.exceptionDetails;
      throw new Error(`evaluate in ${this.context}: ${d?.text ?? 'exception'}`);
    }
    return fromRemote(r.result);
  }

  /** The current URL (from the browser's tree). */
  async url() {
    const { contexts } = await this.bidi.send('browsingContext.getTree', { root: this.context, maxDepth: 0 });
    return contexts[0]?.url ?? '';
  }
}

/**
 * Starts the server, a fresh profile with the host manifest under a throwaway HOME, Firefox with
 * the extension installed (temporary add-on over BiDi), and opens a tab.
 * options.env: extra environment for the host; options.prefs: extra Firefox prefs;
 * options.server: a started server to use (and not close); options.extension: another extension
 * to install, an unpacked dir or an .xpi (e.g. extension/build.mjs's dist/credwell-firefox.xpi).
 */
export async function start(options = {}) {
  if (!existsSync(HOST_BIN)) throw new Error(`${HOST_BIN} is missing: run cargo build -p credwell-host`);
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} is missing: apt-get install -y firefox-esr`);
  const ownServer = !options.server;
  const server = options.server ?? (await startServer());
  const dir = await mkdtemp(join(tmpdir(), 'credwell-ff-'));
  const home = join(dir, 'home');
  const profile = join(dir, 'profile');
  const hosts = join(home, '.mozilla', 'native-messaging-hosts');
  await mkdir(hosts, { recursive: true });
  await mkdir(profile, { recursive: true });
  const wrapper = await writeHostWrapper(dir, options.env);
  await writeFile(
    join(hosts, `${HOST_NAME}.json`),
    JSON.stringify({
      name: HOST_NAME,
      description: 'credwell native host (e2e, Firefox)',
      path: wrapper,
      type: 'stdio',
      allowed_extensions: [GECKO_ID],
    }),
  );
  await writeFile(join(profile, 'user.js'), `${userJs(server.port, options.prefs ?? {})}\n`);

  const child = spawn(
    FIREFOX,
    ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port', '0', 'about:blank'],
    {
      env: { ...process.env, HOME: home, MOZ_HEADLESS: '1', XDG_CACHE_HOME: join(home, '.cache'), XDG_CONFIG_HOME: join(home, '.config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let browserLog = '';
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  const wsUrl = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`Firefox did not open its BiDi port within 60 s:\n${browserLog}`)), 60_000);
    const onData = (data) => {
      browserLog += data.toString();
      const m = /WebDriver BiDi listening on (ws:\/\/[^\s]+)/.exec(browserLog);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', (d) => {
      browserLog += d.toString();
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`Firefox exited (${code ?? signal}) before BiDi was ready:\n${browserLog}`));
    });
  });
  const bidi = await Bidi.connect(`${wsUrl.replace(/\/$/, '')}/session`);
  const cleanup = async () => {
    try {
      bidi.close();
    } catch {
      // already closed
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (ownServer) await server.close();
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await bidi.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true, unhandledPromptBehavior: { default: 'ignore' } } } });
    const extension = options.extension ?? EXTENSION_DIR;
    const extensionData = extension.endsWith('.xpi') || extension.endsWith('.zip') ? { type: 'archivePath', path: extension } : { type: 'path', path: extension };
    await bidi.send('webExtension.install', { extensionData });
    await bidi.send('session.subscribe', { events: ['browsingContext.contextDestroyed', 'log.entryAdded'] });
  } catch (e) {
    await cleanup();
    throw e;
  }
  const destroyed = new Set();
  bidi.on('browsingContext.contextDestroyed', (p) => destroyed.add(p.context));
  const consoleListeners = [];
  bidi.on('log.entryAdded', (entry) => {
    for (const fn of consoleListeners) fn(entry);
  });

  const { contexts } = await bidi.send('browsingContext.getTree', { maxDepth: 0 });
  const page = new Frame(bidi, contexts[0].context);
  const consumed = new Set();
  const uiUrl = (name) => `${EXTENSION_ORIGIN}/src/ui/${name}.html`;
  const topLevel = async () => (await bidi.send('browsingContext.getTree', { maxDepth: 0 })).contexts;

  const h = {
    browser: 'firefox',
    bidi,
    page,
    server,
    dir,
    home,
    profile,
    child,
    ...server,
    extensionOrigin: EXTENSION_ORIGIN,
    browserLog: () => browserLog,
    async hostPids() {
      try {
        return (await readFile(join(dir, 'host.pids'), 'utf8')).split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    async hostLog() {
      try {
        return await readFile(join(dir, 'host.log'), 'utf8');
      } catch {
        return '';
      }
    },
    /** Console messages (BiDi log.entryAdded) from any context: fn({level, text, args, source}). */
    onConsole(fn) {
      consoleListeners.push(fn);
    },
    /** Opens a new tab and returns it as a Frame (optionally navigated to `url`). */
    async newTab(url) {
      const { context } = await bidi.send('browsingContext.create', { type: 'tab', background: true });
      const tab = new Frame(bidi, context);
      if (url) await bidi.send('browsingContext.navigate', { context, url, wait: 'complete' });
      return tab;
    },
    async closeTab(tab) {
      await bidi.send('browsingContext.close', { context: tab.context }).catch(() => {});
    },
    /** Opens one of the extension's pages (e.g. 'src/ui/manager.html') in a new tab. */
    async openExtensionPage(path) {
      const tab = await h.newTab(`${EXTENSION_ORIGIN}/${path}`);
      await bidi.send('browsingContext.activate', { context: tab.context }).catch(() => {});
      return tab;
    },
    /** Runs `fn(arg)` in an extension page (the options page) and returns its result. */
    async extensionEval(fn, arg) {
      const tab = await h.newTab(`${EXTENSION_ORIGIN}/src/ui/options.html`);
      try {
        return await tab.evaluate(fn, arg);
      } finally {
        await h.closeTab(tab);
      }
    },
    /** The background's view of the host: {locked, connected}, asked from an extension page. */
    async hostStatus() {
      return (await h.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'status' }))).result;
    },
    /** Kills the current host process and waits until the background has noticed. */
    async killHost() {
      const pids = await h.hostPids();
      process.kill(pids[pids.length - 1], 'SIGKILL');
      const deadline = Date.now() + UI_TIMEOUT;
      while ((await h.hostStatus()).connected) {
        if (Date.now() > deadline) throw new Error('the background did not notice the host exit');
        await sleep(100);
      }
    },
    /** Opens `path` on `origin` (default: the secure localhost origin) in the main tab. */
    async goto(path = '/blank.html', origin = server.origin) {
      await bidi.send('browsingContext.navigate', { context: page.context, url: `${origin}${path}`, wait: 'complete' });
      return page;
    },
    /** Waits for one of credwell's UI pages (unlock, chooser, prompt) to open; returns it. */
    async waitForUi(name, timeout = UI_TIMEOUT) {
      const deadline = Date.now() + timeout;
      for (;;) {
        for (const c of await topLevel()) {
          if (!consumed.has(c.context) && !destroyed.has(c.context) && c.url.startsWith(uiUrl(name))) {
            consumed.add(c.context);
            const ui = new Frame(bidi, c.context, c.url);
            // Wait until its script has run (the page is complete).
            const until = Date.now() + timeout;
            for (;;) {
              try {
                if ((await ui.evaluate(() => document.readyState)) === 'complete') break;
              } catch (e) {
                if (Date.now() > until) throw e;
              }
              await sleep(25);
            }
            return ui;
          }
        }
        if (Date.now() > deadline) {
          throw new Error(`no ${name} page within ${timeout} ms; open: ${(await topLevel()).map((c) => c.url).join(', ')}`);
        }
        await sleep(50);
      }
    },
    /** Whether a UI page of this kind is open now. */
    async uiOpen(name) {
      return (await topLevel()).some((c) => !destroyed.has(c.context) && c.url.startsWith(uiUrl(name)));
    },
    async uiClosed(ui) {
      if (destroyed.has(ui.context)) return true;
      return !(await topLevel()).some((c) => c.context === ui.context);
    },
    async waitUiClosed(ui, timeout = UI_TIMEOUT) {
      const deadline = Date.now() + timeout;
      while (!(await h.uiClosed(ui))) {
        if (Date.now() > deadline) throw new Error(`the UI page ${ui.initialUrl} did not close within ${timeout} ms`);
        await sleep(50);
      }
    },
    /** Waits for `selector` to exist and be rendered in a UI page. */
    async uiWait(ui, selector, timeout = UI_TIMEOUT) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const shown = await ui.evaluate((s) => {
          const el = document.querySelector(s);
          return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
        }, selector);
        if (shown) return;
        if (Date.now() > deadline) throw new Error(`${selector} not visible in ${ui.initialUrl} within ${timeout} ms`);
        await sleep(50);
      }
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
      await ui.evaluate((s) => document.querySelector(s).click(), selector);
    },
    /**
     * Focuses `selector` in a UI page and presses `key` ('Enter', 'Escape', 'Space' or one
     * character) as real key events (BiDi input.performActions).
     */
    async uiPress(ui, selector, key) {
      await h.uiWait(ui, selector);
      await bidi.send('browsingContext.activate', { context: ui.context }).catch(() => {});
      await ui.evaluate((s) => document.querySelector(s).focus(), selector);
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
      // Click after the evaluate returned: the page may close itself in answer.
      await ui.evaluate((s) => {
        const el = document.querySelector(s);
        setTimeout(() => el.click(), 0);
      }, selector);
      await h.waitUiClosed(ui);
    },
    /** Closes a UI page as the user would (its window goes away). */
    async closeUiWindow(ui) {
      await bidi.send('browsingContext.close', { context: ui.context }).catch(() => {});
      await h.waitUiClosed(ui);
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
    async storePassword(data, { frame = page, unlock = false, answer = 'save' } = {}) {
      const stored = frame.evaluate((d) => navigator.credentials.store(new PasswordCredential(d)).then((r) => String(r)), data);
      stored.catch(() => {});
      if (unlock) await h.unlock();
      if (answer) await h.answerPrompt(answer);
      return stored;
    },
    /** Adds an iframe to the page (or to options.parent, a Frame); returns its Frame once loaded. */
    addFrame(opts) {
      return addFrame(h, opts);
    },
    async close() {
      await cleanup();
    },
  };
  return h;
}

/** Adds an iframe to `parent` (default: the page) and returns it as a Frame once loaded. */
export async function addFrame(h, { src, sandbox, srcdoc, parent = h.page, name }) {
  const frameName = name ?? `f${Math.random().toString(36).slice(2, 8)}`;
  await parent.evaluate(
    ({ src, sandbox, srcdoc, frameName }) =>
      new Promise((ok, fail) => {
        const f = document.createElement('iframe');
        f.name = frameName;
        if (sandbox !== undefined) f.setAttribute('sandbox', sandbox);
        if (srcdoc !== undefined) f.srcdoc = srcdoc;
        if (src !== undefined) f.src = src;
        f.onload = () => ok();
        f.onerror = () => fail(new Error('iframe failed'));
        document.body.append(f);
      }),
    { src, sandbox, srcdoc, frameName },
  );
  // The child contexts of `parent`, in document order; ours is the last one added.
  const { contexts } = await h.bidi.send('browsingContext.getTree', { root: parent.context });
  const children = contexts[0]?.children ?? [];
  const child = children[children.length - 1];
  if (!child) throw new Error(`no child context for frame ${frameName}`);
  return new Frame(h.bidi, child.context, child.url);
}

/** A test body with a fresh Firefox and host: `fn(h)`. On failure the host's log is appended. */
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
