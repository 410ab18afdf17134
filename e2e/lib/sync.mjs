// Sync for the browser suites: a `credwell sync serve` process on a loopback port with an SQLite
// database in a temp dir, and vault files signed in to it with the `credwell` CLI (the one built
// next to the host), as a user sets up two devices (docs/sync.md, "The command line").
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CREDWELL_BIN, PASSPHRASE } from './harness.mjs';

/** The sync passphrase of the accounts these helpers create (the vaults' own is PASSPHRASE). */
export const SYNC_PASSPHRASE = 'sync passphrase of the e2e account';

function requireCli() {
  if (!existsSync(CREDWELL_BIN)) {
    throw new Error(`the credwell CLI is not built at ${CREDWELL_BIN}: run \`cargo build -p credwell -p credwell-host --features credwell-vault/insecure-test-kdf\`, or set CREDWELL_BIN`);
  }
}

/**
 * Starts `credwell sync serve --database <dir>/sync.sqlite` on `listen` (default: a free loopback
 * port) and waits for the address it prints. Returns {url, listen, stop()}; stop() kills it and
 * waits until it is gone (the database stays, so a server started again on the same `dir` and
 * `listen` serves the same accounts).
 */
export async function startSyncServer(dir, listen = '127.0.0.1:0') {
  requireCli();
  const child = spawn(CREDWELL_BIN, ['sync', 'serve', '--listen', listen, '--database', join(dir, 'sync.sqlite')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  const lines = createInterface({ input: child.stdout });
  const url = await Promise.race([
    new Promise((ok) => lines.on('line', (line) => {
      const m = /credwell sync server on (http:\/\/\S+)/.exec(line);
      if (m) ok(m[1]);
    })),
    exited.then(({ code, signal }) => {
      throw new Error(`credwell sync serve ended (${code ?? signal}) before it listened: ${stderr}`);
    }),
    new Promise((_, fail) => setTimeout(() => fail(new Error(`credwell sync serve printed no address within 30 s: ${stderr}`)), 30_000).unref()),
  ]);
  return {
    url,
    listen: new URL(url).host,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * A vault file in `dir` (`vault.sqlite`, passphrase PASSPHRASE, the test-only key derivation)
 * made by `credwell vault init`, with `run(args)` running the CLI on it (passphrases from files
 * in `dir`; `--json` output parsed). `env` is what a browser host needs to open it.
 */
export async function syncVault(dir) {
  requireCli();
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'vault.sqlite');
  await writeFile(join(dir, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'sync-passphrase'), `${SYNC_PASSPHRASE}\n`, { mode: 0o600 });
  const cliEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'xdg'),
    XDG_RUNTIME_DIR: dir,
    CREDWELL_PASSPHRASE_FILE: join(dir, 'passphrase'),
    CREDWELL_SYNC_PASSPHRASE_FILE: join(dir, 'sync-passphrase'),
  };
  const vault = {
    path,
    env: { CREDWELL_EPHEMERAL: '0', CREDWELL_VAULT: path },
    /**
     * `credwell --json --vault PATH args...`: its parsed output (null when it prints nothing).
     * `extraEnv` adds to the CLI's environment.
     */
    async run(args, extraEnv = {}) {
      const all = ['--json', '--vault', path, ...args];
      try {
        const { stdout } = await promisify(execFile)(CREDWELL_BIN, all, { env: { ...cliEnv, ...extraEnv }, timeout: 60_000 });
        return stdout.trim() ? JSON.parse(stdout) : null;
      } catch (e) {
        throw new Error(`credwell ${all.join(' ')} failed: ${e.stderr || e.message}`);
      }
    },
  };
  // The test-only key derivation for the vault, as the suites' other vaults (the browser suites'
  // build has it for the vault only: OPAQUE's sign-ins below run at the release cost, seconds in a
  // debug build, and refuse the variable).
  await vault.run(['vault', 'init'], { CREDWELL_DANGER_INSECURE_KDF: '1' });
  return vault;
}

/**
 * Two vaults signed in to one account of the server at `url`: the first creates it (a new sync
 * passphrase), the second joins with the account id and the sync passphrase alone. Returns
 * {a, b, account}.
 */
export async function twoSignedInVaults(dir, url) {
  const a = await syncVault(join(dir, 'a'));
  const b = await syncVault(join(dir, 'b'));
  await a.run(['sync', 'login', '--server', url, '--device-name', 'vault A']);
  const { account } = await a.run(['sync', 'status']);
  await b.run(['sync', 'login', '--server', url, '--account', account, '--device-name', 'vault B']);
  return { a, b, account };
}

/** Polls `fn` every 250 ms until it returns a truthy value (returned), or fails after `ms`. */
export async function until(what, fn, ms = 60_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s (last: ${JSON.stringify(last)})`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}
