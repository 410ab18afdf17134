#!/usr/bin/env node
// Checks that docs/conformance.md and docs/checklist.md agree: every point a conformance row
// names (A1, F9.1, L10, D, M, ...) and every point a test name encodes
// (`request_a_credential_f9_1_…` is F9.1) is a point of the checklist, and every Rust test the
// conformance tables name exists. Prints each problem and exits 1 if there is any.
//
//   node scripts/check-conformance.mjs

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p) => readFileSync(join(ROOT, p), 'utf8');

// ---- The checklist's points --------------------------------------------------------------------

/** Every point name of docs/checklist.md: section letters, **A1**-style labels, L table rows. */
export function checklistPoints(text) {
  const points = new Set();
  for (const m of text.matchAll(/^## ([A-Z])\. /gm)) points.add(m[1]);
  for (const m of text.matchAll(/^## (W\d+)\. /gm)) points.add(m[1]);
  for (const m of text.matchAll(/\*\*((?:[A-M]|W\d+\.)\d+(?:\.\d+)?)\b/g)) points.add(m[1]);
  for (const m of text.matchAll(/^\| (L\d+) \|/gm)) points.add(m[1]);
  return points;
}

// ---- Test names --------------------------------------------------------------------------------

// The conformance suite's test names: the spec algorithm's name, then the point in lower case.
const TEST_PREFIXES = [
  'exposure', 'infrastructure', 'same_origin_with_ancestors', 'dictionaries', 'request_a_credential',
  'store_a_credential', 'create_a_credential', 'prevent_silent_access', 'password_credential',
  'federated_credential', 'get_behaviour',
];
const TEST_NAME = new RegExp(`^(?:${TEST_PREFIXES.join('|')})_([a-m])(\\d+)?(?:_(\\d+))?(?:_|$)`);

/** The point a conformance test name encodes (`request_a_credential_f9_1_x` → `F9.1`), or null. */
export function pointOfTestName(name) {
  const m = TEST_NAME.exec(name);
  if (!m) return null;
  const [, letter, number, sub] = m;
  let point = letter.toUpperCase();
  if (number) point += number;
  if (number && sub) point += `.${sub}`;
  return point;
}

/** The names of every `fn` under crates/ (tests and unit tests alike). */
function rustFunctionNames() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'target' || entry === 'node_modules') continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.rs')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\bfn ([a-z_][a-z0-9_]*)/g)) names.add(m[1]);
      }
    }
  };
  walk(join(ROOT, 'crates'));
  return names;
}

/** `prefix_*` matches any name starting with `prefix_`; otherwise the name itself. */
function testExists(pattern, names) {
  if (!pattern.endsWith('*')) return names.has(pattern);
  const prefix = pattern.slice(0, -1);
  for (const n of names) if (n.startsWith(prefix)) return true;
  return false;
}

// ---- The conformance table ---------------------------------------------------------------------

/** Every table row of docs/conformance.md with its line number and the section it is under. */
function conformanceRows(text) {
  const rows = [];
  let section = null;
  text.split('\n').forEach((line, i) => {
    const heading = /^##+ (.*)/.exec(line);
    if (heading) section = heading[1];
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) return;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    rows.push({ line: i + 1, section, cells });
  });
  return rows;
}

function main() {
  const points = checklistPoints(read('docs/checklist.md'));
  const functions = rustFunctionNames();
  const problems = [];

  for (const { line, section, cells } of conformanceRows(read('docs/conformance.md'))) {
    const where = `docs/conformance.md:${line}`;
    // Rows under "## A. …" to "## M. …" start with the point they cover.
    const letter = /^([A-M])\. /.exec(section ?? '')?.[1];
    if (letter && !['point', 'row'].includes(cells[0])) {
      const named = /^([A-M])(\d+(?:\.\d+)?)?\b/.exec(cells[0]);
      if (!named) problems.push(`${where}: the row does not start with a point name: ${cells[0]}`);
      else if (!points.has(named[0])) problems.push(`${where}: ${named[0]} is not a point of docs/checklist.md`);
      else if (named[1] !== letter) problems.push(`${where}: ${named[0]} is listed under section ${letter}`);
    }
    // Rust test names (snake_case, optionally after `module::`, optionally ending in `*`) in
    // the last column must exist, and the conformance ones must name a checklist point.
    const tests = cells.at(-1) ?? '';
    for (const m of tests.matchAll(/`([a-z][a-z0-9_]*_[a-z0-9_]*\*?)`/g)) {
      const name = m[1];
      const point = pointOfTestName(name);
      if (point && !points.has(point)) problems.push(`${where}: ${name} names ${point}, which is not a point of docs/checklist.md`);
      if (!testExists(name, functions)) problems.push(`${where}: no Rust function ${name} under crates/`);
    }
  }

  // Every conformance test's name must resolve too, whether or not a row names it.
  for (const name of functions) {
    const point = pointOfTestName(name);
    if (point && !points.has(point)) problems.push(`crates/: test ${name} names ${point}, which is not a point of docs/checklist.md`);
  }

  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`${problems.length} problem(s) between docs/conformance.md and docs/checklist.md`);
    process.exit(1);
  }
  console.log(`docs/conformance.md and the conformance tests resolve to ${points.size} points of docs/checklist.md`);
}

main();
