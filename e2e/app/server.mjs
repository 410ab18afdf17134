// A small server-rendered sign-up / sign-in / sign-out site in the style of the common Express +
// Passport tutorials ("passport-local": GET /login, POST /login/password, GET /signup, POST
// /signup, POST /logout, a session cookie), on plain node:http, for the fill scenarios
// (scenarios/fill.mjs): credwell must save the sign-up form's password, fill the sign-in form
// with it, and return it to the site's own get(). Passwords are kept as scrypt hashes, as the
// tutorials keep them; a wrong one sends the user back to the sign-in form.
//
//   node e2e/app/server.mjs [port]     serves it on 127.0.0.1 (http://localhost:<port>)
import { createServer } from 'node:http';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} - todos</title>
<style>body { font: 16px system-ui, sans-serif; margin: 40px; } label { display: block; margin: 8px 0; }</style>
</head><body><h1>todos</h1>${body}</body></html>`;

/** Starts the site on a free port of 127.0.0.1; {origin, port, users, close()}. */
export async function startApp(port = 0) {
  /** @type {Map<string, {salt: Buffer, hash: Buffer}>} */
  const users = new Map();
  /** @type {Map<string, string>} session id → user name */
  const sessions = new Map();

  const hash = (password, salt) => scryptSync(password, salt, 32);
  const verify = (username, password) => {
    const user = users.get(username);
    if (!user) return false;
    return timingSafeEqual(user.hash, hash(password, user.salt));
  };
  const sessionOf = (req) => {
    const sid = /(?:^|;\s*)sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    return sid && sessions.has(sid) ? { sid, user: sessions.get(sid) } : null;
  };
  const signIn = (res, user) => {
    const sid = randomBytes(18).toString('base64url');
    sessions.set(sid, user);
    res.setHeader('set-cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  };
  const redirect = (res, to) => {
    res.writeHead(302, { location: to });
    res.end();
  };
  const page = (res, title, body, status = 200) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(layout(title, body));
  };
  const form = (req) =>
    new Promise((ok, no) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        body += chunk;
        if (body.length > 65536) no(new Error('too large'));
      });
      req.on('end', () => ok(new URLSearchParams(body)));
      req.on('error', no);
    });

  const routes = {
    'GET /': (req, res) => {
      const session = sessionOf(req);
      if (!session) {
        return page(res, 'Home', '<p>Welcome. <a id="login" href="/login">Sign in</a> or <a id="signup" href="/signup">sign up</a>.</p>');
      }
      page(res, 'Home', `<p>Signed in as <b id="who">${escape(session.user)}</b>.</p>
<form action="/logout" method="post"><button id="signout">Sign out</button></form>`);
    },
    'GET /login': (req, res, url) => {
      const failed = url.searchParams.has('failed') ? '<p id="failed">Incorrect username or password.</p>' : '';
      page(res, 'Sign in', `${failed}
<form action="/login/password" method="post">
  <section><label for="username">Username</label>
    <input id="username" name="username" type="text" autocomplete="username" required autofocus></section>
  <section><label for="current-password">Password</label>
    <input id="current-password" name="password" type="password" autocomplete="current-password" required></section>
  <button id="signin" type="submit">Sign in</button>
</form>
<p>Don't have an account? <a href="/signup">Sign up</a></p>`);
    },
    'POST /login/password': async (req, res) => {
      const f = await form(req);
      const username = f.get('username') ?? '';
      if (!verify(username, f.get('password') ?? '')) return redirect(res, '/login?failed');
      signIn(res, username);
      redirect(res, '/');
    },
    'GET /signup': (req, res) => {
      page(res, 'Sign up', `
<form action="/signup" method="post">
  <section><label for="username">Username</label>
    <input id="username" name="username" type="text" autocomplete="username" required></section>
  <section><label for="new-password">Password</label>
    <input id="new-password" name="password" type="password" autocomplete="new-password" required></section>
  <button id="signup" type="submit">Sign up</button>
</form>
<p>Already have an account? <a href="/login">Sign in</a></p>`);
    },
    'POST /signup': async (req, res) => {
      const f = await form(req);
      const username = f.get('username') ?? '';
      const password = f.get('password') ?? '';
      if (!username || !password || users.has(username)) return redirect(res, '/signup');
      const salt = randomBytes(16);
      users.set(username, { salt, hash: hash(password, salt) });
      signIn(res, username);
      redirect(res, '/');
    },
    'POST /logout': (req, res) => {
      const session = sessionOf(req);
      if (session) sessions.delete(session.sid);
      res.setHeader('set-cookie', 'sid=; Path=/; Max-Age=0');
      redirect(res, '/');
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) return page(res, 'Not found', '<p>Not found.</p>', 404);
    Promise.resolve(route(req, res, url)).catch(() => {
      if (!res.headersSent) page(res, 'Error', '<p>Something went wrong.</p>', 500);
    });
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const bound = server.address().port;
  return {
    port: bound,
    origin: `http://localhost:${bound}`,
    users,
    close: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const app = await startApp(Number(process.argv[2] ?? 3000));
  console.log(`todos: ${app.origin}`);
}
