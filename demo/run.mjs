#!/usr/bin/env node
// credwell's browser demo. Serves demo/site/ on loopback, makes a throwaway Chromium profile and a
// throwaway (real, encrypted) vault, registers credwell-host for that profile and launches
// Debian's Chromium with credwell's extension.
//
//   node demo/run.mjs [--headless] [--walkthrough] [--screenshots DIR] [--port N]
//
// With no display (DISPLAY unset) or --headless: walks through the tutorial's scenario, prints
// each step and its result, saves a screenshot of each step, and exits non-zero when a result is
// not the one the spec gives. With a display: opens the browser on the demo's index for a person
// and waits until the browser is closed (--walkthrough: run the scripted scenario in the visible
// window instead). Either way it ends by reading the vault file back and
// checking that no canary string (passwords, account names, origins) is in it in clear.
import { chromium } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTENSION_ID, HOST_NAME } from '../extension/src/id.js';
import { startServer } from './server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXTENSION_DIR = join(REPO, 'extension');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = 30_000;
const PASSPHRASE = 'correct horse battery staple';
const CANARY = `credwell-canary-${randomBytes(4).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// Command line

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node demo/run.mjs [--headless] [--walkthrough] [--screenshots DIR] [--port N]\n' +
      '  --headless         walk through the scenario without a window (the default when DISPLAY is unset)\n' +
      '  --walkthrough      with a display: walk through the scenario in the visible browser\n' +
      '  --screenshots DIR  where the walkthrough saves its screenshots (default ./demo-screenshots)\n' +
      '  --port N           serve the site on this loopback port (default: any free port)\n' +
      'env: CREDWELL_HOST_BIN (default target/release/credwell-host, else target/debug/credwell-host), CHROMIUM\n',
  );
  process.exit(code);
}

const opts = { headless: !process.env.DISPLAY, walkthrough: false, screenshots: resolve('demo-screenshots'), port: 0 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const value = () => process.argv[++i] ?? usage(2);
  if (a === '--headless') opts.headless = true;
  else if (a === '--walkthrough') opts.walkthrough = true;
  else if (a === '--screenshots') opts.screenshots = resolve(value());
  else if (a.startsWith('--screenshots=')) opts.screenshots = resolve(a.slice('--screenshots='.length));
  else if (a === '--port') opts.port = Number(value());
  else if (a === '-h' || a === '--help') usage(0);
  else {
    process.stderr.write(`unknown argument ${a}\n`);
    usage(2);
  }
}

if (opts.headless) opts.walkthrough = true;

function hostBinary() {
  if (process.env.CREDWELL_HOST_BIN) return resolve(process.env.CREDWELL_HOST_BIN);
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target');
  for (const profile of ['release', 'debug']) {
    const p = join(target, profile, 'credwell-host');
    if (existsSync(p)) return p;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Throwaway profile, vault and host registration

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

async function setUp() {
  const host = hostBinary();
  if (!host) throw new Error('credwell-host is not built: run `cargo build --release -p credwell-host` (or ./scripts/demo.sh)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or ./scripts/demo.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'credwell-demo-'));
  const profile = join(dir, 'profile');
  const vaultDir = join(dir, 'vault');
  const vault = join(vaultDir, 'vault.sqlite');
  await mkdir(join(profile, 'NativeMessagingHosts'), { recursive: true });
  await mkdir(vaultDir, { mode: 0o700 });
  const wrapper = join(dir, 'credwell-host.sh');
  const env = {
    CREDWELL_VAULT: vault,
    CREDWELL_DANGER_INSECURE_KDF: '1', // a fast unlock for a throwaway vault; still encrypted
    CREDWELL_STORE_CONSENT: 'ask',
    CREDWELL_LOG: process.env.CREDWELL_LOG ?? 'warn',
  };
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      "# Started by Chromium for credwell's extension (connectNative): the demo's vault, then credwell-host.",
      `echo $$ >> ${q(join(dir, 'host.pids'))}`,
      'unset CREDWELL_EPHEMERAL',
      ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
      `exec ${q(host)} "$@" 2>> ${q(join(dir, 'host.log'))}`,
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
  await writeFile(
    join(profile, 'NativeMessagingHosts', `${HOST_NAME}.json`),
    JSON.stringify({
      name: HOST_NAME,
      description: 'credwell native host (demo)',
      path: wrapper,
      type: 'stdio',
      allowed_origins: [`chrome-extension://${EXTENSION_ID}/`],
    }),
  );
  return { dir, profile, vaultDir, vault, host };
}

async function launch(profile, headless) {
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless,
    // run.mjs ends the browser itself on Ctrl-C, then checks the vault.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport: headless ? { width: 1000, height: 760 } : null,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The site's origins all live on the loopback server.
      '--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1',
      `--load-extension=${EXTENSION_DIR}`,
      `--disable-extensions-except=${EXTENSION_DIR}`,
    ],
  });
  ctx.setDefaultTimeout(TIMEOUT);
  if (!ctx.serviceWorkers().length) await ctx.waitForEvent('serviceworker', { timeout: TIMEOUT });
  return ctx;
}

async function pidsOf(dir) {
  try {
    return (await readFile(join(dir, 'host.pids'), 'utf8')).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** After the browser closed: wait until every host process it started has exited. */
async function hostsGone(dir) {
  const deadline = Date.now() + 10_000;
  for (const pid of await pidsOf(dir)) {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      if (Date.now() > deadline) return false;
      await new Promise((ok) => setTimeout(ok, 50));
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
// The headless walkthrough

async function walkthrough(ctx, server, shotsDir) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const consumed = new WeakSet();
  let stepNo = 0;
  let shotNo = 0;
  const t0 = Date.now();

  async function shot(p, name) {
    const file = join(shotsDir, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
    await p.screenshot({ path: file });
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

  // credwell's extension pages (unlock, prompt, chooser) open as popup windows: find one.
  async function ui(name) {
    const prefix = `chrome-extension://${EXTENSION_ID}/src/ui/${name}.html`;
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const p = ctx.pages().find((x) => !consumed.has(x) && !x.isClosed() && x.url().startsWith(prefix));
      if (p) {
        consumed.add(p);
        await p.waitForLoadState('domcontentloaded');
        return p;
      }
      if (Date.now() > deadline) throw new Error(`credwell's ${name} page did not open`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }
  const uiOpen = (name) => ctx.pages().some((x) => !x.isClosed() && x.url().startsWith(`chrome-extension://${EXTENSION_ID}/src/ui/${name}.html`));
  // Clicks a button that makes the extension page close itself.
  async function press(p, selector) {
    const closed = p.waitForEvent('close', { timeout: TIMEOUT });
    closed.catch(() => {});
    await p.locator(selector).first().waitFor({ state: 'visible' });
    try {
      await p.locator(selector).first().click({ noWaitAfter: true });
    } catch (e) {
      if (!/closed/i.test(String(e?.message))) throw e;
    }
    await closed;
  }
  async function unlockPage() {
    const u = await ui('unlock');
    await u.fill('#passphrase', PASSPHRASE);
    await shot(u, 'unlock-page');
    say('ui', `credwell's unlock page opened; typed the passphrase (the first one creates the vault), pressed Unlock`);
    await press(u, '#unlock');
  }
  async function savePrompt(name) {
    const p = await ui('prompt');
    await p.locator('#save').waitFor({ state: 'visible' });
    const text = [await p.locator('#title').innerText(), await p.locator('#origin').innerText(), `Account: ${await p.locator('#account').innerText()}`, (await p.locator('#provider').isHidden()) ? '' : await p.locator('#provider').innerText()].filter(Boolean).join(' | ');
    await shot(p, name);
    say('ui', `save prompt: "${text}" → Save`);
    await press(p, '#save');
    return text;
  }
  async function chooser(name) {
    const c = await ui('chooser');
    await c.locator('button.account').first().waitFor();
    const accounts = (await c.locator('button.account').allInnerTexts()).map((a) => a.replace(/^\S\n/, '').replace(/\s*\n\s*/g, ' '));
    await shot(c, name);
    say('ui', `account chooser for ${await c.locator('#origin').innerText()}: ${accounts.map((a) => `[${a}]`).join(' ')}`);
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
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }
  const state = () => page.locator('body').getAttribute('data-state');
  async function settled() {
    await page.waitForFunction(() => document.body.dataset.state !== 'loading');
    return state();
  }
  const who = async () => ((await state()) === 'signed-in' ? `${await page.locator('#who').innerText()} ${await page.locator('#how').innerText()}` : '');

  const alice = { id: 'alice', password: `${CANARY}-tutorial` };
  const bob = { name: 'Bob Example', id: 'bob', password: `${CANARY}-signup` };

  await step("The tutorial's page, exactly as published: store() of a plain object", async () => {
    await page.goto(`${server.site}/tutorial/`);
    say('page', page.url());
    // The tutorial's catch does console.log(error): take the first console.log of an object.
    const logged = new Promise((ok) => {
      const listener = async (msg) => {
        const arg = msg.args()[0];
        if (msg.type() !== 'log' || !arg) return;
        page.off('console', listener);
        ok(await arg.evaluate((e) => ({ name: e?.name, message: e?.message, typeError: e instanceof TypeError })));
      };
      page.on('console', listener);
    });
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
    await new Promise((ok) => setTimeout(ok, 300));
    check(!uiOpen('unlock') && !uiOpen('prompt'), 'credwell asked the user nothing for a call the page got wrong');
  });

  await step('The same page corrected: store(new PasswordCredential({id, password}))', async () => {
    await page.goto(`${server.site}/tutorial-corrected/`);
    say('page', page.url());
    await page.fill('#username', alice.id);
    await page.fill('#password', alice.password);
    say('do', `typed ${alice.id} / (password), pressed "Save credentials"`);
    await page.click('text=Save credentials');
    await unlockPage();
    const text = await savePrompt('save-prompt');
    check(text.includes(server.site) && text.includes(alice.id), `the prompt names the origin ${server.site} and the account ${alice.id}`);
    check(!text.includes(alice.password), 'the prompt does not show the password');
    await page.locator('#status', { hasText: /resolved|Error/ }).waitFor();
    const status = await page.locator('#status').innerText();
    say('got', status);
    await shot(page, 'corrected-stored');
    check(status === 'store() resolved: credentials saved', 'store() resolved (undefined) after the user chose Save');
  });

  await step("Reload: the page gets the credential back with mediation: 'silent'", async () => {
    await page.reload();
    await page.locator('#status', { hasText: /get\(\)|Error/ }).waitFor();
    const status = await page.locator('#status').innerText();
    const [id, pw] = [await page.inputValue('#username'), await page.inputValue('#password')];
    say('got', status);
    await shot(page, 'corrected-reload-silent-get');
    check(id === alice.id && pw === alice.password, 'get({password: true, mediation: "silent"}) returned the PasswordCredential, password included, without any UI');
    check(!uiOpen('chooser') && !uiOpen('unlock'), 'no chooser, no unlock page');
  });

  let n = 0;
  await step(`The Example Site (${server.app}): sign up, store(new PasswordCredential(form))`, async () => {
    await page.goto(`${server.app}/`);
    say('page', page.url());
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
    await ctx.clearCookies();
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
    await press(c.page, `button.account[data-id="${bob.id}"]`);
    const e = await nextLogEntry(n, "mediation: 'optional'");
    await page.waitForFunction(() => document.body.dataset.state === 'signed-in');
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
    await page.waitForURL(`${server.idp}/authorize?**`);
    say('page', page.url().replace(/\?.*/, '?return=…'));
    await shot(page, 'idp-authorize');
    say('do', 'pressed "Continue as Carol" at the IdP; it sent the browser back with a one-time token');
    await page.click('#continue');
    n = await logLength();
    await page.waitForURL(`${server.app}/**`);
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
    await press(c.page, 'button.account[data-id="carol"]');
    say('do', 'the site sent the browser to the provider (login_hint=carol); Carol is signed in there, so it came straight back');
    await page.waitForURL(`${server.app}/`);
    await page.waitForFunction(() => document.body.dataset.state === 'signed-in');
    const e = await nextLogEntry(n, "mediation: 'optional'");
    check(e.result.startsWith('FederatedCredential {id: "carol"') && e.result.includes(server.idp), 'get() returned the FederatedCredential with its provider');
    await shot(page, 'federated-signed-in-again');
    check((await who()).startsWith('Carol'), `signed in: ${await who()}`);
  });

  out(`\nwalkthrough: ${stepNo} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${shotNo} screenshots in ${shotsDir}`);
  return [alice.password, bob.password, bob.name];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const env = await setUp();
  const server = await startServer({ port: opts.port });
  const needlesBase = [CANARY, `localhost:${server.port}`, 'app.localhost', 'idp.localhost'];
  out(`credwell demo (${opts.walkthrough ? `${opts.headless ? 'headless ' : ''}walkthrough` : 'the browser is yours'})`);
  out(`  site         ${server.site}/  (Example Site ${server.app}/, Example IdP ${server.idp}/)`);
  out(`  vault        ${env.vault}  (throwaway, encrypted; fast test key derivation)`);
  out(`  host         ${env.host}`);
  out(`  profile      ${env.profile}  (throwaway)`);
  if (opts.walkthrough) {
    await mkdir(opts.screenshots, { recursive: true });
    out(`  screenshots  ${opts.screenshots}`);
  }

  let ctx;
  let extra = [];
  const finish = async () => {
    await ctx?.close().catch(() => {});
    await server.close();
  };
  try {
    const t = Date.now();
    ctx = await launch(env.profile, opts.headless);
    out(`  chromium     ${ctx.browser()?.version() ?? ''} started with credwell's extension in ${Date.now() - t} ms`);
    if (opts.walkthrough) {
      extra = await walkthrough(ctx, server, opts.screenshots);
    } else {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.goto(`${server.site}/`);
      out(`\nThe browser is open on ${server.site}/`);
      out(`The first time a page needs the vault, credwell's unlock page asks for a passphrase: the first one you give creates the vault (e.g. "${PASSPHRASE}").`);
      out('Close the browser (or press Ctrl-C) to end the demo.');
      await new Promise((ok) => {
        ctx.once('close', ok);
        process.once('SIGINT', ok);
        process.once('SIGTERM', ok);
      });
    }
  } catch (e) {
    failures++;
    out(`\nFAILED: ${e?.stack ?? e}`);
    const log = await readFile(join(env.dir, 'host.log'), 'utf8').catch(() => '');
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
