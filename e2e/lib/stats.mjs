// Latency statistics and the table the bench scripts (e2e/bench*.mjs) print.

/** The nearest-rank percentile `p` (0–100) of ascending `sorted`. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** {n, median, p95, p99, max} of the samples `xs`. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

/** Prints `rows` ([name, stats]) as a table of milliseconds, with a column of N when `withN`. */
export function printTable(rows, { withN = false } = {}) {
  const width = Math.max(4, ...rows.map(([name]) => name.length));
  const n = withN ? '|    N ' : '';
  const nRule = withN ? '|------' : '';
  console.log(`${'path'.padEnd(width)} ${n}| median |    p95 |    p99 |    max`);
  console.log(`${'-'.repeat(width)}-${nRule}|--------|--------|--------|-------`);
  for (const [name, s] of rows) {
    const count = withN ? `| ${String(s.n).padStart(4)} ` : '';
    const values = [s.median, s.p95, s.p99, s.max].map((x) => x.toFixed(2).padStart(6)).join(' | ');
    console.log(`${name.padEnd(width)} ${count}| ${values}`);
  }
}
