// Unit tests of the options page's offer to switch off the browser's own password saving
// (src/ui/browser-saving.js): what it says and offers for each state the browser reports.
import test from 'node:test';
import assert from 'node:assert/strict';
import { describe } from '../src/ui/browser-saving.js';

test('on and ours to change: offers to turn it off', () => {
  const shown = describe({ value: true, levelOfControl: 'controllable_by_this_extension' });
  assert.equal(shown.action, 'off');
  assert.match(shown.text, /asked twice/);
});

test('turned off by credwell: offers to give the browser its saving back', () => {
  const shown = describe({ value: false, levelOfControl: 'controlled_by_this_extension' });
  assert.equal(shown.action, 'restore');
});

test('off by the user: nothing to offer', () => {
  assert.equal(describe({ value: false, levelOfControl: 'controllable_by_this_extension' }).action, null);
});

test('held by another extension or a policy: says so, offers nothing', () => {
  for (const levelOfControl of ['controlled_by_other_extensions', 'not_controllable']) {
    const shown = describe({ value: true, levelOfControl });
    assert.equal(shown.action, null);
    assert.match(shown.text, /another extension or a policy/);
  }
});

test('a browser without the setting: says so, offers nothing', () => {
  assert.equal(describe(undefined).action, null);
});
