// A page that talks to the relay itself (forged CustomEvents with its own "caller", other
// methods, other documents' request numbers) acts only as itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, getCredential, addFrame } from '../lib/harness.mjs';

// Dispatches one raw relay message in `frame` and returns the reply (or null after timeoutMs).
const forge = (frame, message, timeoutMs = 5000) =>
  frame.evaluate(
    ({ message, timeoutMs }) =>
      new Promise((ok) => {
        const timer = setTimeout(() => ok(null), timeoutMs);
        document.addEventListener('credwell-response', function listener(e) {
          const reply = JSON.parse(e.detail);
          if (reply.rid !== message.rid) return;
          document.removeEventListener('credwell-response', listener);
          clearTimeout(timer);
          ok(reply);
        });
        document.dispatchEvent(new CustomEvent('credwell-request', { detail: JSON.stringify(message) }));
      }),
    { message, timeoutMs },
  );

test("forged relay messages learn nothing about another origin's credentials", { timeout: 120_000 }, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    assert.equal((await getCredential(h.page, { password: true, mediation: 'silent' }))?.id, 'alice');

    // Another origin, top level, claims to be the first one in every way it can.
    await h.goto('/blank.html', h.crossOrigin);
    const claimed = { origin: h.origin, secureContext: true, fullyActive: true, ancestors: [], client: 1 };
    const reply = await forge(h.page, {
      t: 'call',
      rid: 1,
      method: 'credentials.get',
      params: { caller: claimed, origin: h.origin, options: { password: true, mediation: 'silent', origin: h.origin } },
      caller: claimed,
      origin: h.origin,
    });
    assert.deepEqual(reply, { t: 'reply', rid: 1, result: null });
    const optional = await forge(h.page, { t: 'call', rid: 2, method: 'credentials.get', params: { caller: claimed, options: { password: true } } });
    assert.deepEqual(optional, { t: 'reply', rid: 2, result: null }, 'nothing to choose from: no chooser, null');
    assert.equal(h.uiOpen('chooser'), false);
    // Methods the page may not call.
    for (const method of ['vault.unlock', 'vault.lock', 'ui.respond', 'cancel', 'hello', 'credwell.echo']) {
      const r = await forge(h.page, { t: 'call', rid: 3, method, params: { passphrase: 'x', ui: 1, answer: { choose: 0 }, target: 1 } });
      assert.equal(r.error?.name, 'NotSupportedError', method);
    }

    // A cross-origin frame inside the first origin's page tries to abort the page's pending
    // request by guessing its request numbers: the page's chooser stays open.
    await h.goto('/blank.html');
    await h.storePassword({ id: 'bob', password: 'x' });
    await h.page.evaluate(() => {
      window.result = navigator.credentials.get({ password: true }).then((c) => c.id, (e) => `rejected ${e.name}`);
    });
    const chooser = await h.waitForUi('chooser');
    const frame = await addFrame(h.page, { src: `${h.crossOrigin}/blank.html` });
    for (let rid = 0; rid < 64; rid++) {
      await frame.evaluate((rid) => {
        document.dispatchEvent(new CustomEvent('credwell-request', { detail: JSON.stringify({ t: 'abort', rid, reason: 'forged' }) }));
      }, rid);
    }
    await new Promise((ok) => setTimeout(ok, 1000));
    assert.equal(chooser.isClosed(), false, 'the chooser is still open');
    await h.clickAndClose(chooser, 'button.account[data-id="alice"]');
    assert.equal(await h.page.evaluate(() => window.result), 'alice');
  }),
);
