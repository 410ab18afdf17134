// The Example Site: sign-up, sign-in, automatic sign-in and sign-out the way the Credential
// Management spec's examples do them, against this demo's loopback server (/api/*), plus
// "Sign in with Example IdP", a federated sign-in through a fake identity provider on another
// origin of the same server.
'use strict';

const port = location.port ? `:${location.port}` : '';
const IDP = `http://idp.localhost${port}`; // the provider, an origin
const $ = (id) => document.getElementById(id);

// Each call to navigator.credentials and what it gave, on the page (and for the walkthrough);
// kept for this tab across reloads and the trips to the IdP.
window.demoLog = JSON.parse(sessionStorage.getItem('demoLog') ?? '[]');
function render(entry) {
  const li = document.createElement('li');
  li.textContent = entry.result === undefined ? entry.call : `${entry.call} → ${entry.result}`;
  if (entry.bad) li.className = 'bad';
  $('log').append(li);
}
function log(call, result, bad = false) {
  const entry = { call, result, bad };
  window.demoLog.push(entry);
  sessionStorage.setItem('demoLog', JSON.stringify(window.demoLog));
  render(entry);
}
window.demoLog.forEach(render);
log(`— page loaded: ${location.pathname}${location.search ? ' (back from the IdP)' : ''} —`);

function describe(c) {
  if (c === null) return 'null';
  if (c instanceof PasswordCredential) return `PasswordCredential {id: ${JSON.stringify(c.id)}, name: ${JSON.stringify(c.name)}, password: (${c.password.length} characters)}`;
  if (c instanceof FederatedCredential) return `FederatedCredential {id: ${JSON.stringify(c.id)}, name: ${JSON.stringify(c.name)}, provider: ${JSON.stringify(c.provider)}}`;
  return String(c);
}

async function api(path, fields) {
  const r = await fetch(path, { method: 'POST', credentials: 'include', body: new URLSearchParams(fields ?? {}) });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ?? `HTTP ${r.status}`);
  return body;
}

function show(user) {
  document.body.dataset.state = user ? 'signed-in' : 'signed-out';
  $('signed-in').hidden = !user;
  $('signed-out').hidden = !!user;
  if (user) {
    $('who').textContent = user.name || user.id;
    $('how').textContent = user.provider
      ? `(${user.id}, signed in with ${user.provider})`
      : `(${user.id}, signed in with ${user.passkey ? 'a passkey' : 'a password'})`;
    $('add-passkey').hidden = !!user.provider;
  }
}

// Sign in with what navigator.credentials.get() handed over, like the spec's example: a
// password goes to the server; a federated account goes through its provider.
async function signInWith(credential) {
  if (credential.type === 'password') {
    const { user } = await api('/api/signin', { username: credential.id, password: credential.password });
    return user;
  }
  if (credential.type === 'federated' && credential.provider === IDP) {
    sessionStorage.setItem('idpViaCredential', '1');
    goToIdp(credential.id);
    return new Promise(() => {}); // navigating away
  }
  throw new Error(`unknown provider ${credential.provider}`);
}

function goToIdp(loginHint) {
  const url = new URL('/authorize', IDP);
  url.searchParams.set('return', `${location.origin}/`);
  if (loginHint) url.searchParams.set('login_hint', loginHint);
  location.href = url.href;
}

async function get(options, label) {
  try {
    const c = await navigator.credentials.get(options);
    log(label, describe(c));
    return c;
  } catch (e) {
    log(label, `${e.name}: ${e.message}`, true);
    return null;
  }
}

async function store(credential, label) {
  try {
    const r = await navigator.credentials.store(credential);
    log(label, String(r));
  } catch (e) {
    log(label, `${e.name}: ${e.message}`, true);
  }
}

const passwordAndIdp = { password: true, federated: { providers: [IDP] } };

async function load() {
  $('origin').textContent = location.origin;
  const params = new URLSearchParams(location.search);
  // Back from the IdP: the server checks its token and starts the session.
  if (params.has('idp_token')) {
    history.replaceState(null, '', '/');
    try {
      const { user } = await api('/api/federated', { token: params.get('idp_token') });
      const fresh = !sessionStorage.getItem('idpViaCredential');
      sessionStorage.removeItem('idpViaCredential');
      show(user);
      // A sign-in the browser did not hand us: offer to keep it (spec example: store after sign-in).
      if (fresh) await store(new FederatedCredential({ id: user.id, provider: IDP, name: user.name }), `store(new FederatedCredential({id: ${JSON.stringify(user.id)}, provider: ${JSON.stringify(IDP)}}))`);
      return;
    } catch (e) {
      log('Example IdP sign-in', e.message, true);
    }
  }
  const { user } = await (await fetch('/api/session', { credentials: 'include' })).json();
  if (user) return show(user);
  // Automatic sign-in: ask without any UI; the browser answers null unless it may.
  const c = await get({ ...passwordAndIdp, mediation: 'silent' }, "get({password: true, federated, mediation: 'silent'}) on load");
  if (c) {
    try {
      return show(await signInWith(c));
    } catch (e) {
      log('automatic sign-in', e.message, true);
    }
  }
  show(null);
}

$('signin').addEventListener('click', async () => {
  const c = await get({ ...passwordAndIdp, mediation: 'optional' }, "get({password: true, federated, mediation: 'optional'})");
  if (!c) return;
  try {
    show(await signInWith(c));
  } catch (e) {
    log('sign-in', e.message, true);
  }
});

$('idp').addEventListener('click', () => goToIdp(null));

// Password sign-in by hand, then the spec's "post-sign-in confirmation": store a credential
// built from the form (autocomplete username / current-password).
$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.target;
  try {
    const { user } = await api('/api/signin', new FormData(form));
    show(user);
    await store(new PasswordCredential(form), 'store(new PasswordCredential(signInForm))');
  } catch (err) {
    log('sign-in', err.message, true);
  }
});

// Sign-up: create the account, then store the new credential (autocomplete new-password).
$('signup-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.target;
  try {
    const { user } = await api('/api/signup', new FormData(form));
    show(user);
    await store(new PasswordCredential(form), 'store(new PasswordCredential(signUpForm))');
  } catch (err) {
    log('sign-up', err.message, true);
  }
});

// Sign-out: end the session, and tell the browser not to sign the user back in silently.
$('signout').addEventListener('click', async () => {
  await api('/api/signout');
  show(null);
  try {
    const r = await navigator.credentials.preventSilentAccess();
    log('preventSilentAccess()', String(r));
  } catch (e) {
    log('preventSilentAccess()', `${e.name}: ${e.message}`, true);
  }
});

// Passkeys: the server's options (JSON) → PublicKeyCredential.parse*OptionsFromJSON →
// navigator.credentials.create/get({publicKey}) → the credential's toJSON() back to the server,
// which verifies it (@simplewebauthn/server).
function describePasskey(c) {
  return `PublicKeyCredential {id: ${JSON.stringify(c.id)}, authenticatorAttachment: ${JSON.stringify(c.authenticatorAttachment)}}`;
}

$('add-passkey').addEventListener('click', async () => {
  const label = 'create({publicKey: parseCreationOptionsFromJSON(serverOptions)})';
  try {
    const { ceremony, options } = await api('/api/passkey/register-options');
    const c = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
    log(label, describePasskey(c));
    const r = await api('/api/passkey/register', { ceremony, response: JSON.stringify(c) });
    $('passkey-status').textContent = `The server verified the passkey (${r.passkeys} for this account${r.userVerified ? ', user verified' : ''}).`;
    log('server: passkey registration', `verified${r.userVerified ? ', user verified' : ''}`);
  } catch (e) {
    log(label, `${e.name}: ${e.message}`, true);
  }
});

$('passkey-signin').addEventListener('click', async () => {
  const label = 'get({publicKey: parseRequestOptionsFromJSON(serverOptions)})';
  try {
    const { ceremony, options } = await api('/api/passkey/signin-options');
    const c = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
    log(label, describePasskey(c));
    const { user } = await api('/api/passkey/signin', { ceremony, response: JSON.stringify(c) });
    log('server: passkey sign-in', `verified, ${user.id}`);
    show(user);
  } catch (e) {
    log(label, `${e.name}: ${e.message}`, true);
  }
});

load();
