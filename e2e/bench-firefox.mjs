// e2e/bench.mjs for Firefox ESR: credwell's get() latency through the whole path (page shim →
// ISOLATED relay → event page → native host → engine → back) against a bare echo through the same
// extension and host (the relay's `credwell.echo`, answered by the host's `vault.status`),
// measured in the page with performance.now() (privacy.reduceTimerPrecision=false). Not a test:
// prints a table.
//
// Then, WAKE times (default 5): the host is killed, the event page left idle until Firefox
// suspends it (idle timeout 1 s here), and one echo timed: waking the event page, starting a new
// host, `hello`, `vault.status`.
//
//   cargo build -p credwell-host && node e2e/bench-firefox.mjs [N] [WAKE]
import { start, HOST_BIN } from './lib/firefox.mjs';
import { benchWire, passwordPaths } from './lib/bench-page.mjs';
import { printTable, stats } from './lib/stats.mjs';

const N = Number(process.argv[2] ?? 500);
const WAKE = Number(process.argv[3] ?? 5);
const WARMUP = 50;

const h = await start({ prefs: { 'extensions.background.idle.timeout': 1000 } });
try {
  await h.goto('/blank.html');
  await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
  await h.extensionEval(() => chrome.runtime.sendMessage({ credwell: 1, kind: 'settings.set', key: 'benchEcho', value: true }));
  await new Promise((ok) => setTimeout(ok, 200));
  const samples = await h.page.evaluate(passwordPaths, { n: N, warmup: WARMUP, wire: benchWire() });
  console.log(`credwell e2e bench: N=${N} per path after ${WARMUP} warm-up, headless Firefox ESR, host ${HOST_BIN}, ms`);
  printTable(Object.entries(samples).map(([name, xs]) => [name, stats(xs)]));

  const wakes = [];
  for (let i = 0; i < WAKE; i++) {
    const before = (await h.hostStatus()).backgroundStarted;
    await h.killHost();
    await new Promise((ok) => setTimeout(ok, 4000));
    const ms = await h.page.evaluate(
      (wire) =>
        new Promise((ok, fail) => {
          const t0 = performance.now();
          document.addEventListener(
            wire.events.response,
            (e) => {
              const reply = JSON.parse(e.detail);
              if (reply.error) fail(new Error(reply.error.message));
              else ok(performance.now() - t0);
            },
            { once: true },
          );
          document.dispatchEvent(new CustomEvent(wire.events.request, { detail: JSON.stringify({ ...wire.echo, rid: 7e9 }) }));
        }),
      benchWire(),
    );
    const woke = (await h.hostStatus()).backgroundStarted !== before;
    wakes.push({ ms, woke });
  }
  if (wakes.length) {
    const xs = wakes.map((w) => w.ms).sort((a, b) => a - b);
    console.log(
      `echo to a suspended event page (wake + new host + hello + vault.status), ${wakes.length} times: median ${xs[Math.floor((xs.length - 1) / 2)].toFixed(1)} ms, ` +
        `max ${xs[xs.length - 1].toFixed(1)} ms; event page restarted in ${wakes.filter((w) => w.woke).length}/${wakes.length}`,
    );
  }
} finally {
  await h.close();
}
