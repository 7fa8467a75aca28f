#!/usr/bin/env node
// rbus: run Rocketbus nodes and talk to a running cluster.
import { RbusError } from "../protocol/index.js";
import { UsageError } from "./args.js";
import { brokerCommand } from "./broker.js";
import { clusterCommand } from "./cluster.js";
import { failoverCommand } from "./failover.js";
import { nameserverCommand } from "./nameserver.js";
import { sendCommand } from "./send.js";
import { consumeCommand } from "./consume.js";
import { progressCommand } from "./progress.js";
import { topicCommand } from "./topic.js";
import { routeCommand } from "./route.js";
import { messageCommand } from "./message.js";
import { inspectCommand } from "./inspect.js";
import { storeCommand } from "./store.js";
import { runClusterCommand } from "../cluster/run.js";

const commands: Record<string, [(argv: string[]) => Promise<void>, string]> = {
  nameserver: [nameserverCommand, "run a NameServer"],
  broker: [brokerCommand, "run a broker replica"],
  cluster: [clusterCommand, "print NameServers and broker replicas: role, term, liveness, commit offset, lag"],
  failover: [failoverCommand, "hand a group's mastership to another replica (--group g [--to i])"],
  send: [sendCommand, "send a message (or --count N of them) and print the result"],
  consume: [consumeCommand, "print a topic's messages as a consumer group member (--count N, then exit)"],
  progress: [progressCommand, "print a consumer group's committed offsets and lag per queue"],
  topic: [topicCommand, "create or list topics"],
  route: [routeCommand, "print a topic's route"],
  message: [messageCommand, "look a message up by id or key"],
  inspect: [inspectCommand, "watch the nodes' state machines change, live"],
  store: [storeCommand, "verify a data folder offline: store verify --data <dir> (exit 1 on damage)"],
  "run-cluster": [runClusterCommand, "run nats-server, NameServers and brokers as a local cluster"],
};

function help(): string {
  const lines = Object.entries(commands).map(([name, [, what]]) => `  ${name.padEnd(14)}${what}`);
  return `usage: rbus <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nEvery command takes --nats <url> (default $NATS_URL or nats://127.0.0.1:4222).`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(help());
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${help()}`);
  await command[0](rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  const code = err instanceof RbusError ? `${err.code}: ` : "";
  console.error(`rbus: ${code}${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
