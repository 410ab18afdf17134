#!/usr/bin/env node
// credwell's browser demo. Serves demo/site/ on loopback, makes a throwaway browser profile and a
// throwaway (real, encrypted) vault, registers credwell-host for that profile and launches
// Debian's Chromium (default) or Firefox ESR (--browser firefox) with credwell's extension.
//
//   node demo/run.mjs [--browser chromium|firefox] [--headless] [--walkthrough] [--screenshots DIR] [--port N]
//
// With no display (DISPLAY unset) or --headless: walks through the tutorial's scenario, prints
// each step and its result, saves a screenshot of each step, and exits non-zero when a result is
// not the one the spec gives. With a display: opens the browser on the demo's index for a person
// and waits until the browser is closed (--walkthrough: run the scripted scenario in the visible
// window instead). Either way it ends by reading the vault file back and
// checking that no canary string (passwords, account names, origins) is in it in clear.
//
// Both browsers are launched by the browser layer the e2e suites use too (browsers/index.mjs):
// Chromium driven by playwright-core, Firefox over raw WebDriver BiDi (Playwright needs a patched
// Firefox), its host registered with `credwell install --firefox-home <throwaway home>`, the
// command a user runs.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { startServer } from './server.mjs';

const TIMEOUT = 30_000;
const PASSPHRASE = 'correct horse battery staple';
const CANARY = `credwell-canary-${randomBytes(4).toString('hex')}`;
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// ---------------------------------------------------------------------------------------------
// Command line

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node demo/run.mjs [--browser chromium|firefox] [--headless] [--walkthrough] [--screenshots DIR] [--port N]\n' +
      '  --browser B        chromium (default: Debian\'s chromium) or firefox (Debian\'s firefox-esr)\n' +
      '  --headless         walk through the scenario without a window (the default when DISPLAY is unset)\n' +
      '  --walkthrough      with a display: walk through the scenario in the visible browser\n' +
      '  --screenshots DIR  where the walkthrough saves its screenshots (default ./demo-screenshots)\n' +
      '  --port N           serve the site on this loopback port (default: any free port)\n' +
      'env: CREDWELL_HOST_BIN (default target/release/credwell-host, else target/debug/credwell-host), CHROMIUM,\n' +
      '     FIREFOX, CREDWELL_BIN (the credwell CLI that registers the host for Firefox; default: next to the host)\n',
  );
  process.exit(code);
}

const opts = { browser: 'chromium', headless: !process.env.DISPLAY, walkthrough: false, screenshots: resolve('demo-screenshots'), port: 0 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const value = () => process.argv[++i] ?? usage(2);
  if (a === '--headless') opts.headless = true;
  else if (a === '--walkthrough') opts.walkthrough = true;
  else if (a === '--browser') opts.browser = value();
  else if (a.startsWith('--browser=')) opts.browser = a.slice('--browser='.length);
  else if (a === '--screenshots') opts.screenshots = resolve(value());
  else if (a.startsWith('--screenshots=')) opts.screenshots = resolve(a.slice('--screenshots='.length));
  else if (a === '--port') opts.port = Number(value());
  else if (a === '-h' || a === '--help') usage(0);
  else {
    process.stderr.write(`unknown argument ${a}\n`);
    usage(2);
  }
}
if (!['chromium', 'firefox'].includes(opts.browser)) {
  process.stderr.write(`--browser must be chromium or firefox, not ${opts.browser}\n`);
  usage(2);
}

if (opts.headless) opts.walkthrough = true;

/** The browser layer (browsers/), with a hint when its npm packages were not installed. */
async function browserLayer() {
  try {
    return await import('../browsers/index.mjs');
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new Error(`${e.message}: run (cd browsers && npm ci) (or ./scripts/demo.sh)`);
  }
}
const layer = await browserLayer();

// ---------------------------------------------------------------------------------------------
// Throwaway dir (profile, vault) and the host's environment; the browser layer writes the host
// wrapper and registers it when it launches the browser.

async function setUp(browser) {
  const host = layer.hostBinary(['release', 'debug']);
  if (!existsSync(host)) throw new Error('credwell-host is not built: run `cargo build --release -p credwell-host` (or ./scripts/demo.sh)');
  const binary = layer.BINARIES[browser];
  if (!existsSync(binary)) throw new Error(`${binary} is missing: apt-get install ${layer.PACKAGES[browser]} (or ./scripts/demo.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'credwell-demo-'));
  const vaultDir = join(dir, 'vault');
  const vault = join(vaultDir, 'vault.sqlite');
  await mkdir(vaultDir, { mode: 0o700 });
  const env = {
    CREDWELL_VAULT: vault,
    // A fast unlock for a throwaway vault (still encrypted) when the caller asks for it: only a
    // host built with the test-only key derivation (scripts/test.sh's) accepts it; a release host
    // refuses to create a vault while it is set, so the release demo uses the real parameters.
    ...(process.env.CREDWELL_DANGER_INSECURE_KDF === '1' ? { CREDWELL_DANGER_INSECURE_KDF: '1' } : {}),
    CREDWELL_STORE_CONSENT: 'ask',
    CREDWELL_LOG: process.env.CREDWELL_LOG ?? 'warn',
  };
  return { dir, profile: join(dir, 'profile'), home: join(dir, 'home'), vaultDir, vault, host, hostEnv: env };
}

/**
 * Launches the browser through the layer: the demo's vault (never an ephemeral one) behind the
 * host; in Firefox, the host registered by `credwell install` (the CLI must be built).
 */
function launchBrowser(env, server, headless) {
  return layer.launch(opts.browser, {
    dir: env.dir,
    host: { bin: env.host, env: env.hostEnv, unset: ['CREDWELL_EPHEMERAL'] },
    headless,
    viewport: headless ? { width: 1000, height: 760 } : null,
    // Chromium: the site's origins all live on the loopback server; run.mjs ends the browser
    // itself on Ctrl-C, then checks the vault.
    args: ['--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1'],
    handleSignals: false,
    // Firefox: every http host but localhost/127.0.0.1 is proxied to the demo's loopback server
    // (*.localhost never leaves loopback anyway).
    proxyPort: server.port,
    requireCredwellInstall: true,
  });
}

// ---------------------------------------------------------------------------------------------
// The two browsers behind one small driver: drv.page (the tab), drv.ui(name) (credwell's unlock,
// prompt or chooser window, once it opened), drv.uiOpen(name), drv.press(tab, selector) (a click
// that makes a credwell window close itself), drv.clearCookies(), drv.nextConsoleObject() (what
// the page's next console.log(object) logged), drv.whenClosed() and drv.close(). A tab has
// goto, reload, url, evaluate, fill, click, text, texts, value, attr, hidden, waitVisible,
// waitText, waitFunction, waitUrl and screenshot.

// What both drivers share, over the layer's calls on credwell's windows; `tab(win)` wraps the
// layer's page or window (a Playwright Page or a BiDi Frame) as a tab.
function driver(b, tab) {
  return {
    version: b.version,
    page: tab(b.page),
    // credwell's extension pages (unlock, prompt, chooser) open as popup windows: find one once
    // its input guard takes clicks and keys (shown and focused for 500 ms).
    async ui(name) {
      const win = await b.waitForWindow(name, TIMEOUT);
      await b.windowArmed(win);
      return tab(win);
    },
    uiOpen: (name) => b.windowOpen(name),
    async press(t, selector) {
      await t.waitVisible(selector);
      await b.closing(t.raw, () => t.click(selector, { noWaitAfter: true }));
    },
    close: () => b.close(),
  };
}

// The Chromium driver over the layer's launch: Playwright's context and first page.
function chromiumDriver(b) {
  const { ctx } = b;
  const tab = (p) => ({
    goto: (url) => p.goto(url),
    reload: () => p.reload(),
    url: async () => p.url(),
    evaluate: (fn, arg) => p.evaluate(fn, arg),
    fill: (s, v) => p.fill(s, v),
    click: (s, options) => p.locator(s).first().click(options),
    text: (s) => p.locator(s).first().innerText(),
    texts: (s) => p.locator(s).allInnerTexts(),
    value: (s) => p.inputValue(s),
    attr: (s, name) => p.locator(s).first().getAttribute(name),
    hidden: (s) => p.locator(s).first().isHidden(),
    waitVisible: (s) => p.locator(s).first().waitFor({ state: 'visible' }),
    waitText: (s, re) => p.locator(s, { hasText: re }).first().waitFor(),
    waitFunction: (fn) => p.waitForFunction(fn),
    waitUrl: (match) => p.waitForURL((u) => match(u.href)),
    screenshot: (file) => p.screenshot({ path: file }),
    raw: p,
  });
  const { page } = b;
  return {
    ...driver(b, tab),
    clearCookies: () => ctx.clearCookies(),
    nextConsoleObject() {
      return new Promise((ok) => {
        const listener = async (msg) => {
          const arg = msg.args()[0];
          if (msg.type() !== 'log' || !arg) return;
          page.off('console', listener);
          ok(await arg.evaluate((e) => ({ name: e?.name, message: e?.message, typeError: e instanceof TypeError })));
        };
        page.on('console', listener);
      });
    },
    whenClosed: () => new Promise((ok) => ctx.once('close', ok)),
  };
}

// Runs in a page (as source): the element for a selector; `text=T` is the button or link whose
// text is T (as in Playwright).
const FIND = `(s) => {
  if (!s.startsWith('text=')) return document.querySelector(s);
  const t = s.slice(5);
  return [...document.querySelectorAll('button, a, input[type=submit], input[type=button], [role=button]')].find((e) => (e.innerText ?? e.value ?? '').trim() === t) ?? null;
}`;

// The Firefox driver over the layer's launch: a BiDi session and the first tab's context.
function firefoxDriver(b) {
  const { bidi } = b;
  const { context } = b.page;

  const poll = (what, fn) => layer.poll(what, fn, TIMEOUT);
  const tab = (frame) => {
    const ctxId = frame.context;
    // evaluate of a source string `(selector, arg) => …` with the element finder in scope.
    // (Frame.evaluate sends a function's source text; one made from a string keeps that text.)
    const withEl = (src, selector, arg) =>
      frame.evaluate(new Function(`return ({ s, a }) => { const el = (${FIND})(s); return (${src})(el, a); }`)(), { s: selector, a: arg });
    const visible = (selector) => withEl('(el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"', selector);
    const t = {
      context: ctxId,
      raw: frame,
      goto: (url) => bidi.send('browsingContext.navigate', { context: ctxId, url, wait: 'complete' }),
      reload: () => bidi.send('browsingContext.reload', { context: ctxId, wait: 'complete' }),
      url: () => frame.evaluate(() => location.href).catch(() => frame.url()),
      evaluate: (fn, arg) => frame.evaluate(fn, arg),
      waitVisible: (s) => poll(`${s} not visible`, () => visible(s)),
      async fill(s, v) {
        await t.waitVisible(s);
        await withEl(
          `(el, v) => { el.focus(); el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); }`,
          s,
          v,
        );
      },
      // A real click (BiDi input actions: the pointer moves to the element's centre, presses and
      // releases), like Playwright's.
      async click(s) {
        await t.waitVisible(s);
        const r = await bidi.send('script.evaluate', {
          expression: `(${FIND})(${JSON.stringify(s)})`,
          target: { context: ctxId },
          awaitPromise: false,
          resultOwnership: 'none',
        });
        const sharedId = r.result?.sharedId;
        if (!sharedId) throw new Error(`${s}: no element to click`);
        await withEl('(el) => el.scrollIntoView({ block: "center", inline: "center" })', s);
        await bidi
          .send('input.performActions', {
            context: ctxId,
            actions: [
              {
                type: 'pointer',
                id: 'mouse',
                parameters: { pointerType: 'mouse' },
                actions: [
                  { type: 'pointerMove', x: 0, y: 0, origin: { type: 'element', element: { sharedId } } },
                  { type: 'pointerDown', button: 0 },
                  { type: 'pointerUp', button: 0 },
                ],
              },
            ],
          })
          .catch((e) => {
            // A credwell window may close itself in answer.
            if (!/no such frame|no such window|discarded|closed|destroyed/i.test(String(e?.message))) throw e;
          });
      },
      text: async (s) => {
        await poll(`no ${s}`, () => withEl('(el) => !!el', s));
        return withEl('(el) => el.innerText', s);
      },
      texts: (s) => frame.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => e.innerText), s),
      value: (s) => withEl('(el) => el.value', s),
      attr: (s, name) => withEl('(el, n) => el?.getAttribute(n) ?? null', s, name),
      hidden: async (s) => !(await visible(s)),
      waitText: (s, re) => poll(`${s} never matched ${re}`, () => withEl('(el, r) => !!el && new RegExp(r[0], r[1]).test(el.innerText)', s, [re.source, re.flags])),
      waitFunction: (fn) => poll('the page never got there', () => frame.evaluate(fn)),
      waitUrl: (match) => poll('the page never got to the expected URL', async () => match(await t.url())),
      async screenshot(file) {
        const { data } = await bidi.send('browsingContext.captureScreenshot', { context: ctxId });
        await writeFile(file, Buffer.from(data, 'base64'));
      },
    };
    return t;
  };
  return {
    ...driver(b, tab),
    clearCookies: () => bidi.send('storage.deleteCookies', {}),
    nextConsoleObject() {
      // BiDi sends console arguments as remote values (an Error as {type: 'error'}, without its
      // properties) and the message as text: "TypeError: …".
      return new Promise((ok) => {
        const listener = (entry) => {
          const arg = entry.args?.[0];
          if (entry.type !== 'console' || entry.method !== 'log' || entry.source?.context !== context || !arg) return;
          if (!['error', 'object'].includes(arg.type)) return;
          bidi.off('log.entryAdded', listener);
          const m = /^(\w*Error): ([^]*)$/.exec(entry.text ?? '');
          ok({ name: m?.[1], message: m?.[2] ?? entry.text, typeError: arg.type === 'error' && m?.[1] === 'TypeError' });
        };
        bidi.on('log.entryAdded', listener);
      });
    },
    whenClosed: () => b.exited,
  };
}

/** After the browser closed: wait until every host process it started has exited. */
async function hostsGone(dir) {
  const deadline = Date.now() + 10_000;
  for (const pid of await layer.hostPids(dir)) {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  }
  return true;
}

/** Reads every file the vault left behind and looks for each needle, case-insensitively. */
async function checkVault(vaultDir, needles) {
  const files = (await readdir(vaultDir)).sort();
  const found = [];
  let bytes = 0;
  for (const f of files) {
    const data = (await readFile(join(vaultDir, f))).toString('latin1').toLowerCase();
    bytes += data.length;
    for (const n of needles) if (data.includes(n.toLowerCase())) found.push(`${n} in ${f}`);
  }
  return { files, bytes, found };
}

// ---------------------------------------------------------------------------------------------
// Transcript

const out = (s = '') => process.stdout.write(`${s}\n`);
let failures = 0;

function check(ok, what) {
  out(`     ${ok ? 'ok  ' : 'FAIL'}  ${what}`);
  if (!ok) failures++;
  return ok;
}

// ---------------------------------------------------------------------------------------------
// The headless walkthrough (the same steps and checks in both browsers)

async function walkthrough(drv, server, shotsDir) {
  const { page } = drv;
  let stepNo = 0;
  let shotNo = 0;
  const t0 = Date.now();

  async function shot(p, name) {
    const file = join(shotsDir, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
    await p.screenshot(file);
    const rel = relative(process.cwd(), file);
    out(`     shot  ${rel.startsWith('..') ? file : rel}`);
  }
  async function step(title, fn) {
    stepNo++;
    const started = Date.now();
    out(`\n${stepNo}. ${title}`);
    await fn();
    out(`     (${Date.now() - started} ms)`);
  }
  const say = (label, text) => out(`     ${label.padEnd(4)}  ${text}`);

  async function unlockPage() {
    const u = await drv.ui('unlock');
    await u.fill('#passphrase', PASSPHRASE);
    await shot(u, 'unlock-page');
    say('ui', `credwell's unlock page opened; typed the passphrase (the first one creates the vault), pressed Unlock`);
    await drv.press(u, '#unlock');
  }
  async function savePrompt(name) {
    const p = await drv.ui('prompt');
    await p.waitVisible('#save');
    const text = [await p.text('#title'), await p.text('#origin'), `Account: ${await p.text('#account')}`, (await p.hidden('#provider')) ? '' : await p.text('#provider')].filter(Boolean).join(' | ');
    await shot(p, name);
    say('ui', `save prompt: "${text}" → Save`);
    await drv.press(p, '#save');
    return text;
  }
  async function chooser(name) {
    const c = await drv.ui('chooser');
    await c.waitVisible('button.account');
    const accounts = (await c.texts('button.account')).map((a) => a.replace(/^\S\n/, '').replace(/\s*\n\s*/g, ' '));
    await shot(c, name);
    say('ui', `account chooser for ${await c.text('#origin')}: ${accounts.map((a) => `[${a}]`).join(' ')}`);
    return { page: c, accounts };
  }

  // The Example Site's log of navigator.credentials calls.
  const appLog = () => page.evaluate(() => window.demoLog ?? []);
  const logLength = async () => (await appLog().catch(() => [])).length;
  async function nextLogEntry(after, match) {
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const log = await appLog().catch(() => []);
      const e = log.slice(after).find((x) => x.result !== undefined && x.call.includes(match));
      if (e) {
        say('call', `${e.call} → ${e.result}`);
        return e;
      }
      if (Date.now() > deadline) throw new Error(`the page never logged ${match}`);
      await sleep(50);
    }
  }
  const state = () => page.attr('body', 'data-state');
  async function settled() {
    await page.waitFunction(() => document.body.dataset.state !== 'loading');
    return state();
  }
  const who = async () => ((await state()) === 'signed-in' ? `${await page.text('#who')} ${await page.text('#how')}` : '');

  const alice = { id: 'alice', password: `${CANARY}-tutorial` };
  const bob = { name: 'Bob Example', id: 'bob', password: `${CANARY}-signup` };

  await step("The tutorial's page, exactly as published: store() of a plain object", async () => {
    await page.goto(`${server.site}/tutorial/`);
    say('page', await page.url());
    // The tutorial's catch does console.log(error): take the first console.log of an object.
    const logged = drv.nextConsoleObject();
    await page.fill('#username', alice.id);
    await page.fill('#password', alice.password);
    say('do', `typed ${alice.id} / (password), pressed "Save credentials": store({username, password})`);
    await page.click('text=Save credentials');
    const error = await logged;
    say('got', `the page's catch logged ${error.name}: ${error.message}`);
    await page.evaluate((e) => {
      const p = document.createElement('pre');
      p.style.cssText = 'white-space:pre-wrap;color:#b3261e;font:13px monospace;margin-top:1em';
      p.textContent = `console: ${e.name}: ${e.message}`;
      document.body.append(p);
    }, error);
    await shot(page, 'tutorial-typeerror');
    check(error.typeError === true && error.name === 'TypeError', 'store() rejected with a TypeError (spec: the argument is not a Credential)');
    check(/PasswordCredential/.test(error.message ?? ''), 'the message tells the developer to use PasswordCredential');
    await sleep(300);
    check(!(await drv.uiOpen('unlock')) && !(await drv.uiOpen('prompt')), 'credwell asked the user nothing for a call the page got wrong');
  });

  await step('The same page corrected: store(new PasswordCredential({id, password}))', async () => {
    await page.goto(`${server.site}/tutorial-corrected/`);
    say('page', await page.url());
    await page.fill('#username', alice.id);
    await page.fill('#password', alice.password);
    say('do', `typed ${alice.id} / (password), pressed "Save credentials"`);
    await page.click('text=Save credentials');
    await unlockPage();
    const text = await savePrompt('save-prompt');
    check(text.includes(server.site) && text.includes(alice.id), `the prompt names the origin ${server.site} and the account ${alice.id}`);
    check(!text.includes(alice.password), 'the prompt does not show the password');
    await page.waitText('#status', /resolved|Error/);
    const status = await page.text('#status');
    say('got', status);
    await shot(page, 'corrected-stored');
    check(status === 'store() resolved: credentials saved', 'store() resolved (undefined) after the user chose Save');
  });

  await step("Reload: the page gets the credential back with mediation: 'silent'", async () => {
    await page.reload();
    await page.waitText('#status', /get\(\)|Error/);
    const status = await page.text('#status');
    const [id, pw] = [await page.value('#username'), await page.value('#password')];
    say('got', status);
    await shot(page, 'corrected-reload-silent-get');
    check(id === alice.id && pw === alice.password, 'get({password: true, mediation: "silent"}) returned the PasswordCredential, password included, without any UI');
    check(!(await drv.uiOpen('chooser')) && !(await drv.uiOpen('unlock')), 'no chooser, no unlock page');
  });

  let n = 0;
  await step(`The Example Site (${server.app}): sign up, store(new PasswordCredential(form))`, async () => {
    await page.goto(`${server.app}/`);
    say('page', await page.url());
    await nextLogEntry(0, "mediation: 'silent'");
    check((await settled()) === 'signed-out', 'first visit: the automatic sign-in found nothing for this origin (null), the page shows sign-in and sign-up');
    n = (await appLog()).length;
    await page.fill('#signup-form [name=name]', bob.name);
    await page.fill('#signup-form [name=username]', bob.id);
    await page.fill('#signup-form [name=password]', bob.password);
    say('do', `signed up as ${bob.name} (${bob.id}) with the form (autocomplete username / new-password)`);
    await page.click('#signup');
    const text = await savePrompt('signup-save-prompt');
    check(text.includes(server.app) && text.includes(bob.id), `the prompt names ${server.app} and ${bob.id}`);
    const e = await nextLogEntry(n, 'signUpForm');
    await shot(page, 'signed-up');
    check(e.result === 'undefined', 'store() resolved undefined');
    check((await who()).startsWith(bob.name), `signed in: ${await who()}`);
  });

  await step('The session expires; reload: automatic sign-in (mediation: silent)', async () => {
    await drv.clearCookies();
    say('do', "cleared the site's cookies (session gone), reloaded");
    n = await logLength();
    await page.reload();
    const e = await nextLogEntry(n, "mediation: 'silent'");
    await settled();
    await shot(page, 'automatic-sign-in');
    check(e.result.startsWith(`PasswordCredential {id: "${bob.id}"`), 'silent get returned the one saved PasswordCredential');
    check((await who()).startsWith(bob.name), `signed in again without a click: ${await who()}`);
  });

  await step('Sign out: preventSilentAccess()', async () => {
    n = (await appLog()).length;
    await page.click('#signout');
    const e = await nextLogEntry(n, 'preventSilentAccess');
    await shot(page, 'signed-out');
    check(e.result === 'undefined', 'preventSilentAccess() resolved undefined');
    check((await state()) === 'signed-out', 'signed out');
  });

  await step("Reload: silent get now returns null (the user signed out)", async () => {
    n = await logLength();
    await page.reload();
    const e = await nextLogEntry(n, "mediation: 'silent'");
    await settled();
    await shot(page, 'reload-silent-null');
    check(e.result === 'null', "get({mediation: 'silent'}) resolved null after preventSilentAccess()");
    check((await state()) === 'signed-out', 'still signed out; no UI was shown');
  });

  await step("Sign in: get({mediation: 'optional'}) shows credwell's account chooser", async () => {
    n = (await appLog()).length;
    say('do', 'pressed "Sign in"');
    await page.click('#signin');
    const c = await chooser('chooser');
    check(c.accounts.length === 1 && c.accounts[0].includes(bob.id), `the chooser lists the site's one account (${bob.id})`);
    say('do', `picked ${bob.name}`);
    await drv.press(c.page, `button.account[data-id="${bob.id}"]`);
    const e = await nextLogEntry(n, "mediation: 'optional'");
    await page.waitFunction(() => document.body.dataset.state === 'signed-in');
    await shot(page, 'signed-in-from-chooser');
    check(e.result.startsWith(`PasswordCredential {id: "${bob.id}"`), 'get() returned the picked PasswordCredential');
    check((await who()).startsWith(bob.name), `signed in again: ${await who()}`);
  });

  await step('Sign in with Example IdP: store(new FederatedCredential({id, provider}))', async () => {
    n = await logLength();
    await page.click('#signout');
    await nextLogEntry(n, 'preventSilentAccess');
    say('do', 'signed out, pressed "Sign in with Example IdP"');
    await page.click('#idp');
    await page.waitUrl((u) => u.startsWith(`${server.idp}/authorize?`));
    await page.waitVisible('#continue');
    say('page', (await page.url()).replace(/\?.*/, '?return=…'));
    await shot(page, 'idp-authorize');
    say('do', 'pressed "Continue as Carol" at the IdP; it sent the browser back with a one-time token');
    await page.click('#continue');
    n = await logLength();
    await page.waitUrl((u) => u.startsWith(`${server.app}/`));
    const text = await savePrompt('federated-save-prompt');
    check(text.includes(server.idp), `the prompt says the account signs in with ${server.idp}`);
    const e = await nextLogEntry(n, 'FederatedCredential');
    await shot(page, 'federated-signed-in');
    check(e.result === 'undefined', 'store(FederatedCredential) resolved undefined');
    check((await who()).startsWith('Carol'), `signed in: ${await who()}`);
  });

  await step('Sign out, sign in again: the chooser offers the password and the federated account', async () => {
    n = await logLength();
    await page.click('#signout');
    await nextLogEntry(n, 'preventSilentAccess');
    n = await logLength();
    say('do', 'signed out, pressed "Sign in"');
    await page.click('#signin');
    const c = await chooser('chooser-password-and-federated');
    check(c.accounts.length === 2 && c.accounts.some((a) => a.includes(bob.id)) && c.accounts.some((a) => a.includes('carol') && a.includes(server.idp)), 'both accounts listed, Carol via the IdP');
    say('do', 'picked Carol');
    await drv.press(c.page, 'button.account[data-id="carol"]');
    say('do', 'the site sent the browser to the provider (login_hint=carol); Carol is signed in there, so it came straight back');
    await page.waitUrl((u) => u === `${server.app}/`);
    await page.waitFunction(() => document.body.dataset.state === 'signed-in');
    const e = await nextLogEntry(n, "mediation: 'optional'");
    check(e.result.startsWith('FederatedCredential {id: "carol"') && e.result.includes(server.idp), 'get() returned the FederatedCredential with its provider');
    await shot(page, 'federated-signed-in-again');
    check((await who()).startsWith('Carol'), `signed in: ${await who()}`);
  });

  // Passkeys (Chromium; credwell's passkeys are not wired up in Firefox yet).
  if (opts.browser === 'chromium') {
    await step("Passkeys: Bob adds one (create({publicKey})), the server verifies it with @simplewebauthn/server", async () => {
      n = await logLength();
      await page.click('#signout');
      await nextLogEntry(n, 'preventSilentAccess');
      n = await logLength();
      say('do', 'signed out, pressed "Sign in", picked Bob (password)');
      await page.click('#signin');
      const c = await chooser('chooser-before-passkey');
      await drv.press(c.page, `button.account[data-id="${bob.id}"]`);
      await page.waitFunction(() => document.body.dataset.state === 'signed-in');
      n = await logLength();
      say('do', 'pressed "Add a passkey"');
      await page.click('#add-passkey');
      const consent = await drv.ui('passkey-create');
      await consent.waitVisible('#create');
      const text = [await consent.text('#title'), await consent.text('#origin'), `Site: ${await consent.text('#rp')}`, `Account: ${await consent.text('#account')}`].join(' | ');
      await shot(consent, 'passkey-create-prompt');
      say('ui', `passkey prompt: "${text}" → Create passkey`);
      check(text.includes(bob.id) && text.includes('app.localhost'), 'the prompt names the site and the account');
      await drv.press(consent, '#create');
      const verify = await drv.ui('passkey-verify');
      await verify.waitVisible('#passphrase');
      say('ui', `verify prompt: "${await verify.text('#purpose')}" → typed the vault passphrase`);
      await verify.fill('#passphrase', PASSPHRASE);
      await shot(verify, 'passkey-verify-prompt');
      await drv.press(verify, '#verify');
      const created = await nextLogEntry(n, 'parseCreationOptionsFromJSON');
      const server = await nextLogEntry(n, 'server: passkey registration');
      check(created.result.startsWith('PublicKeyCredential') && created.result.includes('"platform"'), 'create() returned a platform PublicKeyCredential');
      check(server.result.startsWith('verified, user verified'), 'the server verified the registration (user verified)');
      await shot(page, 'passkey-registered');
    });

    await step('Sign out, "Sign in with a passkey": get({publicKey}), verified by the server', async () => {
      n = await logLength();
      await page.click('#signout');
      await nextLogEntry(n, 'preventSilentAccess');
      n = await logLength();
      say('do', 'signed out, pressed "Sign in with a passkey"');
      await page.click('#passkey-signin');
      const chooserPage = await drv.ui('passkey-chooser');
      await chooserPage.waitVisible('#accounts button');
      const accounts = (await chooserPage.texts('#accounts button')).map((a) => a.replace(/^\S\n/, '').replace(/\s*\n\s*/g, ' '));
      await shot(chooserPage, 'passkey-chooser');
      say('ui', `passkey chooser for ${await chooserPage.text('#rp')}: ${accounts.map((a) => `[${a}]`).join(' ')}`);
      check(accounts.length === 1 && accounts[0].includes(bob.id), "the chooser lists Bob's passkey");
      await drv.press(chooserPage, '#accounts button[data-index="0"]');
      const verify = await drv.ui('passkey-verify');
      await verify.waitVisible('#passphrase');
      await verify.fill('#passphrase', PASSPHRASE);
      say('ui', 'verify prompt → typed the vault passphrase');
      await drv.press(verify, '#verify');
      await nextLogEntry(n, 'parseRequestOptionsFromJSON');
      const server = await nextLogEntry(n, 'server: passkey sign-in');
      await page.waitFunction(() => document.body.dataset.state === 'signed-in');
      check(server.result === `verified, ${bob.id}`, 'the server verified the assertion');
      check((await who()).includes('a passkey'), `signed in: ${await who()}`);
      await shot(page, 'passkey-signed-in');
    });
  }

  out(`\nwalkthrough: ${stepNo} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${shotNo} screenshots in ${shotsDir}`);
  return [alice.password, bob.password, bob.name];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const env = await setUp(opts.browser);
  const server = await startServer({ port: opts.port });
  const needlesBase = [CANARY, `localhost:${server.port}`, 'app.localhost', 'idp.localhost'];
  out(`credwell demo in ${opts.browser === 'firefox' ? 'Firefox' : 'Chromium'} (${opts.walkthrough ? `${opts.headless ? 'headless ' : ''}walkthrough` : 'the browser is yours'})`);
  out(`  site         ${server.site}/  (Example Site ${server.app}/, Example IdP ${server.idp}/)`);
  out(`  vault        ${env.vault}  (throwaway, encrypted; fast test key derivation)`);
  out(`  host         ${env.host}`);
  out(`  profile      ${env.profile}  (throwaway)`);
  if (opts.walkthrough) {
    await mkdir(opts.screenshots, { recursive: true });
    out(`  screenshots  ${opts.screenshots}`);
  }

  let drv;
  let extra = [];
  const finish = async () => {
    await drv?.close().catch(() => {});
    await server.close();
  };
  try {
    const t = Date.now();
    const b = await launchBrowser(env, server, opts.headless);
    drv = opts.browser === 'firefox' ? firefoxDriver(b) : chromiumDriver(b);
    out(`  browser      ${drv.version} started with credwell's extension in ${Date.now() - t} ms`);
    if (b.registered.by === 'credwell install') {
      out(`  registered   ${b.registered.command}`);
      out(`               → ${b.registered.manifests.join(', ')} (add-on ${b.registered.id})`);
      const manifest = JSON.parse(await readFile(b.registered.manifests[0], 'utf8'));
      check(
        manifest.name === layer.HOST_NAME && manifest.allowed_extensions?.length === 1 && manifest.allowed_extensions[0] === layer.GECKO_ID,
        `credwell install wrote the host manifest for the add-on id in extension/manifest.json (${layer.GECKO_ID})`,
      );
    }
    if (opts.walkthrough) {
      extra = await walkthrough(drv, server, opts.screenshots);
    } else {
      await drv.page.goto(`${server.site}/`);
      out(`\nThe browser is open on ${server.site}/`);
      out(`The first time a page needs the vault, credwell's unlock page asks for a passphrase: the first one you give creates the vault (e.g. "${PASSPHRASE}").`);
      out('Close the browser (or press Ctrl-C) to end the demo.');
      await new Promise((ok) => {
        drv.whenClosed().then(ok);
        process.once('SIGINT', ok);
        process.once('SIGTERM', ok);
      });
    }
  } catch (e) {
    failures++;
    out(`\nFAILED: ${e?.stack ?? e}`);
    const log = await layer.hostLog(env.dir);
    if (log.trim()) out(`--- credwell-host log ---\n${log}`);
  } finally {
    await finish();
  }

  // The vault, read back after the browser (and with it the host) is gone.
  out('\nThe vault');
  if (!(await hostsGone(env.dir))) out('     (a credwell-host process is still running)');
  const needles = [...new Set([...needlesBase, ...extra, ...server.seen])].filter((s) => s.length >= 6);
  if (!existsSync(env.vault)) {
    out(`     ${env.vault} was never created (nobody unlocked it)`);
    if (opts.walkthrough) failures++;
  } else {
    const { files, bytes, found } = await checkVault(env.vaultDir, needles);
    const size = (await stat(env.vault)).size;
    out(`     file  ${env.vault} (${size} bytes; ${files.join(', ')})`);
    out(`     read back ${bytes} bytes, looked for ${needles.length} strings in clear: ${needles.map((s) => JSON.stringify(s)).join(', ')}`);
    check(found.length === 0, found.length ? `found in clear: ${found.join('; ')}` : 'none of them is there: passwords, names and origins are encrypted');
  }
  if (existsSync(env.vault)) {
    await rm(env.profile, { recursive: true, force: true });
    await rm(env.home, { recursive: true, force: true });
    out(`     the vault stays at ${env.vault} (throwaway profile removed); remove ${env.dir} when done`);
  } else {
    await rm(env.dir, { recursive: true, force: true });
  }
  const verdict = failures ? `FAILED: ${failures} check(s)` : opts.walkthrough ? 'all steps gave the results the spec says' : 'demo ended';
  out(`\n${verdict} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exitCode = failures ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
