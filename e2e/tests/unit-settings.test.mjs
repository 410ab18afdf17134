// Unit tests of the extension's settings (extension/src/settings.js): storage.local is never
// read for them (earlier versions' keys are only removed); no browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, loadSettings, memorySettings, validSetting } from '../../extension/src/settings.js';

// storage.local's shape (get(keys), remove(keys)), in memory.
function fakeLocal(initial = {}) {
  const map = new Map(Object.entries(initial));
  return {
    map,
    get: async (keys) => Object.fromEntries(keys.filter((k) => map.has(k)).map((k) => [k, map.get(k)])),
    remove: async (keys) => {
      for (const k of keys) map.delete(k);
    },
  };
}

test('settings: defaults without anything stored', async () => {
  assert.deepEqual(await loadSettings(memorySettings(), fakeLocal()), DEFAULTS);
  assert.deepEqual(DEFAULTS, { storeConsent: 'ask', benchEcho: false, passkeyUpgrades: true });
});

test('settings: storage.local is never read, not even on the first start; its old keys are removed', async () => {
  const store = memorySettings();
  // What a content script can have written before the first start read the settings.
  const local = fakeLocal({ storeConsent: 'always', benchEcho: true, icons: {} });
  assert.deepEqual(await loadSettings(store, local), DEFAULTS);
  assert.equal(store.map.has('storeConsent'), false);
  assert.deepEqual([...local.map.keys()], ['icons'], 'the old keys are gone from storage.local (others stay)');
  // A content script (or anything else) writes storage.local afterwards: ignored.
  local.map.set('storeConsent', 'always');
  local.map.set('benchEcho', true);
  assert.deepEqual(await loadSettings(store, local), DEFAULTS);
  // What the options page saves is what counts.
  await store.put('storeConsent', 'never');
  assert.deepEqual(await loadSettings(store, local), { storeConsent: 'never', benchEcho: false, passkeyUpgrades: true });
});

test('settings: the bench echo switch is not carried over; invalid values fall back to defaults', async () => {
  const store = memorySettings();
  assert.deepEqual(await loadSettings(store, fakeLocal({ storeConsent: 'yes please', benchEcho: true })), DEFAULTS);
  assert.equal(store.map.has('storeConsent'), false);
  const odd = memorySettings({ migratedFromStorageLocal: true, storeConsent: 7, benchEcho: 'true' });
  assert.deepEqual(await loadSettings(odd, fakeLocal()), DEFAULTS);
  // A value already in the extension's store wins over an old one in storage.local.
  const both = memorySettings({ storeConsent: 'ask' });
  assert.equal((await loadSettings(both, fakeLocal({ storeConsent: 'always' }))).storeConsent, 'ask');
});

test('settings: validSetting knows every setting and nothing else', () => {
  for (const v of ['ask', 'always', 'never']) assert.equal(validSetting('storeConsent', v), true);
  for (const v of ['ALWAYS', '', null, undefined, true]) assert.equal(validSetting('storeConsent', v), false);
  assert.equal(validSetting('benchEcho', true), true);
  assert.equal(validSetting('passkeyUpgrades', false), true);
  assert.equal(validSetting('passkeyUpgrades', 'false'), false);
  assert.equal(validSetting('benchEcho', 1), false);
  assert.equal(validSetting('icons', {}), false);
  assert.equal(validSetting('__proto__', 'ask'), false);
  assert.equal(validSetting('toString', 'ask'), false);
});
