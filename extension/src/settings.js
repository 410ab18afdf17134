// @ts-check
// credwell's settings: store consent and automatic passkey upgrades (the options page) and the
// bench echo switch (e2e/bench*.mjs), kept in the extension origin's IndexedDB.
//
// Not in storage.local: content scripts can write storage.local, so a compromised renderer
// (which runs credwell's content scripts) could set storeConsent to "always" and have every
// store() saved without asking, or switch benchEcho on to learn the vault's lock state from any
// page. IndexedDB is per origin: a content script only ever reaches the page's databases, never
// the extension's, so only the background and credwell's own pages can read or change these.
// Persistent (unlike storage.session) and needs no host round trip at start (unlike settings
// kept by the host). Extension pages change them only through the background (`settings.set`),
// which checks every value and keeps its cache current.

import { objectStore } from './idb.js';

/**
 * The settings and their values.
 * @typedef {object} Settings
 * @property {'ask' | 'always' | 'never'} storeConsent
 * @property {boolean} benchEcho
 * @property {boolean} passkeyUpgrades conditional create() (an automatic passkey upgrade after a
 *   password sign-in) allowed; when false, the background refuses it (NotAllowedError)
 */

/** @typedef {keyof Settings} SettingKey */

/**
 * Where the settings are kept: every stored key with its value (checked by the reader), and a
 * write of one.
 * @typedef {object} SettingsStore
 * @property {() => Promise<{[key: string]: unknown}>} all
 * @property {(key: string, value: unknown) => Promise<void>} put
 */

/**
 * Every setting with its default.
 * @type {Readonly<Settings>}
 */
export const DEFAULTS = Object.freeze({ storeConsent: 'ask', benchEcho: false, passkeyUpgrades: true });

/** @type {{[K in SettingKey]: (v: unknown) => v is Settings[K]}} */
const VALID = {
  storeConsent: (v) => v === 'ask' || v === 'always' || v === 'never',
  benchEcho: (v) => typeof v === 'boolean',
  passkeyUpgrades: (v) => typeof v === 'boolean',
};

/**
 * Whether `key` names a setting.
 * @param {string} key
 * @returns {key is SettingKey}
 */
function isSettingKey(key) {
  return Object.hasOwn(VALID, key);
}

/**
 * Whether `value` is a valid value of setting `key`.
 * @param {string} key
 * @param {unknown} value
 */
export function validSetting(key, value) {
  return isSettingKey(key) && VALID[key](value);
}

/**
 * Sets `settings[key]` to `value` if that is a valid value of the setting.
 * @template {SettingKey} K
 * @param {Settings} settings
 * @param {K} key
 * @param {unknown} value
 */
function setIfValid(settings, key, value) {
  const valid = VALID[key];
  if (valid(value)) settings[key] = value;
}

/**
 * A key → value store in the extension origin's IndexedDB.
 * @returns {SettingsStore}
 */
export function indexedDbSettings(name = 'credwell-settings') {
  const run = objectStore(name, 'settings');
  return {
    all: () =>
      run('readonly', (store) => {
        /** @type {{[key: string]: unknown}} */
        const out = {};
        const cursor = store.openCursor();
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c) return;
          out[/** @type {string} */ (c.key)] = c.value;
          c.continue();
        };
        return out;
      }),
    /**
     * @param {string} key
     * @param {unknown} value
     */
    put: (key, value) => run('readwrite', (store) => store.put(value, key)).then(() => {}),
  };
}

/**
 * An in-memory store with the same shape (tests).
 * @param {{[key: string]: unknown}} [initial]
 * @returns {SettingsStore & {map: Map<string, unknown>}}
 */
export function memorySettings(initial = {}) {
  const map = new Map(Object.entries(initial));
  return {
    map,
    all: async () => Object.fromEntries(map),
    put: async (key, value) => {
      map.set(key, value);
    },
  };
}

/**
 * The settings, read from `store` (defaults for anything missing or invalid).
 *
 * Earlier versions kept them in `local` (storage.local). Their values are never read, not even
 * once to move them over: a content script can write storage.local at any time, including
 * before the first read after an install or update (a one-time move raced a compromised
 * renderer, which won it in end-to-end runs). Such a user answers "ask" again, the safe
 * default; the old keys are removed from `local`.
 * @param {SettingsStore} store
 * @param {Pick<chrome.storage.StorageArea, 'remove'>} local
 * @returns {Promise<Settings>}
 */
export async function loadSettings(store, local) {
  await local.remove(['storeConsent', 'benchEcho']).catch(() => {});
  const stored = await store.all();
  /** @type {Settings} */
  const settings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    if (isSettingKey(key)) setIfValid(settings, key, stored[key]);
  }
  return settings;
}
