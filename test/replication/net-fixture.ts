// Three replicas on a fake network, each serving ha.fetch and votes with an echo.
import { RbusError } from "../../src/protocol/index.js";
import { FakeNetwork } from "./fake-network.js";
import { SimClock } from "./sim-clock.js";

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

export function net(opts: { seed?: number; delayMs?: number } = {}) {
  const clock = new SimClock();
  const network = new FakeNetwork({ clock, replicas: 3, delayMs: opts.delayMs ?? 5, seed: opts.seed });
  const t = [0, 1, 2].map((i) => network.transport(i));
  for (const [i, tr] of t.entries()) {
    tr.serve("ha.fetch", (d) => enc(`${i} got ${dec(d)}`));
    tr.serveVotes((d) => enc(`vote ${i} for ${dec(d)}`));
  }
  return { clock, network, t };
}

export async function failure(clock: SimClock, p: Promise<unknown>, limitMs = 10_000): Promise<RbusError> {
  try {
    await clock.settle(p, limitMs);
  } catch (err) {
    if (err instanceof RbusError) return err;
    throw err;
  }
  throw new Error("expected the request to fail");
}
