import { Admin } from "../client/admin.js";
import { withNats } from "./connected.js";
import { natsOption, parse, prefixOption } from "./args.js";
import { ago, table } from "./table.js";

const usage = "rbus cluster --nats <url> [--json]";

export async function clusterCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...natsOption, ...prefixOption, json: { type: "boolean", default: false } }, usage);
  await withNats(values.nats, async (nc) => {
    const admin = new Admin(nc, { prefix: values.prefix });
    const nameServers = await admin.nameServers();
    if (nameServers.length === 0) {
      throw new Error(`no NameServer answers on ${values.nats}; start the cluster with: make run-cluster`);
    }
    const cluster = await admin.cluster();
    if (values.json) {
      console.log(JSON.stringify({ nameServers, ...cluster }, null, 2));
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
        ["CLUSTER", "GROUP", "REPLICA", "ROLE", "TERM", "LIVENESS", "LAST HEARTBEAT", "TOPICS", "ADDRESS"],
        cluster.brokers.map((b) => [
          b.cluster,
          b.group,
          String(b.replica),
          b.role,
          String(b.term),
          b.liveness,
          ago(b.lastHeartbeatAt),
          String(b.topics),
          b.address,
        ]),
      ),
    );
  });
}
