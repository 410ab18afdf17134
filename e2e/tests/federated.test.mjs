// Federated credentials: stored with their provider, returned by provider.
import test from 'node:test';
import assert from 'node:assert/strict';
import { withBrowser, getCredential } from '../lib/harness.mjs';

test('a federated credential is saved and returned by provider (trailing slash accepted)', { timeout: 120_000 }, () =>
  withBrowser({}, async (h) => {
    await h.goto('/blank.html');
    const stored = h.page.evaluate(() =>
      navigator.credentials.store(new FederatedCredential({ id: 'alice@idp', provider: 'https://idp.example', name: 'Alice', protocol: 'openidconnect' })),
    );
    await h.unlock();
    const text = await h.answerPrompt('save');
    assert.match(text, /https:\/\/idp\.example/, 'the prompt shows the provider');
    await stored;
    const got = await getCredential(h.page, { federated: { providers: ['https://idp.example/'] }, mediation: 'silent' });
    assert.deepEqual(got, {
      type: 'federated',
      id: 'alice@idp',
      name: 'Alice',
      iconURL: '',
      provider: 'https://idp.example',
      protocol: 'openidconnect',
      instanceOfInterface: true,
      instanceOfCredential: true,
    });
    assert.equal(await getCredential(h.page, { federated: { providers: ['https://other.example'] }, mediation: 'silent' }), null);
    assert.equal(await getCredential(h.page, { password: true, mediation: 'silent' }), null, 'not a password credential');
    // password and federated may be asked together.
    assert.equal((await getCredential(h.page, { password: true, federated: { providers: ['https://idp.example'] }, mediation: 'silent' }))?.id, 'alice@idp');
  }),
);
