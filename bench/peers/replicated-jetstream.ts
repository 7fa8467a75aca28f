// JetStream with three replicas (R3) on a local 3-node NATS cluster: the
// replicated peer of a 3-replica Rocketbus group. File storage; a publish is
// acknowledged once the stream's leader and a majority of its peers hold it.
import { DiscardPolicy, jetstream, jetstreamManager, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { waitUntil } from "../../test/harness/wait.js";
import { startNatsCluster, type NatsCluster } from "../../test/harness/nats-cluster.js";
import { connectNats } from "../../src/runtime/nats.js";
import { STREAM, SUBJECT } from "./jetstream.js";

export interface JetStreamR3 {
  cluster: NatsCluster;
  nc: NatsConnection;
  /** Deletes and re-creates the R3 stream; resolves once it has a leader and takes publishes. */
  reset(): Promise<JetStreamClient>;
  stop(): Promise<void>;
}

export async function startJetStreamR3(): Promise<JetStreamR3> {
  const cluster = await startNatsCluster({ size: 3 });
  // The client connects to one node only: like a Rocketbus producer, it reaches the others through routes.
  const nc = await connectNats(cluster.nodes[0]!.url, "rbus-bench-js-r3", { noAsyncTraces: true });
  return {
    cluster,
    nc,
    async reset() {
      // The meta group elects its leader a few seconds after the routes form; until then stream requests fail.
      const jsm = await waitUntil("JetStream's meta leader in the NATS cluster", () => jetstreamManager(nc, { timeout: 2000 }).then(async (m) => {
        await m.getAccountInfo();
        return m;
      }), { timeoutMs: 30_000, intervalMs: 200 });
      await jsm.streams.delete(STREAM).catch(() => undefined);
      await waitUntil(`an R3 stream ${STREAM}`, () => jsm.streams.add({
        name: STREAM, subjects: [SUBJECT], storage: StorageType.File, num_replicas: 3, discard: DiscardPolicy.Old,
      }).then(() => true), { timeoutMs: 30_000, intervalMs: 200 });
      const js = jetstream(nc, { timeout: 10_000 });
      await waitUntil(`${STREAM} taking publishes`, () => js.publish(SUBJECT, new Uint8Array(1), { timeout: 2000 }).then(() => true), { timeoutMs: 30_000, intervalMs: 200 });
      await jsm.streams.purge(STREAM);
      return js;
    },
    async stop() {
      await nc.close();
      await cluster.stop();
    },
  };
}
