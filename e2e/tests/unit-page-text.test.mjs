// Unit tests of how credwell's windows show text a page supplied (extension/src/ui/page-text.js):
// cut to 64 whole user-perceived characters, controls as spaces, no bidi controls; no browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PAGE_TEXT_MAX, pageText } from '../../extension/src/ui/page-text.js';

const graphemes = (s) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((g) => g.segment);

test('page text: short text is shown as it is; long text is cut to 64 characters with an ellipsis', () => {
  assert.equal(PAGE_TEXT_MAX, 64);
  assert.equal(pageText('Alice Example'), 'Alice Example');
  assert.equal(pageText('x'.repeat(64)), 'x'.repeat(64));
  assert.equal(pageText('x'.repeat(65)), `${'x'.repeat(63)}…`);
  assert.equal(pageText('y'.repeat(64 * 1024)), `${'y'.repeat(63)}…`);
  assert.equal(pageText(''), '');
  assert.equal(pageText(undefined), '');
  assert.equal(pageText('abcdef', 4), 'abc…');
});

test('page text: never cuts inside a character (emoji sequences, combining marks, surrogate pairs)', () => {
  const family = '👨‍👩‍👧'; // five code points, one character
  const cut = graphemes(pageText(family.repeat(1000)));
  assert.equal(cut.length, 64);
  assert.deepEqual(cut.slice(0, 63), Array(63).fill(family));
  assert.equal(cut[63], '…');
  // 64 of them fit whole, though they are 512 UTF-16 units.
  assert.equal(pageText(family.repeat(64)), family.repeat(64));
  const accented = 'e\u0301'; // e + combining acute
  assert.deepEqual(graphemes(pageText(accented.repeat(100))).slice(0, 63), Array(63).fill(accented));
  assert.deepEqual(graphemes(pageText('𝒜'.repeat(100))).slice(0, 63), Array(63).fill('𝒜'));
});

test('page text: line breaks and controls become spaces; bidi controls are dropped', () => {
  assert.equal(pageText('line one\nline two\r\tend\u2028x'), 'line one line two  end x');
  assert.equal(pageText('\u0000\u001b[31mred\u009b'), '  [31mred ');
  assert.equal(pageText('\u202egpj.exe\u202c and \u2067isolated\u2069'), 'gpj.exe and isolated');
});
