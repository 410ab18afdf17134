// Unit tests of the MAIN-world shim's WebIDL conversion of the page's arguments (src/main/idl.js,
// credentials.js, webauthn.js), run on the shipped bundle (gen/main-world.js as build.mjs makes
// it) in a Node `vm` page realm, no browser: dictionary members read once in WebIDL order and
// converted, required members, type errors, BufferSource copies, sequences, defaults, and what
// goes to the browser's own methods instead.
import test from 'node:test';
import assert from 'node:assert/strict';
import { pageRealm, rejection, thrown } from './realm.mjs';

/** The options of the last call the shim relayed. */
const lastOptions = (r) => r.sent.at(-1).params.options;

test('PasswordCredentialData: members read once, in lexicographic order, converted to strings', () => {
  const r = pageRealm();
  const { read, credential } = r.run(`(() => {
    const read = [];
    const data = new Proxy({ id: 42, password: 'pw', name: { toString: () => 'Ann' }, iconURL: '' }, {
      get(target, key) { read.push(key); return target[key]; },
    });
    const c = new PasswordCredential(data);
    return { read, credential: [c.id, c.password, c.name, c.iconURL, c.type] };
  })()`);
  assert.deepEqual([...read], ['iconURL', 'id', 'name', 'origin', 'password']);
  assert.deepEqual([...credential], ['42', 'pw', 'Ann', '', 'password']);
});

test('PasswordCredentialData: required members, type errors, empty values, URLs', () => {
  const r = pageRealm();
  const prefix = "Failed to construct 'PasswordCredential': ";
  assert.deepEqual(thrown(() => r.run("new PasswordCredential({ password: 'x' })")), {
    name: 'TypeError',
    message: `${prefix}Failed to read the 'id' property from 'PasswordCredentialData': Required member is undefined.`,
  });
  assert.deepEqual(thrown(() => r.run("new PasswordCredential({ id: 'a' })")), {
    name: 'TypeError',
    message: `${prefix}Failed to read the 'password' property from 'PasswordCredentialData': Required member is undefined.`,
  });
  assert.deepEqual(thrown(() => r.run("new PasswordCredential('a')")), {
    name: 'TypeError',
    message: `${prefix}The provided value is not of type 'PasswordCredentialData'.`,
  });
  assert.deepEqual(thrown(() => r.run('new PasswordCredential()')), {
    name: 'TypeError',
    message: `${prefix}1 argument required, but only 0 present.`,
  });
  assert.equal(thrown(() => r.run("PasswordCredential({ id: 'a', password: 'b' })")).name, 'TypeError');
  assert.deepEqual(thrown(() => r.run("new PasswordCredential({ id: '', password: 'b' })")), {
    name: 'TypeError',
    message: `${prefix}'id' must not be empty.`,
  });
  // ToString: a Symbol cannot be converted.
  assert.equal(thrown(() => r.run("new PasswordCredential({ id: Symbol(), password: 'b' })")).name, 'TypeError');
  assert.deepEqual(thrown(() => r.run("new PasswordCredential({ id: 'a', password: 'b', iconURL: 'not a url' })")), {
    name: 'SyntaxError',
    message: `${prefix}'not a url' is not a valid URL.`,
  });
  // USVString: a lone surrogate becomes U+FFFD.
  assert.equal(r.run("new PasswordCredential({ id: 'a\\uD800', password: 'b' }).id"), 'a\uFFFD');
});

test('FederatedCredentialInit: required provider, normalized to its origin', () => {
  const r = pageRealm();
  const c = r.run("new FederatedCredential({ id: 'a', provider: 'https://idp.example/path?q', protocol: 'openid' })");
  assert.equal(r.run('(c) => c.provider')(c), 'https://idp.example');
  assert.equal(r.run('(c) => c.protocol')(c), 'openid');
  assert.match(thrown(() => r.run("new FederatedCredential({ id: 'a' })")).message, /'provider' property from 'FederatedCredentialInit': Required member/);
  assert.equal(thrown(() => r.run("new FederatedCredential({ id: 'a', provider: 'nope' })")).name, 'SyntaxError');
});

test('CredentialRequestOptions: members read once in order; booleans, strings and sequences converted', () => {
  const r = pageRealm();
  const read = r.run(`(() => {
    const read = [];
    const options = new Proxy({ password: 1, mediation: { toString: () => 'silent' }, federated: { providers: new Set(['https://idp.example']) } }, {
      get(target, key) { read.push(key); return target[key]; },
    });
    navigator.credentials.get(options);
    return read;
  })()`);
  assert.deepEqual([...read], ['digital', 'federated', 'identity', 'mediation', 'otp', 'password', 'publicKey', 'signal', 'uiMode']);
  assert.deepEqual(lastOptions(r), { federated: { providers: ['https://idp.example'] }, mediation: 'silent', password: true });
  r.run("navigator.credentials.get({ password: 0, federated: null, uiMode: 'x' })");
  assert.deepEqual(lastOptions(r), { federated: null, password: false, uiMode: 'x' });
});

test('CredentialRequestOptions: type errors reject without relaying', async () => {
  const r = pageRealm();
  const prefix = "Failed to execute 'get' on 'CredentialsContainer': ";
  assert.deepEqual(await rejection(r.run("navigator.credentials.get('x')")), {
    name: 'TypeError',
    message: `${prefix}The provided value is not of type 'CredentialRequestOptions'.`,
  });
  assert.deepEqual(await rejection(r.run("navigator.credentials.get({ federated: { providers: 'https://a.example' } })")), {
    name: 'TypeError',
    message: `${prefix}Failed to read the 'providers' property from 'FederatedCredentialRequestOptions': The provided value cannot be converted to a sequence.`,
  });
  assert.match((await rejection(r.run("navigator.credentials.get({ federated: 'x' })"))).message, /not of type 'FederatedCredentialRequestOptions'/);
  assert.deepEqual(await rejection(r.run('navigator.credentials.get({ password: true, signal: {} })')), {
    name: 'TypeError',
    message: `${prefix}Failed to read the 'signal' property from 'CredentialRequestOptions': Failed to convert value to 'AbortSignal'.`,
  });
  assert.deepEqual(await rejection(r.run('navigator.credentials.get.call({}, {})')), {
    name: 'TypeError',
    message: `${prefix}Illegal invocation`,
  });
  assert.equal(r.sent.length, 0);
});

test('CredentialCreationOptions: password and federated dictionaries (no required members), forms', () => {
  const r = pageRealm();
  r.run("navigator.credentials.create({ password: { id: 7, password: 'p', extra: 'ignored' } })");
  assert.deepEqual(lastOptions(r), { password: { id: '7', password: 'p' } });
  r.run("navigator.credentials.create({ federated: { id: 'a', provider: 'https://idp.example' } })");
  assert.deepEqual(lastOptions(r), { federated: { id: 'a', provider: 'https://idp.example' } });
  r.run(`navigator.credentials.create({ password: makeForm([
    { name: 'u', autocomplete: 'username', value: 'ann' },
    { name: 'p', autocomplete: 'new-password', value: 'pw' },
    { name: 'fs', tag: 'fieldset' },
  ]) })`);
  assert.deepEqual(lastOptions(r), {
    password: {
      htmlFormElement: {
        elements: [
          { name: 'u', autocomplete: 'username' },
          { name: 'p', autocomplete: 'new-password' },
        ],
        entries: [['u', 'ann'], ['p', 'pw']],
      },
    },
  });
  const c = r.run(`new PasswordCredential(makeForm([
    { name: 'u', autocomplete: ' USERNAME ', value: 'ann' },
    { name: 'n', autocomplete: 'new-password', value: 'new' },
    { name: 'c', autocomplete: 'current-password', value: 'old' },
  ]))`);
  assert.deepEqual([...r.run('(c) => [c.id, c.password]')(c)], ['ann', 'new'], 'ASCII case-insensitive tokens; new-password wins');
});

test('PublicKeyCredentialRequestOptions: BufferSources copied as base64url, defaults, order, conversions', () => {
  const r = pageRealm();
  const read = r.run(`(() => {
    const read = [];
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
    const publicKey = new Proxy({
      challenge: bytes.subarray(1, 6),
      allowCredentials: [{ type: 'public-key', id: new DataView(bytes.buffer, 3, 2), transports: ['internal'] }],
      timeout: -1,
      rpId: 'example.com',
    }, { get(target, key) { read.push(key); return target[key]; } });
    navigator.credentials.get({ publicKey, mediation: 'conditional' });
    bytes.fill(9); // after the call: the request keeps the bytes as they were
    return read;
  })()`);
  assert.deepEqual([...read], ['allowCredentials', 'challenge', 'extensions', 'hints', 'rpId', 'timeout', 'userVerification']);
  assert.deepEqual(lastOptions(r), {
    mediation: 'conditional',
    publicKey: {
      allowCredentials: [{ id: '-vs', transports: ['internal'], type: 'public-key' }],
      challenge: 'AQL6-_w',
      hints: [],
      rpId: 'example.com',
      timeout: 4294967295, // unsigned long: -1 wraps
      userVerification: 'preferred',
    },
  });
  r.run('navigator.credentials.get({ publicKey: { challenge: new ArrayBuffer(3), timeout: 2.9 } })');
  assert.equal(lastOptions(r).publicKey.challenge, 'AAAA');
  assert.equal(lastOptions(r).publicKey.timeout, 2);
});

test('PublicKeyCredentialRequestOptions: type errors', async () => {
  const r = pageRealm();
  const what = "Failed to execute 'get' on 'CredentialsContainer': Failed to read the 'publicKey' property from 'CredentialRequestOptions'";
  assert.deepEqual(await rejection(r.run('navigator.credentials.get({ publicKey: {} })')), {
    name: 'TypeError',
    message: `${what}: Failed to read the 'challenge' property from 'PublicKeyCredentialRequestOptions': Required member is undefined.`,
  });
  assert.deepEqual(await rejection(r.run("navigator.credentials.get({ publicKey: { challenge: 'abc' } })")), {
    name: 'TypeError',
    message: `${what}: Failed to read the 'challenge' property from 'PublicKeyCredentialRequestOptions': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.`,
  });
  // Shared memory is not a BufferSource.
  assert.equal((await rejection(r.run('navigator.credentials.get({ publicKey: { challenge: new SharedArrayBuffer(4) } })'))).name, 'TypeError');
  assert.equal((await rejection(r.run('navigator.credentials.get({ publicKey: { challenge: new Uint8Array(new SharedArrayBuffer(4)) } })'))).name, 'TypeError');
  assert.match((await rejection(r.run('navigator.credentials.get({ publicKey: 1 })'))).message, /not of type 'PublicKeyCredentialRequestOptions'/);
  assert.match(
    (await rejection(r.run("navigator.credentials.get({ publicKey: { challenge: new Uint8Array(1), allowCredentials: [{ id: new Uint8Array(1) }] } })"))).message,
    /'type' property from 'PublicKeyCredentialDescriptor': Required member is undefined/,
  );
  assert.match(
    (await rejection(r.run('navigator.credentials.get({ publicKey: { challenge: new Uint8Array(1), hints: 5 } })'))).message,
    /cannot be converted to a sequence/,
  );
  assert.equal(r.sent.length, 0);
});

test('PublicKeyCredentialCreationOptions: nested dictionaries, long and defaults', () => {
  const r = pageRealm();
  r.run(`navigator.credentials.create({ publicKey: {
    challenge: new Uint8Array([1]),
    rp: { name: 'RP' },
    user: { id: new Uint8Array([2]), name: 'ann', displayName: 'Ann' },
    pubKeyCredParams: [{ type: 'public-key', alg: '-7' }, { type: 'public-key', alg: 4294967295 }],
    authenticatorSelection: { residentKey: 'required' },
    extensions: { credProps: 1, prf: { eval: { first: new Uint8Array([3]) } } },
  } })`);
  assert.deepEqual(lastOptions(r).publicKey, {
    attestation: 'none',
    attestationFormats: [],
    authenticatorSelection: { requireResidentKey: false, residentKey: 'required', userVerification: 'preferred' },
    challenge: 'AQ',
    excludeCredentials: [],
    extensions: { credProps: true, prf: { eval: { first: 'Aw' } } },
    hints: [],
    pubKeyCredParams: [{ alg: -7, type: 'public-key' }, { alg: -1, type: 'public-key' }],
    rp: { name: 'RP' },
    user: { displayName: 'Ann', id: 'Ag', name: 'ann' },
  });
});

test('PublicKeyCredentialCreationOptions: required members', async () => {
  const r = pageRealm();
  const base = "challenge: new Uint8Array(1), rp: { name: 'RP' }, pubKeyCredParams: []";
  assert.match(
    (await rejection(r.run(`navigator.credentials.create({ publicKey: { ${base} } })`))).message,
    /'user' property from 'PublicKeyCredentialCreationOptions': Required member is undefined/,
  );
  assert.match(
    (await rejection(r.run(`navigator.credentials.create({ publicKey: { ${base}, user: { name: 'a', displayName: 'A' } } })`))).message,
    /'id' property from 'PublicKeyCredentialUserEntity': Required member is undefined/,
  );
  assert.equal(r.sent.length, 0);
});

test('security keys only, and other credential types, go to the browser untouched', async () => {
  const r = pageRealm();
  const calls = [
    "navigator.credentials.get({ publicKey: { challenge: new Uint8Array(1), hints: ['security-key'] } })",
    "navigator.credentials.get({ publicKey: { challenge: new Uint8Array(1), allowCredentials: [{ type: 'public-key', id: new Uint8Array(1), transports: ['usb', 'nfc'] }] } })",
    "navigator.credentials.create({ publicKey: { challenge: new Uint8Array(1), rp: { name: 'R' }, user: { id: new Uint8Array(1), name: 'a', displayName: 'A' }, pubKeyCredParams: [], authenticatorSelection: { authenticatorAttachment: 'cross-platform' } } })",
    'navigator.credentials.get({ identity: {} })',
    'navigator.credentials.get({ otp: {} })',
  ];
  for (const call of calls) assert.match(await r.run(call), /^native /, call);
  assert.equal(r.nativeCalls.length, calls.length);
  assert.equal(r.sent.length, 0);
  // Hints in the RP's order: "security-key" first goes to the browser first (credwell only after
  // its NotAllowedError); "client-device" first comes to credwell.
  assert.match(await r.run("navigator.credentials.get({ publicKey: { challenge: new Uint8Array(1), hints: ['security-key', 'client-device'] } })"), /^native /);
  assert.equal(r.nativeCalls.length, calls.length + 1);
  assert.equal(r.sent.length, 0);
  r.run("navigator.credentials.get({ publicKey: { challenge: new Uint8Array(1), hints: ['client-device', 'security-key'] } })");
  assert.equal(r.sent.length, 1);
  // Mixed with password: the host answers (NotSupportedError); it only sees that publicKey is there.
  r.run('navigator.credentials.get({ password: true, publicKey: { challenge: new Uint8Array(1) } })');
  assert.deepEqual(lastOptions(r), { password: true, publicKey: { challenge: null } });
});

test('parse*OptionsFromJSON: base64url to ArrayBuffer, EncodingError otherwise; signals: required members', async () => {
  const r = pageRealm();
  const parsed = r.run(`(() => {
    const o = PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'AQID', allowCredentials: [{ type: 'public-key', id: 'AQ==' }] });
    return [o.challenge instanceof ArrayBuffer, [...new Uint8Array(o.challenge)], [...new Uint8Array(o.allowCredentials[0].id)], o.userVerification];
  })()`);
  assert.deepEqual(JSON.parse(JSON.stringify(parsed)), [true, [1, 2, 3], [1], 'preferred']);
  assert.deepEqual(thrown(() => r.run("PublicKeyCredential.parseRequestOptionsFromJSON({ challenge: 'a*b' })")), {
    name: 'EncodingError',
    message: "Failed to execute 'parseRequestOptionsFromJSON' on 'PublicKeyCredential': Failed to read the 'challenge' property from 'PublicKeyCredentialRequestOptionsJSON': 'a*b' is not valid base64url.",
  });
  assert.match(
    (await rejection(r.run("PublicKeyCredential.signalUnknownCredential({ rpId: 'example.com' })"))).message,
    /'credentialId' property from 'UnknownCredentialOptions': Required member is undefined/,
  );
  r.run("PublicKeyCredential.signalUnknownCredential({ rpId: 'example.com', credentialId: 'AQ' })");
  assert.deepEqual(r.sent.at(-1).params, { method: 'signalUnknownCredential', options: { credentialId: 'AQ', rpId: 'example.com' } });
});
