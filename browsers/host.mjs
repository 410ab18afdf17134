// credwell-host as a browser starts it: the binary, a wrapper script that records each host
// process and its stderr, and the wrapper registered as the native-messaging host of credwell's
// extension, for Chromium (a manifest in the profile) or Firefox (`credwell install
// --firefox-home`, the command a user runs).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeContentScripts } from '../extension/build.mjs';
import { EXTENSION_ID, HOST_NAME } from '../extension/src/id.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EXTENSION_DIR = join(REPO, 'extension');
// The content scripts its manifest loads (extension/gen/), bundled from the sources as they are.
writeContentScripts();
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target');

/**
 * The credwell-host binary: CREDWELL_HOST_BIN, else the first of `profiles` (cargo's target
 * dirs, e.g. ['release', 'debug']) that holds one; with none built, the first profile's path.
 */
export function hostBinary(profiles = ['debug']) {
  if (process.env.CREDWELL_HOST_BIN) return resolve(process.env.CREDWELL_HOST_BIN);
  const paths = profiles.map((p) => join(TARGET, p, 'credwell-host'));
  return paths.find((p) => existsSync(p)) ?? paths[0];
}

/** The `credwell` CLI: CREDWELL_BIN, else the one cargo built next to `host`. */
export function credwellBinary(host) {
  return process.env.CREDWELL_BIN ? resolve(process.env.CREDWELL_BIN) : join(dirname(host), 'credwell');
}

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Writes `<dir>/credwell-host.sh`: the native host as the browser starts it. It records its pid
 * in `<dir>/host.pids`, unsets the variables in `unset`, exports `env`, and execs `bin` with its
 * stderr appended to `<dir>/host.log`. Returns the wrapper's path.
 */
export async function writeHostWrapper(dir, { bin, env = {}, unset = [] }) {
  const wrapper = join(dir, 'credwell-host.sh');
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      '# Started by the browser for connectNative; records its pid and becomes credwell-host.',
      `echo $$ >> ${quote(join(dir, 'host.pids'))}`,
      ...unset.map((k) => `unset ${k}`),
      ...Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`),
      `exec ${quote(bin)} "$@" 2>> ${quote(join(dir, 'host.log'))}`,
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
  return wrapper;
}

/** The pids of every host process the wrapper in `dir` started, in order. */
export async function hostPids(dir) {
  try {
    return (await readFile(join(dir, 'host.pids'), 'utf8')).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** What the host processes of the wrapper in `dir` wrote to stderr. */
export async function hostLog(dir) {
  try {
    return await readFile(join(dir, 'host.log'), 'utf8');
  } catch {
    return '';
  }
}

/** Registers `wrapper` for Chromium's `profile` (NativeMessagingHosts/ in the user data dir). */
export async function registerChromiumHost(profile, wrapper) {
  const hosts = join(profile, 'NativeMessagingHosts');
  await mkdir(hosts, { recursive: true });
  const manifest = join(hosts, `${HOST_NAME}.json`);
  await writeFile(
    manifest,
    JSON.stringify({
      name: HOST_NAME,
      description: 'credwell native host',
      path: wrapper,
      type: 'stdio',
      allowed_origins: [`chrome-extension://${EXTENSION_ID}/`],
    }),
  );
  return { by: 'manifest', manifests: [manifest] };
}

/**
 * Registers `wrapper` for a Firefox run with HOME=`home` (where Firefox looks for
 * .mozilla/native-messaging-hosts/): with `credwell install --firefox-home` when the CLI
 * `credwell` is built (it reads the add-on id from the extension's manifest.json); else, unless
 * `required`, by writing the same manifest here. Returns {by, command?, manifests, id?}.
 */
export async function registerFirefoxHost(home, wrapper, { credwell, extension, geckoId, required = false }) {
  const hosts = join(home, '.mozilla', 'native-messaging-hosts');
  await mkdir(hosts, { recursive: true });
  if (existsSync(credwell)) {
    const args = ['--json', 'install', '--firefox-home', home, '--extension', extension, '--host', wrapper];
    let stdout;
    try {
      ({ stdout } = await promisify(execFile)(credwell, args, { env: { ...process.env, HOME: home } }));
    } catch (e) {
      throw new Error(`${credwell} ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
    const result = JSON.parse(stdout);
    return { by: 'credwell install', command: `credwell ${args.slice(1).join(' ')}`, manifests: result.manifests, id: result.firefoxExtensionId };
  }
  if (required) {
    throw new Error(`the credwell CLI is not built at ${credwell} (it registers the host for Firefox): run \`cargo build -p credwell -p credwell-host\`, or set CREDWELL_BIN`);
  }
  const manifest = join(hosts, `${HOST_NAME}.json`);
  await writeFile(
    manifest,
    JSON.stringify({ name: HOST_NAME, description: 'credwell native host', path: wrapper, type: 'stdio', allowed_extensions: [geckoId] }),
  );
  return { by: 'harness', manifests: [manifest] };
}
