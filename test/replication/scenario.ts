// What every scenario file starts from: a fresh group that is always
// closed (transcript written, folders removed), and batches of messages.
import type { PutMessage } from "../../src/store/types.js";
import { Cluster, type ClusterOptions } from "./cluster.js";

export type { Cluster } from "./cluster.js";

/** Runs a scenario on a fresh group; the transcript is written and the folders removed even when it fails. */
export async function withCluster(opts: ClusterOptions, scenario: (c: Cluster) => Promise<void>): Promise<void> {
  const c = await Cluster.start(opts);
  try {
    await scenario(c);
  } catch (err) {
    c.note(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  } finally {
    await c.close();
  }
}

/** n messages on one queue, bodies `${prefix}0`… */
export function batch(prefix: string, n: number, queueId = 0, topic = "t"): PutMessage[] {
  return Array.from({ length: n }, (_, k) => ({ topic, queueId, body: Buffer.from(`${prefix}${k}`) }));
}
