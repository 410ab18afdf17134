// Frames: same-origin-with-ancestors from the browser's frame tree, opaque origins, about:blank.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, getCredential, settle, addFrame } from '../lib/harness.mjs';

const T = { timeout: 120_000 };

test('a cross-origin iframe gets NotAllowedError while a same-origin iframe gets the credential', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
    const same = await addFrame(h.page, { src: `${h.origin}/blank.html` });
    assert.equal((await getCredential(same, { password: true, mediation: 'silent' }))?.id, 'alice');
    const blank = await addFrame(h.page, { srcdoc: '<p>srcdoc</p>' });
    assert.equal((await getCredential(blank, { password: true, mediation: 'silent' }))?.id, 'alice', 'about:srcdoc inherits the origin');

    // A script-made about:blank iframe, used at once by its parent.
    const fromBlank = await h.page.evaluate(async () => {
      const f = document.createElement('iframe');
      document.body.append(f);
      const w = f.contentWindow;
      const c = await w.navigator.credentials.get({ password: true, mediation: 'silent' });
      return [c?.id, c instanceof w.PasswordCredential, Function.prototype.toString.call(w.navigator.credentials.get).includes('[native code]')];
    });
    assert.deepEqual(fromBlank, ['alice', true, false]);

    const cross = await addFrame(h.page, { src: `${h.crossOrigin}/blank.html` });
    const r = await settle(cross, () => navigator.credentials.get({ password: true }));
    assert.equal(r.name, 'NotAllowedError');
    assert.equal(r.domException, true);
    const s = await settle(cross, () => navigator.credentials.store(new PasswordCredential({ id: 'x', password: 'y' })));
    assert.equal(s.name, 'NotAllowedError');
    // create() is allowed in cross-origin frames.
    assert.equal((await settle(cross, async () => (await navigator.credentials.create({ password: { id: 'x', password: 'y' } })).id)).value, 'x');
    // A same-origin frame inside a cross-origin frame is not same-origin with its ancestors.
    const nested = await addFrame(h.page, { parent: cross, src: `${h.origin}/blank.html` });
    assert.equal((await settle(nested, () => navigator.credentials.get({ password: true }))).name, 'NotAllowedError');
    // The frame's own origin on its own (top-level) still works.
    await h.goto('/blank.html', h.crossOrigin);
    assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null, "the other origin has no credential of this one's");
  }),
);

test('an opaque origin (sandboxed iframe without allow-same-origin) gets SecurityError', T, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const sandboxed = await addFrame(h.page, { src: `${h.origin}/blank.html`, sandbox: 'allow-scripts' });
    const info = await sandboxed.evaluate(() => [self.origin, isSecureContext, typeof PasswordCredential]);
    assert.deepEqual(info, ['null', true, 'function']);
    for (const call of [
      () => navigator.credentials.get({ password: true }),
      () => navigator.credentials.store(new PasswordCredential({ id: 'a', password: 'b' })),
      () => navigator.credentials.get({ federated: { providers: ['https://idp.example'] } }),
    ]) {
      const r = await settle(sandboxed, call);
      assert.equal(r.name, 'SecurityError', call.toString());
      assert.equal(r.domException, true);
    }
    // A CSP-sandboxed top-level document too.
    await h.goto('/blank.html?csp-sandbox');
    assert.equal(await h.page.evaluate(() => self.origin), 'null');
    assert.equal((await settle(h.page, () => navigator.credentials.get({ password: true }))).name, 'SecurityError');
    // With allow-same-origin the frame keeps its origin: no SecurityError.
    await h.goto('/blank.html');
    const allowed = await addFrame(h.page, { src: `${h.origin}/blank.html`, sandbox: 'allow-scripts allow-same-origin' });
    const got = getCredential(allowed, { password: true, mediation: 'silent' });
    await h.unlock();
    assert.equal(await got, null);
  }),
);
