// The popup's sync line (src/ui/sync-status.js) for each state `vault.status` reports.
import test from 'node:test';
import assert from 'node:assert/strict';
import { syncText } from '../src/ui/sync-status.js';

const iso = (date) => date.toISOString();

test('synced names the server and the time of the last sync', () => {
  const sync = { state: 'synced', server: 'https://sync.example', lastSync: '2026-12-03T08:00:16.928Z', received: 1, pushed: 0 };
  assert.equal(syncText(sync, iso), 'Synced with https://sync.example at 2026-12-03T08:00:16.928Z');
});

test('syncing, failed with its error, and nothing when off or unknown', () => {
  assert.equal(syncText({ state: 'syncing', server: 'https://sync.example' }), 'Syncing…');
  const failed = { state: 'failed', server: 'https://sync.example', lastError: 'the sync server cannot be reached: refused' };
  assert.equal(syncText(failed), 'Sync failed: the sync server cannot be reached: refused');
  assert.equal(syncText({ state: 'off' }), '');
  assert.equal(syncText(undefined), '');
  assert.equal(syncText({ state: 'something new' }), '');
});

test('a missing or unreadable time is left out', () => {
  assert.equal(syncText({ state: 'synced', server: 's' }, iso), 'Synced with s');
  assert.equal(syncText({ state: 'synced', server: 's', lastSync: 'not a time' }, iso), 'Synced with s');
});
