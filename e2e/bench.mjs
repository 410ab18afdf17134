// credwell's get() latency through the whole path (page shim → ISOLATED relay → background →
// native host → engine → back) against a bare echo through the same extension and host (the
// relay's `credwell.echo`, answered by the host's `vault.status`), measured in the page with
// performance.now(). Not a test: prints a table.
//
//   cargo build -p credwell-host && node e2e/bench.mjs [N]
import { start, HOST_BIN } from './lib/harness.mjs';
import { printTable, stats } from './lib/stats.mjs';

const N = Number(process.argv[2] ?? 500);
const WARMUP = 50;

const h = await start();
try {
  await h.goto('/blank.html');
  await h.storePassword({ id: 'alice', password: 'pencil' }, { unlock: true });
  await h.worker.evaluate(() => chrome.storage.local.set({ benchEcho: true }));
  await new Promise((ok) => setTimeout(ok, 200));
  const samples = await h.page.evaluate(
    async ({ n, warmup }) => {
      let rid = 1e9;
      const echo = () =>
        new Promise((ok, fail) => {
          const id = rid++;
          document.addEventListener('credwell-response', function listener(e) {
            const reply = JSON.parse(e.detail);
            if (reply.rid !== id) return;
            document.removeEventListener('credwell-response', listener);
            if (reply.error) fail(new Error(reply.error.message));
            else ok(reply.result);
          });
          document.dispatchEvent(new CustomEvent('credwell-request', { detail: JSON.stringify({ t: 'call', rid: id, method: 'credwell.echo', params: {} }) }));
        });
      const paths = {
        'echo (vault.status round trip)': echo,
        "get({password:true, mediation:'silent'}) → credential": async () => {
          const c = await navigator.credentials.get({ password: true, mediation: 'silent' });
          if (!c || c.password !== 'pencil') throw new Error('wrong credential');
        },
        "create({password:{…}}) (no vault access)": () => navigator.credentials.create({ password: { id: 'a', password: 'b' } }),
      };
      const out = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
      for (let i = 0; i < warmup + n; i++) {
        for (const [name, fn] of Object.entries(paths)) {
          const t0 = performance.now();
          await fn();
          const dt = performance.now() - t0;
          if (i >= warmup) out[name].push(dt);
        }
      }
      return out;
    },
    { n: N, warmup: WARMUP },
  );
  console.log(`credwell e2e bench: N=${N} per path after ${WARMUP} warm-up, headless Chromium, host ${HOST_BIN}, ms`);
  printTable(Object.entries(samples).map(([name, xs]) => [name, stats(xs)]));
} finally {
  await h.close();
}
