// Account icons (a credential's iconURL), for both browsers' suites (a scenario of
// e2e/scenarios/related-origins.mjs), on the related-origins TLS server (https://shop.co.uk, the caller,
// and https://shop.com, another site), which records every /icon* request.
//
// The attack: a page's store() made the extension fetch any https URL it named, even when the
// user answered "Not now", and rewrote the icon cache in storage.local each time. Now only a
// real Save fetches, only an icon on the caller's own host (or below it), and the cache lives in
// the extension origin's IndexedDB.
import assert from 'node:assert/strict';
import { CALLER, RP_ID } from './related-origins.mjs';

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export async function iconScenario(h, tls) {
  await h.goto('/', CALLER);
  // "Not now": nothing is saved, nothing is fetched.
  await h.storePassword({ id: 'later', password: 'p1', iconURL: `${CALLER}/icon-not-now.png` }, { unlock: true, answer: 'dismiss' });
  // Saved, but the icon is on another site: not fetched.
  await h.storePassword({ id: 'cross', password: 'p2', iconURL: `https://${RP_ID}/icon-other-site.png` });
  // Saved, the caller's own icon: fetched once, after the Save.
  await h.storePassword({ id: 'own', password: 'p3', iconURL: `${CALLER}/icon-own.png` });
  const deadline = Date.now() + 15_000;
  while (!tls.state.icons.includes(`${new URL(CALLER).host}/icon-own.png`)) {
    if (Date.now() > deadline) assert.fail(`the saved credential's icon was not fetched: ${JSON.stringify(tls.state.icons)}`);
    await sleep(100);
  }
  await sleep(1000);
  assert.deepEqual(tls.state.icons, [`${new URL(CALLER).host}/icon-own.png`], 'only the really saved, same-site icon was fetched');

  // The chooser shows the cached icon (a data: URL) for that account only.
  const getting = h.page.evaluate(() => navigator.credentials.get({ password: true, mediation: 'required' }).then((c) => c && c.id));
  const ui = await h.waitForUi('chooser');
  await h.uiWait(ui, 'button[data-id="own"]');
  const images = await ui.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('button[data-id]')].map((b) => [b.dataset.id, b.querySelector('img')?.src.slice(0, 22) ?? null])),
  );
  assert.deepEqual(images, { cross: null, own: 'data:image/png;base64,' });
  await h.clickAndClose(ui, 'button[data-id="own"]');
  assert.equal(await getting, 'own');

  // Nothing in storage.local, which content scripts could write.
  assert.deepEqual(await h.extensionEval(() => chrome.storage.local.get('icons')), {});
}
