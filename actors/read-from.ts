// Which replica a consumer should pull a queue from next (RocketMQ's
// suggestPullingFromSlave): the master sends a consumer that reads far
// behind the end of the log to a caught-up slave, so that old data is read
// off the master's disk and page cache; a slave sends it back when it has
// caught up (half the distance, so that it does not bounce) or when the
// slave itself lags its master.
import type { BrokerContext } from "./broker-context.js";

/** A slave whose last fetch is older than this is not offered to consumers. */
const FRESH_FETCH_MS = 5000;

/**
 * The address to name in the reply's readFrom, or undefined to stay.
 * `readAt` is the commit-log offset of the first message read, `readTo`
 * where the last one ends (both the log end when the read found nothing):
 * the master judges how far behind the read starts, a slave how close to
 * the end the consumer will be after it.
 */
export function readFrom(ctx: BrokerContext, readAt: number, readTo: number): string | undefined {
  if (ctx.replicas === 1) return undefined;
  const repl = ctx.replication;
  const limit = ctx.readFromSlaveBytes;
  const end = ctx.store.maxPhysicalOffset;
  if (repl.role() === "master") {
    if (end - readAt <= limit) return undefined;
    const slave = repl
      .status()
      .followers.filter((f) => f.lastFetchAgoMs < FRESH_FETCH_MS && f.lagBytes < limit / 2)
      .sort((a, b) => a.lagBytes - b.lagBytes)[0];
    return slave ? ctx.address(slave.replica) : undefined;
  }
  const master = repl.master();
  if (master === null || master === ctx.replica) return undefined;
  const caughtUp = end - readTo < limit / 2;
  const lagging = repl.lagBytes() > limit / 2;
  return caughtUp || lagging ? ctx.address(master) : undefined;
}
