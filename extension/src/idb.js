// @ts-check
// One object store of a database in the extension origin's IndexedDB, the way the settings
// (settings.js) and the icon cache (icons.js) use it: opened once, on first use, and worked on
// one transaction at a time.

/**
 * Runs `fn(store)` in a transaction of `mode` on the store; resolves with what `fn` returned
 * once the transaction completed (its requests have their results then), rejects when it fails.
 * @typedef {<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => T) => Promise<T>} StoreRunner
 */

/**
 * The object store `storeName` of database `name` (version 1, where it is created with
 * `options`), in `idb` (the global indexedDB unless given).
 * @param {string} name
 * @param {string} storeName
 * @param {IDBObjectStoreParameters} [options]
 * @param {IDBFactory} [idb]
 * @returns {StoreRunner}
 */
export function objectStore(name, storeName, options, idb = globalThis.indexedDB) {
  /** @type {Promise<IDBDatabase> | null} */
  let opening = null;
  const db = () => {
    opening ??= new Promise((ok, fail) => {
      const request = idb.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(storeName, options);
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    return opening;
  };
  return async (mode, fn) => {
    const d = await db();
    return new Promise((ok, fail) => {
      const tx = d.transaction(storeName, mode);
      const result = fn(tx.objectStore(storeName));
      tx.oncomplete = () => ok(result);
      tx.onerror = () => fail(tx.error);
      tx.onabort = () => fail(tx.error);
    });
  };
}
