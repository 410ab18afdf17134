// @ts-check
// Account icons (src/icons.js), as this background keeps them.

import { iconCache, iconService, indexedDbBackend } from '../icons.js';

const api = globalThis.chrome;

// Fetched by the extension after a real Save/Update only, same-site with the caller, rate-limited,
// cached in the extension origin's IndexedDB (src/icons.js); the chooser shows cached ones only.
export const icons = iconService({ cache: iconCache(indexedDbBackend()) });
// Earlier versions cached icons in storage.local, which content scripts can write.
api.storage.local.remove('icons').catch(() => {});
