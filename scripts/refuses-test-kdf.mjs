// Proves that binaries built without credwell-vault's `insecure-test-kdf` feature (the feature
// set of `cargo build`, and so of every release build) refuse the test-only key derivation:
// `credwell vault init --danger-insecure-test-kdf`, `CREDWELL_DANGER_INSECURE_KDF=1 credwell
// vault init` and the host's first unlock with that variable all fail and create no vault.
//
// Usage: node scripts/refuses-test-kdf.mjs <directory with credwell and credwell-host>
import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const bin = process.argv[2];
assert.ok(bin, 'usage: node scripts/refuses-test-kdf.mjs <bin dir>');
const dir = mkdtempSync(join(tmpdir(), 'credwell-kdf-'));
const passphrase = join(dir, 'passphrase');
writeFileSync(passphrase, 'correct horse battery staple\n');
const base = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'xdg'), CREDWELL_PASSPHRASE_FILE: passphrase };
delete base.CREDWELL_DANGER_INSECURE_KDF;
const refusal = /exists only in test builds/;

function cli(vault, args, env) {
  const run = spawnSync(join(bin, 'credwell'), ['--vault', vault, ...args], { env: { ...base, ...env }, encoding: 'utf8' });
  assert.notEqual(run.status, 0, `credwell ${args.join(' ')} must fail: ${run.stdout}${run.stderr}`);
  assert.match(run.stderr, refusal);
  assert.ok(!existsSync(vault), 'no vault is created');
}

cli(join(dir, 'flag.sqlite'), ['vault', 'init', '--danger-insecure-test-kdf'], {});
cli(join(dir, 'env.sqlite'), ['vault', 'init'], { CREDWELL_DANGER_INSECURE_KDF: '1' });

// The host, as the browser runs it: native-messaging frames (length, native endian) on stdio.
const vault = join(dir, 'host.sqlite');
const host = spawn(join(bin, 'credwell-host'), ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], {
  env: { ...base, CREDWELL_VAULT: vault, CREDWELL_DANGER_INSECURE_KDF: '1', CREDWELL_EPHEMERAL: '0' },
  stdio: ['pipe', 'pipe', 'ignore'],
});
const frame = (message) => {
  const body = Buffer.from(JSON.stringify(message));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([length, body]);
};
const reply = await new Promise((resolve, reject) => {
  let buffered = Buffer.alloc(0);
  host.stdout.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32LE(0)) {
      const message = JSON.parse(buffered.subarray(4, 4 + buffered.readUInt32LE(0)).toString());
      buffered = buffered.subarray(4 + buffered.readUInt32LE(0));
      if (message.id === 2) resolve(message);
    }
  });
  host.on('exit', () => reject(new Error('the host exited before answering')));
  host.stdin.write(frame({ id: 1, method: 'hello', params: { protocol: 1 } }));
  host.stdin.write(frame({ id: 2, method: 'vault.unlock', params: { passphrase: 'correct horse' } }));
});
host.stdin.end();
assert.ok(reply.error, `the unlock must fail: ${JSON.stringify(reply)}`);
assert.match(JSON.stringify(reply.error), refusal);
assert.ok(!existsSync(vault), 'the host creates no vault');
rmSync(dir, { recursive: true, force: true });
console.log('the binaries without the insecure-test-kdf feature refuse the test-only key derivation');
