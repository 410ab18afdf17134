// The demo's loopback HTTP server. One port, three origins told apart by the Host header:
//   http://localhost:PORT      the index and the tutorial's pages (site/)
//   http://app.localhost:PORT  the Example Site (site/app/) and its /api/*
//   http://idp.localhost:PORT  the Example IdP (site/idp/), /authorize and /approve
// All are potentially trustworthy (secure contexts) in Chromium and Firefox. Accounts and sessions live in
// memory; `seen` keeps every username and password the site was given, so run.mjs can check that
// none of them is in the vault file in clear.
import { createServer } from 'node:http';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

const SITE = resolve(dirname(fileURLToPath(import.meta.url)), 'site');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const IDP_ACCOUNTS = { carol: { id: 'carol', name: 'Carol' } };

const token = () => randomBytes(18).toString('base64url');
const digest = (s) => createHash('sha256').update(String(s)).digest();

export async function startServer({ host = '127.0.0.1', port = 0 } = {}) {
  const users = new Map(); // username → {id, name, password digest}
  const sessions = new Map(); // sid → user (site)
  const idpSessions = new Map(); // idp sid → account id (IdP)
  const idpTokens = new Map(); // one-time token → account id
  const seen = new Set();
  // Passkeys, verified here with @simplewebauthn/server: username → [{id, publicKey, counter,
  // transports}]; credential id → username; pending ceremonies: one-time id → {challenge, user?}.
  const passkeys = new Map();
  const passkeyOwners = new Map();
  const ceremonies = new Map();
  let origins;
  const rpID = () => new URL(origins.app).hostname;

  const cookies = (req) => Object.fromEntries((req.headers.cookie ?? '').split(/;\s*/).filter(Boolean).map((c) => c.split('=').map(decodeURIComponent)));
  const json = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
    return true;
  };
  const readForm = (req) =>
    new Promise((ok, fail) => {
      let size = 0;
      const chunks = [];
      req.on('data', (c) => {
        size += c.length;
        if (size > 64 * 1024) fail(new Error('too large'));
        else chunks.push(c);
      });
      req.on('end', () => ok(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
      req.on('error', fail);
    });
  const publicUser = (u) => ({ id: u.id, name: u.name, ...(u.provider ? { provider: u.provider } : {}), ...(u.passkey ? { passkey: true } : {}) });
  const startSession = (res, user) => {
    const sid = token();
    sessions.set(sid, user);
    return json(res, 200, { user: publicUser(user) }, { 'set-cookie': `sid=${sid}; Path=/; HttpOnly; SameSite=Lax` });
  };

  async function site(req, res, url) {
    const sid = cookies(req).sid;
    if (url.pathname === '/api/session' && req.method === 'GET') {
      const u = sessions.get(sid);
      return json(res, 200, { user: u ? publicUser(u) : null });
    }
    if (req.method !== 'POST') return false;
    const form = await readForm(req);
    switch (url.pathname) {
      case '/api/signup': {
        const id = (form.get('username') ?? '').trim();
        const password = form.get('password') ?? '';
        if (!id || !password) return json(res, 400, { error: 'username and password are required' });
        if (users.has(id)) return json(res, 409, { error: `${id} is taken` });
        const name = (form.get('name') ?? '').trim();
        seen.add(id).add(password);
        if (name) seen.add(name);
        users.set(id, { id, name, password: digest(password) });
        return startSession(res, users.get(id));
      }
      case '/api/signin': {
        const u = users.get(form.get('username') ?? '');
        if (!u || !timingSafeEqual(u.password, digest(form.get('password') ?? ''))) return json(res, 401, { error: 'wrong username or password' });
        return startSession(res, u);
      }
      case '/api/federated': {
        const account = idpTokens.get(form.get('token') ?? '');
        idpTokens.delete(form.get('token') ?? '');
        if (!account) return json(res, 401, { error: 'the IdP did not vouch for anyone' });
        return startSession(res, { ...IDP_ACCOUNTS[account], provider: origins.idp });
      }
      // Passkeys: options from the server (challenge remembered under a one-time id), the
      // browser's toJSON() back in `response`, verified by @simplewebauthn/server.
      case '/api/passkey/register-options': {
        const u = sessions.get(sid);
        if (!u || u.provider) return json(res, 401, { error: 'sign in with a password first' });
        const mine = passkeys.get(u.id) ?? [];
        const options = await generateRegistrationOptions({
          rpName: 'Example Site',
          rpID: rpID(),
          userName: u.id,
          userDisplayName: u.name || u.id,
          userID: new TextEncoder().encode(`user:${u.id}`),
          attestationType: 'none',
          excludeCredentials: mine.map((p) => ({ id: p.id, transports: p.transports })),
          authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
        });
        const ceremony = token();
        ceremonies.set(ceremony, { challenge: options.challenge, user: u.id });
        return json(res, 200, { ceremony, options });
      }
      case '/api/passkey/register': {
        const u = sessions.get(sid);
        const c = ceremonies.get(form.get('ceremony') ?? '');
        ceremonies.delete(form.get('ceremony') ?? '');
        if (!u || !c || c.user !== u.id) return json(res, 400, { error: 'no registration in progress' });
        let v;
        try {
          v = await verifyRegistrationResponse({
            response: JSON.parse(form.get('response') ?? 'null'),
            expectedChallenge: c.challenge,
            expectedOrigin: origins.app,
            expectedRPID: rpID(),
            requireUserVerification: false,
          });
        } catch (e) {
          return json(res, 400, { error: `registration rejected: ${e.message}` });
        }
        if (!v.verified) return json(res, 400, { error: 'registration not verified' });
        const { credential, userVerified } = v.registrationInfo;
        const list = passkeys.get(u.id) ?? [];
        list.push({ id: credential.id, publicKey: credential.publicKey, counter: credential.counter, transports: credential.transports });
        passkeys.set(u.id, list);
        passkeyOwners.set(credential.id, u.id);
        return json(res, 200, { verified: true, userVerified, passkeys: list.length });
      }
      case '/api/passkey/signin-options': {
        const options = await generateAuthenticationOptions({ rpID: rpID(), userVerification: 'preferred' });
        const ceremony = token();
        ceremonies.set(ceremony, { challenge: options.challenge });
        return json(res, 200, { ceremony, options });
      }
      case '/api/passkey/signin': {
        const c = ceremonies.get(form.get('ceremony') ?? '');
        ceremonies.delete(form.get('ceremony') ?? '');
        if (!c || c.user) return json(res, 400, { error: 'no sign-in in progress' });
        const response = JSON.parse(form.get('response') ?? 'null');
        const owner = passkeyOwners.get(response?.id);
        const stored = owner && (passkeys.get(owner) ?? []).find((p) => p.id === response.id);
        if (!stored) return json(res, 401, { error: 'unknown passkey' });
        let v;
        try {
          v = await verifyAuthenticationResponse({
            response,
            expectedChallenge: c.challenge,
            expectedOrigin: origins.app,
            expectedRPID: rpID(),
            credential: stored,
            requireUserVerification: false,
          });
        } catch (e) {
          return json(res, 401, { error: `sign-in rejected: ${e.message}` });
        }
        if (!v.verified) return json(res, 401, { error: 'sign-in not verified' });
        stored.counter = v.authenticationInfo.newCounter;
        const u = users.get(owner);
        if (!u) return json(res, 401, { error: 'no such account' });
        return startSession(res, { ...u, passkey: true });
      }
      case '/api/signout':
        sessions.delete(sid);
        return json(res, 200, { user: null }, { 'set-cookie': 'sid=; Path=/; Max-Age=0; SameSite=Lax' });
      default:
        return false;
    }
  }

  // The IdP: /authorize shows "Continue as Carol" (or, when Carol already signed in here and the
  // site names her in login_hint, sends her straight back); /approve signs her in at the IdP and
  // sends her back to the site with a one-time token the site redeems at /api/federated.
  async function idp(req, res, url) {
    const back = (ret, account) => {
      const t = token();
      idpTokens.set(t, account);
      const to = new URL(ret);
      to.search = `?idp_token=${t}`;
      return to.href;
    };
    const validReturn = (ret) => {
      try {
        return new URL(ret).origin === origins.app;
      } catch {
        return false;
      }
    };
    if (url.pathname === '/authorize' && req.method === 'GET') {
      const ret = url.searchParams.get('return') ?? '';
      if (!validReturn(ret)) return json(res, 400, { error: 'unknown client' });
      const signedIn = idpSessions.get(cookies(req).idp_sid);
      if (signedIn && signedIn === url.searchParams.get('login_hint')) {
        res.writeHead(303, { location: back(ret, signedIn), 'cache-control': 'no-store' });
        res.end();
        return true;
      }
      return serveFile(res, join(SITE, 'idp', 'authorize.html'));
    }
    if (url.pathname === '/approve' && req.method === 'POST') {
      const form = await readForm(req);
      const ret = form.get('return') ?? '';
      const account = form.get('account') ?? '';
      if (!validReturn(ret) || !IDP_ACCOUNTS[account]) return json(res, 400, { error: 'bad request' });
      const sid = token();
      idpSessions.set(sid, account);
      res.writeHead(303, { location: back(ret, account), 'set-cookie': `idp_sid=${sid}; Path=/; HttpOnly; SameSite=Lax`, 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    return false;
  }

  async function serveFile(res, path) {
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(await readFile(path));
    return true;
  }

  async function staticFile(res, root, pathname) {
    let path = resolve(root, `.${decodeURIComponent(pathname)}`);
    if (pathname === '/style.css') path = join(SITE, 'style.css');
    if (path !== root && !path.startsWith(root + sep) && path !== join(SITE, 'style.css')) return false;
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) return false;
    return serveFile(res, path);
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
      let done = false;
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204, { 'cache-control': 'max-age=3600' });
        return res.end();
      }
      if (hostname === 'app.localhost') {
        done = (await site(req, res, url)) || (await staticFile(res, join(SITE, 'app'), url.pathname));
      } else if (hostname === 'idp.localhost') {
        done = (await idp(req, res, url)) || (await staticFile(res, join(SITE, 'idp'), url.pathname));
      } else if (hostname === 'localhost' || hostname === '127.0.0.1') {
        done = !/^\/(app|idp)(\/|$)/.test(url.pathname) && (await staticFile(res, SITE, url.pathname));
      }
      if (!done) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e?.message ?? e));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const p = server.address().port;
  origins = { site: `http://localhost:${p}`, app: `http://app.localhost:${p}`, idp: `http://idp.localhost:${p}` };
  return {
    port: p,
    ...origins,
    seen,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
