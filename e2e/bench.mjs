// credwell's get() latency through the whole path (page shim → ISOLATED relay → background →
// native host → engine → back) against a bare echo through the same extension and host (the
// relay's `credwell.echo`, answered by the host's `vault.status`), measured in the page with
// performance.now(). Not a test: prints a table.
//
//   cargo build -p credwell-host && node e2e/bench.mjs [N]
import { start, HOST_BIN } from './lib/harness.mjs';
import { benchWire, passwordPaths } from './lib/bench-page.mjs';
import { printTable, stats } from './lib/stats.mjs';

const N = Number(process.argv[2] ?? 500);
const WARMUP = 50;

const h = await start();
try {
  await h.goto('/blank.html');
  await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
  await h.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.set', key: 'benchEcho', value: true }));
  await new Promise((ok) => setTimeout(ok, 200));
  const samples = await h.page.evaluate(passwordPaths, { n: N, warmup: WARMUP, wire: benchWire() });
  console.log(`credwell e2e bench: N=${N} per path after ${WARMUP} warm-up, headless Chromium, host ${HOST_BIN}, ms`);
  printTable(Object.entries(samples).map(([name, xs]) => [name, stats(xs)]));
} finally {
  await h.close();
}
