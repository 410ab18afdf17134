// ESLint (flat config) for the extension's JavaScript, next to `tsc -p .` (types); both run in
// scripts/test.sh. Names tsc already resolves (the bundle parts' functions, WIRE) are not
// repeated here: `no-undef` is off where tsc checks the file.
import js from '@eslint/js';
import globals from 'globals';

const browser = { ...globals.browser, chrome: 'readonly' };

export default [
  { ignores: ['gen/', 'node_modules/'] },
  js.configs.recommended,
  {
    rules: {
      'no-unused-vars': ['error', { vars: 'local', args: 'after-used', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  // The background, credwell's pages and the modules they share.
  {
    files: ['src/**/*.js'],
    languageOptions: { sourceType: 'module', globals: browser },
  },
  // The classic content scripts and the parts build.mjs bundles into them: scripts, in one
  // closure per bundle, where tsc resolves the names the parts share.
  {
    files: ['src/main/*.js', 'src/content/**/*.js', 'src/autofill.js'],
    languageOptions: { sourceType: 'script', globals: browser },
    rules: { 'no-undef': 'off' },
  },
  // src/wire.js is both a module (tests import it) and a bundle part: it must use no global.
  {
    files: ['src/wire.js'],
    languageOptions: { sourceType: 'module', globals: {} },
  },
  // Node: the build, the tests.
  {
    files: ['build.mjs', 'eslint.config.js', 'tests/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
];
