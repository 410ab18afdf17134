// WebAuthn related origin requests end to end in headless Firefox ESR (the scenario:
// e2e/lib/related-origins.mjs): Firefox's HTTPS proxy is pointed at a CONNECT tunnel to one
// loopback TLS server for both shop.co.uk and shop.com; the session's acceptInsecureCerts
// (e2e/lib/firefox-bidi.mjs) accepts its throwaway certificate, for the extension's fetch too.
import test from 'node:test';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { withBrowser } from '../lib/firefox.mjs';
import { relatedOriginsScenario, wellKnownServer } from '../lib/related-origins.mjs';

/** An HTTP proxy that tunnels every CONNECT to 127.0.0.1:`port`. */
async function tunnelTo(port) {
  const proxy = createServer((req, res) => {
    res.writeHead(405);
    res.end();
  });
  const sockets = new Set();
  proxy.on('connect', (req, client, head) => {
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  return {
    port: proxy.address().port,
    close: () => new Promise((ok) => { for (const s of sockets) s.destroy(); proxy.close(() => ok()); }),
  };
}

test('related origins: a listed origin registers and signs in with a foreign RP ID; anything else is SecurityError', { timeout: 180_000 }, async () => {
  const tls = await wellKnownServer();
  const tunnel = await tunnelTo(tls.port);
  try {
    await withBrowser({ prefs: { 'network.proxy.ssl_port': tunnel.port } }, (h) => relatedOriginsScenario(h, tls));
  } finally {
    await tunnel.close();
    await tls.close();
  }
});
