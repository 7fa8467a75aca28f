// The commands that run Rocketbus's processes: nameserver, broker, dashboard,
// run-cluster, stop-cluster. Each module is imported only when its command runs.
import type { Command } from "commander";
import { DEFAULT_ELECTION_TIMEOUT_MS } from "./replication-args.js";
import { limitOptions } from "./limit-args.js";
import { timerOptions } from "./timer-args.js";
import { transactionOptions } from "./transaction-args.js";
import { deprecatedFlag, examples, natsFlags } from "./options.js";

export function nodeCommands(program: Command): void {
  program.commandsGroup("Run the processes:");
  const ns = program.command("nameserver").description("run a NameServer (routes, the broker table, liveness)")
    .option("--id <name>", "its id, e.g. ns-1 (default: ns-<host>-<pid>)")
    .option("--scan-interval <ms>", "how often it checks the brokers' heartbeats (default: 10000)")
    .option("--suspect-after <ms>", "silence before a broker is suspect (default: 45000)")
    .option("--dead-after <ms>", "silence before a broker is dead and out of routes (default: 120000)")
    .option("--forget-after <ms>", "time a dead broker stays listed (default: 600000)")
    .option("--max-brokers <n>", "most broker replicas it keeps in its table (default: 1024)")
    .option("--registrations-per-second <n>", "registrations it takes per second (default: 5)")
    .option("--registration-burst <n>", "registrations it takes at once (default: 20)")
    .option("--probe-timeout <ms>", "how long it waits for a broker's identity when checking a registration (default: 1000)");
  natsFlags(ns).action(async (o) => (await import("./nameserver.js")).nameserverCommand(o));
  examples(ns, "rbus nameserver --id ns-1", "rbus nameserver --id ns-2 --nats nats://10.0.0.5:4222 --nkey ns-2.nk");

  const broker = program.command("broker").description("run a broker replica: stores messages, serves sends, pulls and offsets")
    .option("--broker-group <name>", "its broker group, e.g. broker-a (required)")
    .option("--replica <i>", "its replica id in the group, from 0", "0")
    .option("--replicas <n>", "replicas in the group (3 survives the loss of one)", "1")
    .option("--data <dir>", "folder of its commit log and queues (required)")
    .option("--cluster <name>", "cluster name it registers under", "DefaultCluster")
    .option("--failover <mode>", "auto elects a new master when one dies; manual keeps replica 0 master", "auto")
    .option("--ack <mode>", "quorum: a send is answered once a majority holds it; leader: once the master has it (default: quorum; leader under manual failover)")
    .option("--election-timeout <ms>", `silence from the master before a slave campaigns (default: ${DEFAULT_ELECTION_TIMEOUT_MS})`)
    .option("--read-from-slave-bytes <n>", "how far (commit-log bytes) a consumer may lag before it reads from a slave (default: 268435456)")
    .option("--heartbeat-interval <ms>", "how often it registers with the NameServers (default: 30000)")
    .option("--flush <mode>", "async, or sync: fsync before a send is answered", "async")
    .option("--max-message-bytes <n>", "largest message body it takes (default: 4194304, at most the NATS max payload)")
    .option("--no-auto-create-topic", "refuse sends to topics not created with rbus topic create")
    .option("--max-open-files <n>", "segment files it keeps open at once (default: 1024)")
    .option("--disk-max-used-ratio <r>", "refuse sends above this fraction of the disk used, in (0, 1] (default: 0.9)")
    .option("--disk-min-free-bytes <n>", "refuse sends below this much free disk")
    .option("--lock-lease <ms>", "how long an orderly consumer's queue lock stands without renewal (default: 60000)");
  deprecatedFlag(broker, "--group <name>", "--broker-group");
  limitOptions(broker);
  timerOptions(broker);
  transactionOptions(broker);
  natsFlags(broker).action(async (o) => (await import("./broker.js")).brokerCommand(o));
  examples(broker, "rbus broker --broker-group broker-a --data data/broker-a.0",
    "rbus broker --broker-group broker-a --replica 1 --replicas 3 --data data/broker-a.1");

  const dash = program.command("dashboard").description("serve the live dashboard: every node's machines, the cluster, topics, lag, plots")
    .option("--port <n>", "TCP port (0: any free one)", "8090")
    .option("--host <addr>", "address to listen on", "127.0.0.1");
  natsFlags(dash).action(async (o) => (await import("./dashboard.js")).dashboardCommand(o));
  examples(dash, "rbus dashboard --port 8090", "open http://127.0.0.1:8090");

  const run = program.command("run-cluster").description("run nats-server, NameServers, brokers and the dashboard as a local cluster (make run-cluster)")
    .option("--config <file>", "cluster description", "cluster.json")
    .option("--no-auth", "open the bus: no NATS users (for quick experiments only)")
    .option("--background", "run detached; rbus stop-cluster stops it")
    .action(async (o) => (await import("../cluster/run.js")).runClusterCommand(o));
  examples(run, "rbus run-cluster", "rbus run-cluster --background && rbus cluster");

  const stop = program.command("stop-cluster").description("stop a cluster that run-cluster --background started")
    .option("--config <file>", "cluster description", "cluster.json")
    .action(async (o) => (await import("../cluster/background.js")).stopClusterCommand(o));
  examples(stop, "rbus stop-cluster");
}
