// @ts-check
// A sliding-window rate limit: at most `limit` events in any `windowMs` milliseconds.
//
// The background uses it to bound what a page can make the extension do on its behalf without
// a user's answer: icon fetches and cache writes (src/icons.js) and `.well-known/webauthn`
// fetches per document (src/related-origins.js).

/**
 * @param {{limit: number, windowMs: number, now?: () => number}} options
 * @returns {{take: () => boolean}} `take()` records an event and returns true, or returns false
 *   (and records nothing) when `limit` events already happened in the last `windowMs`.
 */
export function rateLimit({ limit, windowMs, now = Date.now }) {
  /** @type {number[]} */
  const times = [];
  return {
    take() {
      const t = now();
      while (times.length > 0 && times[0] <= t - windowMs) times.shift();
      if (times.length >= limit) return false;
      times.push(t);
      return true;
    },
  };
}
