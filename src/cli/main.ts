#!/usr/bin/env node
// rbus: run Rocketbus nodes and talk to a running cluster.
import { RbusError } from "../protocol/index.js";
import { UsageError } from "./args.js";
import { permissionHint } from "../runtime/nats.js";
type Command = (argv: string[]) => Promise<void>;

// Each command's module is loaded only when it runs: `rbus cluster` starts
// without loading the broker and its store.
const commands: Record<string, [() => Promise<Command>, string]> = {
  nameserver: [async () => (await import("./nameserver.js")).nameserverCommand, "run a NameServer"],
  broker: [async () => (await import("./broker.js")).brokerCommand, "run a broker replica"],
  cluster: [async () => (await import("./cluster.js")).clusterCommand, "print NameServers and broker replicas: role, term, liveness, commit offset, lag"],
  failover: [async () => (await import("./failover.js")).failoverCommand, "hand a group's mastership to another replica (--group g [--to i])"],
  send: [async () => (await import("./send.js")).sendCommand, "send a message (or --count N of them) and print the result"],
  consume: [async () => (await import("./consume.js")).consumeCommand, "print a topic's messages as a consumer group member (--count N, then exit)"],
  progress: [async () => (await import("./progress.js")).progressCommand, "print a consumer group's committed offsets and lag per queue"],
  topic: [async () => (await import("./topic.js")).topicCommand, "create or list topics"],
  route: [async () => (await import("./route.js")).routeCommand, "print a topic's route"],
  message: [async () => (await import("./message.js")).messageCommand, "look a message up by id or key"],
  inspect: [async () => (await import("./inspect.js")).inspectCommand, "watch the nodes' state machines change, live"],
  metrics: [async () => (await import("./metrics.js")).metricsCommand, "print every node's counters ([--node <id>] [--json]); metrics serve [--port 9464]: Prometheus /metrics"],
  dashboard: [async () => (await import("./dashboard.js")).dashboardCommand, "serve the live dashboard: every node's machines, cluster, topics, lag, plots, lookups ([--port 8090])"],
  machines: [async () => (await import("./machines.js")).machinesCommand, "write every state machine from its definition: machines export --format mermaid|json [--machine <name>]"],
  store: [async () => (await import("./store.js")).storeCommand, "verify a data folder offline: store verify --data <dir> (exit 1 on damage)"],
  auth: [async () => (await import("../auth/command.js")).authCommand, "write NATS users and permissions for every process of cluster.json: auth init"],
  tls: [async () => (await import("../auth/command.js")).tlsCommand, "write a local CA and certificates for nats-server and clients: tls init"],
  "run-cluster": [async () => (await import("../cluster/run.js")).runClusterCommand, "run nats-server, NameServers and brokers as a local cluster (--background: detached)"],
  "stop-cluster": [async () => (await import("../cluster/background.js")).stopClusterCommand, "stop a cluster run-cluster started in the background"],
};

function help(): string {
  const lines = Object.entries(commands).map(([name, [, what]]) => `  ${name.padEnd(14)}${what}`);
  return `usage: rbus <command> [options]\n\ncommands:\n${lines.join("\n")}\n\n` +
    `Every command that talks to NATS takes --nats <url> (default $NATS_URL or nats://127.0.0.1:4222) and its user's\n` +
    `credentials: --nkey <seed file>, --creds <file>, --user/--password or --token, --tls-ca/--tls-cert/--tls-key and\n` +
    `--inbox-prefix, or the nats CLI's variables NATS_NKEY, NATS_CREDS, NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CA,\n` +
    `NATS_CERT, NATS_KEY, NATS_INBOX_PREFIX. See docs/security.md.`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(help());
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${help()}`);
  await (await command[0]())(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  const code = err instanceof RbusError ? `${err.code}: ` : "";
  const message = err instanceof Error ? err.message : String(err);
  const hint = permissionHint(message);
  console.error(`rbus: ${code}${message}${hint ? `\n${hint}` : ""}`);
  process.exit(1);
});
