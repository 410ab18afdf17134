// Driving Debian's Firefox ESR over raw WebDriver BiDi (Firefox's own remote port; no
// geckodriver, no Playwright: Playwright needs a patched Firefox). Part of the browser layer
// (index.mjs) the e2e harness and the demo share.
//
// The profile's prefs (firefoxPrefs) keep the browser on loopback and quiet: no network but the
// test server, no first-run pages, updates or telemetry, and full timer precision for benches.

import { spawn } from 'node:child_process';
import WebSocket from 'ws';

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** A WebDriver BiDi connection: send(method, params) → result; on(event, fn). */
export class Bidi {
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

  /** Opens `url` (the `ws` package's WebSocket). */
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

  off(event, fn) {
    const list = this.listeners.get(event) ?? [];
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  close() {
    this.ws.close();
  }
}

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

  /** options.userActivation: run with transient user activation (as after a click). */
  async evaluate(fn, arg, { userActivation = false } = {}) {
    const source = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
    // The argument goes in as a JS literal; the result comes back in BiDi's own serialization,
    // so neither depends on the page's (possibly overwritten) JSON.
    const expression = `(${source})(${arg === undefined ? 'undefined' : JSON.stringify(arg)})`;
    const r = await this.bidi.send('script.evaluate', {
      expression,
      target: { context: this.context },
      awaitPromise: true,
      userActivation,
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
 * The profile prefs for a test or demo browser (loopback only, no first-run pages, no updates or
 * telemetry, real timer precision), plus `proxyPort`: every http host that is not localhost or
 * 127.0.0.1 goes to that loopback port as its proxy (https to a closed port), and `uuids`: pinned
 * moz-extension UUIDs by add-on id (extensions.webextensions.uuids), so extension pages have a
 * known URL.
 */
export function firefoxPrefs({ proxyPort = 9, uuids = {} } = {}) {
  return {
    'network.proxy.type': 1,
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': proxyPort,
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
    'extensions.webextensions.uuids': JSON.stringify(uuids),
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'extensions.systemAddon.update.enabled': false,
    'browser.newtabpage.enabled': false,
    'privacy.reduceTimerPrecision': false,
    'dom.disable_open_during_load': false,
  };
}

/** A profile's user.js for `prefs`. */
export function userJs(prefs) {
  return `${Object.entries(prefs)
    .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
    .join('\n')}\n`;
}

/**
 * Starts Firefox on `profile` (a dir with its user.js) with HOME=`home` (where it looks for
 * native-messaging host manifests: $HOME/.mozilla/native-messaging-hosts/; it also keeps Firefox
 * from creating ~/.cache/mozilla in the real home), opens a BiDi session and installs
 * `extension` (an unpacked dir, or an .xpi / .zip) as a temporary add-on.
 * Returns {bidi, capabilities, child, exited, browserLog(), close()} (capabilities: session.new's,
 * browserVersion among them); close() ends the session and Firefox.
 */
export async function launchFirefox({ binary, profile, home, extension, headless = true, args = [], env = {} }) {
  const childEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: `${home}/.cache`, XDG_CONFIG_HOME: `${home}/.config`, ...env };
  if (headless) childEnv.MOZ_HEADLESS = '1';
  else delete childEnv.MOZ_HEADLESS;
  const child = spawn(
    binary,
    [...(headless ? ['--headless'] : []), '--remote-allow-system-access', '--no-remote', '--profile', profile, '--remote-debugging-port', '0', ...args, 'about:blank'],
    { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
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
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`Firefox exited (${code ?? signal}) before BiDi was ready:\n${browserLog}`));
    });
  });
  let bidi;
  let capabilities = {};
  const close = async () => {
    try {
      bidi?.close();
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
  };
  try {
    bidi = await Bidi.connect(`${wsUrl.replace(/\/$/, '')}/session`);
    ({ capabilities } = await bidi.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true, unhandledPromptBehavior: { default: 'ignore' } } } }));
    const extensionData = /\.(xpi|zip)$/.test(extension) ? { type: 'archivePath', path: extension } : { type: 'path', path: extension };
    await bidi.send('webExtension.install', { extensionData });
  } catch (e) {
    await close();
    throw e;
  }
  return { bidi, capabilities, child, exited, browserLog: () => browserLog, close };
}
