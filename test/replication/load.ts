// A producer for scenarios: writes one message at a time to the replica that
// takes writes (the highest term wins when two claim it), as a client that
// follows NOT_MASTER would, and keeps what was acknowledged where.
import { batch, type Cluster } from "./scenario.js";

export interface Acked {
  at: number;
  on: number;
  body: string;
}

export function producer(c: Cluster, everyMs = 10, prefix = "p") {
  const acked: Acked[] = [];
  const outcomes = new Map<string, number>();
  let on = true;
  let n = 0;
  const pause = (ms: number) => new Promise<void>((r) => c.clock.set(r, ms));
  const target = () => {
    const writable = c.up().filter((i) => c.repl(i).writable());
    return writable.sort((a, b) => c.repl(b).term() - c.repl(a).term())[0];
  };
  const loop = async () => {
    while (on) {
      const m = target();
      if (m !== undefined) {
        const msgs = batch(`${prefix}${n++}-`, 1, n % 2);
        // a write to a replica that dies never answers: give up after 300 ms, as a client with a short send timeout would
        const w = await Promise.race([c.write(m, msgs, 1000), pause(300).then(() => undefined)]);
        const outcome = w?.outcome ?? "no answer";
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === "committed") acked.push({ at: c.clock.elapsed, on: m, body: Buffer.from(msgs[0]!.body).toString() });
      }
      await pause(everyMs);
    }
  };
  const done = loop();
  return {
    acked,
    outcomes,
    stop: async () => {
      on = false;
      await c.clock.settle(done, 5000);
    },
  };
}
