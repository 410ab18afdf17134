// @ts-check
// Text a page supplied (an RP name, a user name or display name, a credential's id or name), as
// credwell's windows show it. A page can make these windows appear and can put up to 64 KiB of
// text in each of these fields; in a window the user trusts, that text could pass for credwell's
// own words (or push them out of sight). So it is cut to PAGE_TEXT_MAX user-perceived characters
// (grapheme clusters: never inside an emoji sequence or a base letter with its accents), line
// breaks and other controls become spaces, and bidi embedding / override / isolate controls go
// (the windows also isolate it: CSS unicode-bidi: isolate). The windows then set it apart
// visually (prompt-page.js showPageText: class site-text, in a box labelled "The site says").
// Origins are never shortened this way: they are the browser's, and cutting one could hide its
// registrable domain.

/** The most user-perceived characters of page text a credwell window shows. */
export const PAGE_TEXT_MAX = 64;

const ELLIPSIS = '…';
// C0 and C1 controls, line and paragraph separators (matching controls is the point).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// Bidi embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI).
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` as a window shows it: controls as spaces, no bidi controls, at most `max` grapheme
 * clusters, the last of them an ellipsis when it was cut.
 * @param {unknown} value
 * @param {number} [max]
 * @returns {string}
 */
export function pageText(value, max = PAGE_TEXT_MAX) {
  const text = String(value ?? '').replace(CONTROLS, ' ').replace(BIDI, '');
  // A grapheme cluster is at least one UTF-16 code unit.
  if (text.length <= max) return text;
  const kept = [];
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
    if (kept.length === max) return `${kept.slice(0, max - 1).join('')}${ELLIPSIS}`;
    kept.push(segment);
  }
  return kept.join('');
}
