#!/usr/bin/env node
// Checks the tree's house rules that no compiler or linter enforces:
//
// - no reference to a tracker the repository does not carry ("issue 12"): say what is meant;
// - no path of the machine a change was written on: the repository stands alone;
// - no Rust source line over 100 characters under `src/` (rustfmt silently leaves a function
//   unformatted when one of its lines cannot fit, so a long line hides unformatted code);
// - no Rust source file under `src/` over 600 lines outside its inline `#[cfg(test)] mod tests`
//   block: a file that long holds more than one concern.
//
// Only files git tracks are read. Exits 1 and lists every finding.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_LINE = 100;
const MAX_FILE = 600;
// The changelog records history, including what was reported where.
const TRACKER_EXEMPT = new Set(['CHANGELOG.md', 'scripts/check-tree.mjs']);
const TEXT = /\.(rs|js|mjs|cjs|json|md|sh|toml|html|css|yml|yaml|py|txt)$/;

const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && TEXT.test(f) && !f.includes('node_modules/') && !f.endsWith('-lock.json'));

const findings = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // Deleted in the work tree but still in the index.
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    if (!TRACKER_EXEMPT.has(file) && /\bissues? \d+\b/i.test(line)) {
      findings.push(`${at}: refers to a tracker issue; say what it means instead`);
    }
    if (file !== 'scripts/check-tree.mjs' && /(^|[\s"'`(])(\/work\/|\.\.\/shared\/)/.test(line)) {
      findings.push(`${at}: a path of the machine it was written on`);
    }
  });
  if (!/^crates\/[^/]+\/src\/.*\.rs$/.test(file)) continue;
  // The inline test module (`#[cfg(test)]` then `mod tests {`, by convention the file's last
  // item) does not count; a `mod tests;` line, or any other `#[cfg(test)]` item, ends nothing:
  // the code after it is counted.
  const testModule = lines.findIndex((l, i) => l.startsWith('#[cfg(test)]') && /^mod tests \{/.test(lines[i + 1] ?? ''));
  const isTests = file.endsWith('/tests.rs') || file.includes('/tests/');
  lines.forEach((line, i) => {
    if ([...line].length > MAX_LINE) {
      findings.push(`${file}:${i + 1}: ${[...line].length} characters (at most ${MAX_LINE})`);
    }
  });
  const length = testModule === -1 ? lines.length : testModule;
  if (!isTests && length > MAX_FILE) {
    findings.push(`${file}: ${length} lines outside tests (at most ${MAX_FILE}); split it`);
  }
}

if (findings.length) {
  console.error(findings.join('\n'));
  console.error(`\n${findings.length} finding(s)`);
  process.exit(1);
}
console.log(`house rules hold in ${files.length} files`);
