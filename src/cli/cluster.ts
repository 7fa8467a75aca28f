import { Admin } from "../client/admin.js";
import { withNats } from "./connected.js";
import type { NatsFlags } from "./options.js";
import { replicaStatuses } from "./replica-status.js";
import { bytes, replicaViews } from "./replica-view.js";
import { ago, table } from "./table.js";

export async function clusterCommand(values: NatsFlags & { json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    const nameServers = await admin.nameServers();
    if (nameServers.length === 0) {
      throw new Error(`no NameServer answers on ${values.nats}; start the cluster with: make run-cluster`);
    }
    const cluster = await admin.cluster();
    const replicas = replicaViews(cluster.brokers, await replicaStatuses(nc, values.prefix, cluster.brokers));
    if (values.json) {
      console.log(JSON.stringify({ nameServers, ...cluster, replicas }, null, 2));
      return;
    }
    console.log(`NameServers (${nameServers.length}):`);
    console.log(
      table(
        ["ID", "BROKERS", "SCAN", "SUSPECT AFTER", "DEAD AFTER", "UP SINCE"],
        nameServers.map((n) => [
          n.nameServer,
          String(n.brokers),
          `${n.scanIntervalMs}ms`,
          `${n.suspectAfterMs}ms`,
          `${n.deadAfterMs}ms`,
          ago(n.startedAt),
        ]),
      ),
    );
    console.log(`\nBrokers (as ${cluster.nameServer} sees them):`);
    console.log(
      table(
        ["CLUSTER", "GROUP", "REPLICA", "ROLE", "TERM", "LIVENESS", "LAST HEARTBEAT", "COMMIT", "END", "LAG", "TOPICS"],
        replicas.map((r) => [
          r.cluster,
          r.group,
          String(r.replica),
          r.role,
          String(r.term),
          r.liveness,
          ago(r.lastHeartbeatAt),
          offset(r.commitOffset, r.answered),
          offset(r.end, r.answered),
          bytes(r.lagBytes),
          String(r.topics),
        ]),
      ),
    );
    if (replicas.some((r) => !r.answered)) console.log(`* as of the replica's last heartbeat: it did not answer a status request`);
  });
}

const offset = (o: number | null, fresh: boolean) => (o === null ? "-" : `${o}${fresh ? "" : "*"}`);
