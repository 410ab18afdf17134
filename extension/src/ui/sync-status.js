// @ts-check
// The popup's line about sync: what `vault.status`'s `sync` says (docs/protocol.md, "Sync
// status"), in words. Nothing when sync is off.

/**
 * @typedef {{state: string, server?: string, lastSync?: string, lastError?: string,
 *   received?: number, pushed?: number}} SyncStatus
 */

/**
 * The line to show for `sync` ('' for none).
 * @param {SyncStatus | undefined} sync
 * @param {(date: Date) => string} [time] how a time is written (the user's locale by default)
 * @returns {string}
 */
export function syncText(sync, time = (date) => date.toLocaleString()) {
  switch (sync?.state) {
    case 'syncing':
      return 'Syncing…';
    case 'synced': {
      const when = sync.lastSync ? new Date(sync.lastSync) : null;
      const at = when && !Number.isNaN(when.getTime()) ? ` at ${time(when)}` : '';
      return `Synced with ${sync.server ?? 'the sync server'}${at}`;
    }
    case 'failed':
      return `Sync failed: ${sync.lastError ?? 'unknown error'}`;
    default:
      return '';
  }
}
