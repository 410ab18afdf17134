// @ts-check
// What kind of form a set of fields is, and which of them hold the account: the classifier of
// credwell's form saving (part of gen/isolated.js, see build.mjs; pure, no DOM: fields.js reads
// the page into the descriptors below, e2e/tests/unit-forms.test.mjs tests this on its own).
//
// `autocomplete` tokens decide first (HTML's autofill field names: `username`,
// `current-password`, `new-password`; `one-time-code` and the `cc-*` names mark a field that is
// no account password; `webauthn` rides along with `username`), then field types and structure:
// the password fields in tree order (one: a sign-in; two equal: a new password and its
// confirmation; two different: the current and a new one; three: current, new, confirmation),
// and the user name as the text field before the first password, preferring one whose name
// says so. A password-like field that looks like a PIN, a one-time code, a card's number or
// security code is never an account password.

/**
 * A form field as fields.js reads it.
 * @typedef {object} FieldInfo
 * @property {string} type the input's type, lowercase ('' for other elements)
 * @property {string[]} tokens its `autocomplete` attribute's tokens, ASCII lowercase
 * @property {string} hints its name, id, placeholder, aria-label and labels, lowercase
 * @property {boolean} visible rendered (it has boxes)
 * @property {string} value
 * @property {string} inputMode its `inputmode`, lowercase
 * @property {number} maxLength its `maxlength`, -1 when none
 */

/**
 * What the fields are: a sign-in, a sign-up, a change of password (each with the password to
 * store and the user name, '' when the fields have none), or the first step of a two-page
 * sign-in (`username`: a user name and no password).
 * @typedef {object} FormKind
 * @property {'sign-in' | 'sign-up' | 'change-password' | 'username'} kind
 * @property {string} username
 * @property {string} password '' for `username`
 * @property {number} usernameField the index of the user name's field, -1 when none
 * @property {number} passwordField the index of the stored password's field, -1 when none
 */

// Words that make a field something else than an account's user name or password.
const NOT_ACCOUNT = /one.?time|(^|[^a-z])(otp|pin|cvv|cvc|csc|ssn|iban|2fa|mfa|totp)([^a-z]|$)|pincode|passcode|card|security.?code|verification.?code|captcha|routing|search/;
// Words of a user name field.
const USERNAME_WORDS = /user|login|e-?mail|account|identifier|ident|handle|(^|[^a-z])id([^a-z]|$)/;
const TEXT_TYPES = new Set(['text', 'email', 'tel', '']);

/** @param {FieldInfo} f */
const notAccount = (f) =>
  f.tokens.some((t) => t === 'one-time-code' || t.startsWith('cc-') || t.startsWith('transaction-')) ||
  NOT_ACCOUNT.test(f.hints) ||
  // A short numeric secret: a PIN, whatever it is called.
  (f.inputMode === 'numeric' && f.maxLength > 0 && f.maxLength <= 8);

/** @param {FieldInfo} f */
const passwordLike = (f) =>
  !notAccount(f) && (f.type === 'password' || f.tokens.includes('current-password') || f.tokens.includes('new-password'));

/**
 * The index of the field holding the user name, -1 when none: the one marked `username`, else
 * a visible text field before the first password (`before`) whose words say user name or that
 * is an e-mail field, else the nearest one before it.
 * @param {FieldInfo[]} fields
 * @param {number} before
 */
function usernameField(fields, before) {
  const tagged = fields.findIndex((f) => f.tokens.includes('username') && f.value !== '' && !passwordLike(f));
  if (tagged !== -1) return tagged;
  /** @type {number[]} */
  const texts = [];
  for (let i = 0; i < before; i++) {
    const f = fields[i];
    if (f.visible && f.value !== '' && TEXT_TYPES.has(f.type) && !notAccount(f) && !f.tokens.includes('one-time-code')) texts.push(i);
  }
  const named = texts.filter((i) => fields[i].type === 'email' || fields[i].tokens.includes('email') || USERNAME_WORDS.test(fields[i].hints));
  if (named.length) return named[named.length - 1];
  return texts.length ? texts[texts.length - 1] : -1;
}

/**
 * The kind of form `fields` (in tree order) make, or null when it is nothing to save.
 * @param {FieldInfo[]} fields
 * @returns {FormKind | null}
 */
function classifyFields(fields) {
  /** @type {number[]} */
  const passwords = [];
  fields.forEach((f, i) => {
    if (passwordLike(f) && f.value !== '') passwords.push(i);
  });
  if (passwords.length === 0) {
    // A first step: only a user name (marked, or one visible field that says it is one), with
    // no password field shown beside it and no secret typed (a PIN or a code makes it another
    // kind of form).
    if (fields.some((f) => (f.type === 'password' && f.visible) || (f.value !== '' && (f.type === 'password' || notAccount(f))))) {
      return null;
    }
    const candidates = fields
      .map((f, i) => i)
      .filter((i) => {
        const f = fields[i];
        if (f.value === '' || notAccount(f) || f.type === 'password') return false;
        if (f.tokens.includes('username')) return true;
        return f.visible && TEXT_TYPES.has(f.type) && (f.type === 'email' || USERNAME_WORDS.test(f.hints));
      });
    const visibleTexts = fields.filter((f) => f.visible && TEXT_TYPES.has(f.type) && f.value !== '');
    if (candidates.length !== 1 || visibleTexts.length > 1) return null;
    const i = candidates[0];
    return { kind: 'username', username: fields[i].value, password: '', usernameField: i, passwordField: -1 };
  }
  const roles = roleOf(fields, passwords);
  if (!roles) return null;
  const user = usernameField(fields, passwords[0]);
  return {
    kind: roles.kind,
    username: user === -1 ? '' : fields[user].value,
    password: fields[roles.stored].value,
    usernameField: user,
    passwordField: roles.stored,
  };
}

/**
 * Which password is stored, and what kind of form it is: by tokens first, then by position.
 * @param {FieldInfo[]} fields
 * @param {number[]} passwords the password fields with a value, in tree order
 * @returns {{kind: 'sign-in' | 'sign-up' | 'change-password', stored: number} | null}
 */
function roleOf(fields, passwords) {
  const has = (/** @type {number} */ i, /** @type {string} */ t) => fields[i].tokens.includes(t);
  const current = passwords.filter((i) => has(i, 'current-password'));
  let fresh = passwords.filter((i) => has(i, 'new-password'));
  const untagged = passwords.filter((i) => !has(i, 'current-password') && !has(i, 'new-password'));
  if (current.length || fresh.length) {
    // Untagged passwords after a current one (and no new one marked) are the new one and its
    // confirmation; after a new one, its confirmation.
    if (fresh.length === 0) fresh = untagged.filter((i) => i > current[0]);
    else fresh = fresh.concat(untagged.filter((i) => i > fresh[0]));
    if (fresh.length === 0) return current.length === 1 ? { kind: 'sign-in', stored: current[0] } : null;
    const value = fields[fresh[0]].value;
    if (fresh.length > 2 || fresh.some((i) => fields[i].value !== value)) return null;
    return { kind: current.length ? 'change-password' : 'sign-up', stored: fresh[0] };
  }
  const values = passwords.map((i) => fields[i].value);
  switch (passwords.length) {
    case 1:
      return { kind: 'sign-in', stored: passwords[0] };
    case 2:
      // Equal: a new password and its confirmation; different: the current and a new one.
      return values[0] === values[1] ? { kind: 'sign-up', stored: passwords[0] } : { kind: 'change-password', stored: passwords[1] };
    case 3:
      return values[1] === values[2] && values[0] !== values[1] ? { kind: 'change-password', stored: passwords[1] } : null;
    default:
      return null;
  }
}

/**
 * Which fields of a sign-in form credwell fills, when the user focuses field `focused` (an index
 * into `fields`, tree order; values play no part): the form's one shown password field (not a
 * new password) and its user name field (fill.js), or a user name alone (the first page of a
 * two-page sign-in); null when `focused` is neither, or the fields are no sign-in (a sign-up or
 * a change of password offers nothing to fill; a PIN, code or card field is no password).
 * @param {FieldInfo[]} fields
 * @param {number} focused
 * @returns {{kind: 'sign-in' | 'username', usernameField: number, passwordField: number} | null}
 */
function fillFields(fields, focused) {
  const f = fields[focused];
  if (!f || !f.visible || notAccount(f)) return null;
  /** @type {number[]} */
  const passwords = [];
  fields.forEach((p, i) => {
    if (p.visible && passwordLike(p)) passwords.push(i);
  });
  /** @param {number} i */
  const textual = (i) => fields[i].visible && TEXT_TYPES.has(fields[i].type) && !notAccount(fields[i]) && !passwordLike(fields[i]);
  if (passwords.length === 0) {
    if (fields.some((p) => p.visible && (p.type === 'password' || notAccount(p)) && p !== f)) return null;
    if (!textual(focused)) return null;
    const texts = fields.map((_, i) => i).filter(textual);
    const named = f.tokens.includes('username') || (texts.length === 1 && (f.type === 'email' || f.tokens.includes('email') || USERNAME_WORDS.test(f.hints)));
    return named ? { kind: 'username', usernameField: focused, passwordField: -1 } : null;
  }
  if (passwords.length !== 1) return null;
  const pass = passwords[0];
  if (fields[pass].tokens.includes('new-password')) return null;
  let user = fields.findIndex((p, i) => p.tokens.includes('username') && i !== pass && !passwordLike(p));
  if (user === -1) {
    const before = fields.map((_, i) => i).filter((i) => i < pass && textual(i));
    const named = before.filter((i) => fields[i].type === 'email' || fields[i].tokens.includes('email') || USERNAME_WORDS.test(fields[i].hints));
    user = named.length ? named[named.length - 1] : before.length ? before[before.length - 1] : -1;
  }
  if (focused !== pass && focused !== user) return null;
  return { kind: 'sign-in', usernameField: user, passwordField: pass };
}
