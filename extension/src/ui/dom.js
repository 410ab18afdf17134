// @ts-check
// The elements of credwell's own pages, typed.

/**
 * The element with id `id`, an instance of `type` (HTMLElement unless given). The page's own
 * markup has it, so a missing or different one is a bug: thrown at once, naming the id.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{new (): T, prototype: T}} [type]
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  const want = type ?? HTMLElement;
  if (!(el instanceof want)) throw new Error(`this page has no #${id} (${want.name})`);
  return /** @type {T} */ (el);
}
