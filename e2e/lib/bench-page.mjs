// The page side of e2e/bench.mjs and e2e/bench-firefox.mjs.
import { WIRE } from '../../extension/src/wire.js';

/** What a page needs of the relay's wire for the echo path: plain data (src/wire.js). */
export const benchWire = () => ({ events: WIRE.events, echo: WIRE.call(0, 'credwell.echo', {}) });

// Run in the page (serialized by the harness's evaluate, so self-contained), after `warmup`
// untimed rounds it times `n` rounds of three paths, alternately: the relay's bare echo (the
// host's `vault.status`), a silent password get() and a password create() (no vault access).
// Returns {path name: [ms, ...]}. `wire`: benchWire().
export async function passwordPaths({ n, warmup, wire }) {
  let rid = 1e9;
  const echo = () =>
    new Promise((ok, fail) => {
      const id = rid++;
      document.addEventListener(wire.events.response, function listener(e) {
        const reply = JSON.parse(e.detail);
        if (reply.rid !== id) return;
        document.removeEventListener(wire.events.response, listener);
        if (reply.error) fail(new Error(reply.error.message));
        else ok(reply.result);
      });
      document.dispatchEvent(new CustomEvent(wire.events.request, { detail: JSON.stringify({ ...wire.echo, rid: id }) }));
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
}
