// @ts-check
// The settings, cached.

import { DEFAULTS, indexedDbSettings, loadSettings } from '../settings.js';

const api = globalThis.chrome;

// In the extension origin's IndexedDB, where content scripts cannot write them (src/settings.js);
// changed only by extension pages, through this background (`settings.set`).
export const settingsStore = indexedDbSettings();
/** @type {{storeConsent: string, benchEcho: boolean, [key: string]: unknown}} */
export const settings = { ...DEFAULTS };
export const settingsLoaded = loadSettings(settingsStore, api.storage.local)
  .then((s) => Object.assign(settings, s))
  .catch((e) => console.error('credwell: settings', e));
