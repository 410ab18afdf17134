// @ts-check
// <form> reading for credwell's MAIN-world shim (part of gen/main-world.js, see build.mjs):
// `new PasswordCredential(form)` and `credentials.create({password: form})`.

/**
 * @typedef {object} FormSnapshot
 * @property {{name: string, autocomplete: string | null}[]} elements the submittable elements
 * @property {[string, string][]} entries the entry list of `new FormData(form)`
 */

/**
 * The form algorithms, over the realm's captured intrinsics.
 * @param {Intrinsics} I
 */
function htmlForms(I) {
  const { append, charCodeAt, stringSlice, fromCharCode, toWellFormed, isObject } = I;
  const { formElements, collectionLength, collectionItem, localName, getAttribute, hasAttribute } =
    I;
  const { FormData, formDataEntries, formDataIteratorNext } = I;

  // ASCII whitespace split and ASCII lowercase, as the form algorithm's tokens need (Unicode
  // case mapping would let U+212A KELVIN SIGN match "k").
  /** @param {string} s */
  const asciiTokens = (s) => {
    /** @type {string[]} */
    const tokens = [];
    let start = -1;
    for (let i = 0; i <= s.length; i++) {
      const c = i < s.length ? charCodeAt(s, i) : 32;
      const space = c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
      if (space && start >= 0) {
        append(tokens, stringSlice(s, start, i));
        start = -1;
      } else if (!space && start < 0) {
        start = i;
      }
    }
    return tokens;
  };
  /** @param {string} s */
  const asciiLower = (s) => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = charCodeAt(s, i);
      out += fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
    }
    return out;
  };

  /**
   * Whether `v` is an HTMLFormElement (of any realm: the brand check of its `elements` getter).
   * @param {unknown} v
   */
  const isForm = (v) => {
    if (!isObject(v)) return false;
    try {
      formElements(v);
      return true;
    } catch {
      return false;
    }
  };

  /**
   * The submittable elements whose form owner is form, in tree order (form.elements minus
   * fieldset, object and output, which are listed but not submittable), with their name and
   * autocomplete attributes; and the entry list of new FormData(form).
   * @param {HTMLFormElement} form
   * @returns {FormSnapshot}
   */
  const snapshotForm = (form) => {
    /** @type {FormSnapshot['elements']} */
    const elements = [];
    const collection = formElements(form);
    const n = collectionLength(collection);
    for (let i = 0; i < n; i++) {
      const el = collectionItem(collection, i);
      const tag = localName(el);
      if (tag === 'fieldset' || tag === 'object' || tag === 'output') continue;
      const name = getAttribute(el, 'name');
      append(elements, {
        name: name === null ? '' : toWellFormed(name),
        autocomplete: hasAttribute(el, 'autocomplete')
          ? toWellFormed(getAttribute(el, 'autocomplete'))
          : null,
      });
    }
    /** @type {FormSnapshot['entries']} */
    const entries = [];
    const iterator = formDataEntries(new FormData(form));
    for (;;) {
      const step = formDataIteratorNext(iterator);
      if (step.done) break;
      const value = step.value[1];
      append(entries, [
        toWellFormed(step.value[0]),
        typeof value === 'string' ? toWellFormed(value) : '[object File]',
      ]);
    }
    return { elements, entries };
  };

  /**
   * «Create a PasswordCredential from an HTMLFormElement», steps 1-6: the data it builds.
   * https://w3c.github.io/webappsec-credential-management/#construct-passwordcredential-form
   * @param {HTMLFormElement} form
   * @returns {{[member: string]: string}}
   */
  const passwordDataFromForm = (form) => {
    const { elements, entries } = snapshotForm(form);
    /** @param {string} name */
    const formGet = (name) => {
      for (let i = 0; i < entries.length; i++) if (entries[i][0] === name) return entries[i][1];
      return undefined;
    };
    /** @type {{[member: string]: string}} */
    const data = {};
    let newPasswordObserved = false;
    for (let i = 0; i < elements.length; i++) {
      const field = elements[i];
      if (field.autocomplete === null) continue;
      const value = formGet(field.name);
      if (value === undefined) continue;
      const tokens = asciiTokens(field.autocomplete);
      for (let j = 0; j < tokens.length; j++) {
        switch (asciiLower(tokens[j])) {
          case 'new-password':
            data.password = value;
            newPasswordObserved = true;
            break;
          case 'current-password':
            if (!newPasswordObserved) data.password = value;
            break;
          case 'photo':
            data.iconURL = value;
            break;
          case 'name':
          case 'nickname':
            data.name = value;
            break;
          case 'username':
            data.id = value;
            break;
          default:
            break;
        }
      }
    }
    return data;
  };

  return { isForm, snapshotForm, passwordDataFromForm };
}

/** @typedef {ReturnType<typeof htmlForms>} HtmlForms */
