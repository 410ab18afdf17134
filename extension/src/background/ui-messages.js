// @ts-check
// Messages from credwell's own pages.

import { validSetting } from '../settings.js';
import { generation, hostConnected, locked, sendToHost, setLocked } from './host.js';
import { settings, settingsLoaded, settingsStore } from './settings-cache.js';
import { setUnlockRefused, showUnlock } from './unlock.js';
import { noteStoreAnswer, noteVerifyCancelled, validAnswer } from './prompts.js';
import { forgetAutofill, onAutofillFrame, onAutofillPick } from './autofill.js';

const api = globalThis.chrome;
// When this background (service worker / event page) started: a restarted one has a new value.
const BACKGROUND_STARTED = Date.now() + Math.random();

// Messages from credwell's own pages (unlock, chooser, prompt, popup, options).
/**
 * @param {any} message
 * @param {(reply: object) => void} sendResponse
 * @param {chrome.runtime.MessageSender} sender
 */
export async function onUiMessage(message, sendResponse, sender) {
  switch (message.kind) {
    case 'autofill.frame':
      sendResponse(await onAutofillFrame(message, sender));
      return;
    case 'autofill.pick':
      await onAutofillPick(message, sender);
      sendResponse({});
      return;
    case 'unlock': {
      if (typeof message.passphrase !== 'string' || message.passphrase === '') {
        sendResponse({ error: { name: 'WrongPassphrase', message: 'Enter the passphrase.' } });
        return;
      }
      sendToHost('vault.unlock', { passphrase: message.passphrase }, (reply) => {
        if (reply.result) setLocked(false);
        sendResponse(reply.result ? { result: reply.result } : { error: reply.error });
      });
      return;
    }
    case 'lock':
      sendToHost('vault.lock', {}, (reply) => sendResponse(reply));
      return;
    case 'settings.get':
      await settingsLoaded;
      sendResponse({ result: { ...settings } });
      return;
    case 'settings.set': {
      if (!validSetting(message.key, message.value)) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not a setting or not a valid value for it' } });
        return;
      }
      await settingsLoaded;
      await settingsStore.put(message.key, message.value);
      settings[message.key] = message.value;
      sendResponse({ result: { ...settings } });
      return;
    }
    case 'unlock.show':
      // The user asks for the unlock window (the popup's Unlock button): page calls may open it
      // again too.
      setUnlockRefused(false);
      if (locked) await showUnlock();
      sendResponse({ result: { locked } });
      return;
    case 'sync.status':
      // The host's background sync, for the popup; asking never starts a host.
      if (!hostConnected()) {
        sendResponse({ result: { state: 'off' } });
        return;
      }
      sendToHost('vault.status', {}, (reply) => sendResponse({ result: reply.result?.sync ?? { state: 'off' } }));
      return;
    case 'status':
      sendResponse({ result: { locked, connected: hostConnected(), backgroundStarted: BACKGROUND_STARTED } });
      return;
    case 'list': {
      const query = typeof message.query === 'string' ? message.query : '';
      // A page after the first names its cursor (the previous page's `next`).
      const params = typeof message.cursor === 'string' ? { query, cursor: message.cursor } : { query };
      sendToHost('vault.list', params, (reply) => sendResponse(reply));
      return;
    }
    case 'restore':
      // A passkey a signal hid, offered to pages again.
      if (typeof message.credentialId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(message.credentialId)) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not a credential id' } });
        return;
      }
      sendToHost('vault.restore', { credentialId: message.credentialId }, (reply) => sendResponse(reply));
      return;
    case 'delete': {
      if (typeof message.credentialId === 'string' && /^[A-Za-z0-9_-]+$/.test(message.credentialId)) {
        sendToHost('vault.delete', { credentialId: message.credentialId }, (reply) => sendResponse(reply));
        return;
      }
      if (!Number.isSafeInteger(message.record) || message.record < 0) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not a record id' } });
        return;
      }
      sendToHost('vault.delete', { record: message.record }, (reply) => sendResponse(reply));
      return;
    }
    case 'ui.respond': {
      const key = message.key;
      const state = /** @type {import('./prompts.js').PromptState | undefined} */ (
        typeof key === 'string' ? (await api.storage.session.get(key))[key] : undefined
      );
      if (!state || state.generation !== generation || !hostConnected()) {
        sendResponse({ result: { delivered: false } });
        return;
      }
      const answer = validAnswer(state, message.answer);
      if (!answer) {
        sendResponse({ error: { name: 'TypeError', message: 'credwell: not an answer to this UI' } });
        return;
      }
      await api.storage.session.remove(key);
      noteStoreAnswer(state, answer);
      if (answer.cancel === true) noteVerifyCancelled(state);
      if (state.autofill) forgetAutofill(state.ui);
      sendToHost('ui.respond', { ui: state.ui, answer }, (reply) => {
        sendResponse(reply);
        if (state.windowId !== null) api.windows.remove(state.windowId).catch(() => {});
      });
      return;
    }
    default:
      sendResponse({ error: { name: 'NotSupportedError', message: 'credwell: unknown UI message' } });
  }
}
