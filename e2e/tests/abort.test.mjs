// AbortSignal: an already-aborted signal rejects with exactly its reason; an abort while the
// chooser is open rejects at once with the reason and closes the chooser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, settle } from '../lib/harness.mjs';

const T = { timeout: 120_000 };

test('an already-aborted signal rejects with exactly its reason', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const r = await h.page.evaluate(async () => {
      const outcome = (p) => p.then((v) => ({ resolved: v }), (e) => ({ rejected: e }));
      const aborted = (reason) => {
        const c = new AbortController();
        c.abort(reason);
        return c.signal;
      };
      const out = {};
      out.string = (await outcome(navigator.credentials.get({ password: true, signal: aborted('why') }))).rejected;
      const reason = { because: 'object' };
      out.objectIdentity = (await outcome(navigator.credentials.get({ password: true, signal: aborted(reason) }))).rejected === reason;
      const error = new RangeError('not JSON-able identity');
      out.errorIdentity = (await outcome(navigator.credentials.get({ password: true, signal: aborted(error) }))).rejected === error;
      const c = new AbortController();
      c.abort();
      const d = (await outcome(navigator.credentials.get({ password: true, signal: c.signal }))).rejected;
      out.default = [d instanceof DOMException, d.name, d === c.signal.reason];
      out.create = (await outcome(navigator.credentials.create({ password: { id: 'a', password: 'b' }, signal: aborted(7) }))).rejected;
      // create(): the abort check comes after the "more than one type" check.
      out.createTooMany = (await outcome(navigator.credentials.create({ password: { id: 'a', password: 'b' }, federated: { id: 'a', provider: 'https://i.example' }, signal: aborted('x') }))).rejected.name;
      // No type at all but aborted: the reason wins (WPT), for get and create.
      out.getNoType = (await outcome(navigator.credentials.get({ signal: aborted('first') }))).rejected;
      out.createNoType = (await outcome(navigator.credentials.create({ signal: aborted('first') }))).rejected;
      // Aborted right after the call: the reason, not NotSupportedError.
      const late = new AbortController();
      const p = navigator.credentials.get({ signal: late.signal });
      late.abort('late');
      out.lateNoType = (await outcome(p)).rejected;
      return out;
    });
    assert.deepEqual(r, {
      string: 'why',
      objectIdentity: true,
      errorIdentity: true,
      default: [true, 'AbortError', true],
      create: 7,
      createTooMany: 'NotSupportedError',
      getNoType: 'first',
      createNoType: 'first',
      lateNoType: 'late',
    });
    assert.equal(h.uiOpen('unlock'), false, 'aborted calls never reach the vault');
  }),
);

test('aborting while the chooser is open rejects with the reason and closes the chooser', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    await h.storePassword({ id: 'bob', password: 'x' });
    await h.page.evaluate(() => {
      window.controller = new AbortController();
      window.reason = { why: 'the user went elsewhere' };
      window.result = navigator.credentials.get({ password: true, signal: controller.signal }).then(
        (v) => ({ resolved: v }),
        (e) => ({ rejectedWithReason: e === window.reason, e: String(e) }),
      );
    });
    const chooser = await h.waitForUi('chooser');
    await chooser.locator('button.account').first().waitFor();
    const closed = chooser.waitForEvent('close');
    const r = await h.page.evaluate(async () => {
      controller.abort(reason);
      return window.result;
    });
    assert.deepEqual(r, { rejectedWithReason: true, e: '[object Object]' });
    await closed;
    // The document may ask again at once (its password request is no longer active).
    const again = settle(h.page, () => navigator.credentials.get({ password: true, mediation: 'required' }).then((c) => c.id));
    const chooser2 = await h.waitForUi('chooser');
    await h.clickAndClose(chooser2, 'button.account[data-id="bob"]');
    assert.deepEqual(await again, { ok: true, value: 'bob' });
  }),
);
