// `rbus run-cluster` (what `make run-cluster` runs): nats-server from
// nats.conf, then one process per NameServer and broker replica, each with
// its own log file, so that any one can be killed alone. Ctrl-C stops
// brokers first (they unregister), then NameServers, then nats-server.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Admin } from "../client/admin.js";
import { parse } from "../cli/args.js";
import { table } from "../cli/table.js";
import { connectNats } from "../runtime/nats.js";
import { loadClusterConfig, type ClusterConfig } from "./config.js";
import { ensureEventsStream } from "./events-stream.js";
import { killOnExit, startNatsProcess, terminate } from "./processes.js";

const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const usage = "rbus run-cluster [--config cluster.json]";

interface Node {
  name: string;
  kind: "nats-server" | "nameserver" | "broker";
  proc: ChildProcess;
  log: string;
}

const say = (line: string) => process.stdout.write(line + "\n");

export async function runClusterCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { config: { type: "string", default: "cluster.json" } }, usage);
  const config = loadClusterConfig(values.config);
  const logs = resolve(config.dataDir, "logs");
  mkdirSync(logs, { recursive: true });
  const nodes: Node[] = [];
  let stopping: Promise<void> | undefined;

  const stopAll = () =>
    (stopping ??= (async () => {
      say("\nstopping: brokers, then NameServers, then nats-server…");
      for (const kind of ["broker", "nameserver", "nats-server"] as const) {
        await Promise.all(nodes.filter((n) => n.kind === kind).map((n) => terminate(n.proc)));
      }
      say("stopped.");
    })());
  process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));
  process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));

  const watch = (node: Node) =>
    node.proc.on("exit", (code, signal) => {
      if (!stopping) say(`! ${node.name} (pid ${node.proc.pid}) exited (${signal ?? `code ${code}`}); see ${node.log}`);
    });

  try {
    say(`starting nats-server -c ${config.nats.config} …`);
    const natsLog = join(logs, "nats-server.log");
    const natsOut = createWriteStream(natsLog, { flags: "a" });
    const nats = await startNatsProcess(config.nats.config, (chunk) => natsOut.write(chunk));
    nodes.push({ name: "nats-server", kind: "nats-server", proc: nats.proc, log: natsLog });
    watch(nodes[0]!);

    const nc = await connectNats(config.nats.url, "rbus-run-cluster");
    const stream = await ensureEventsStream(nc, config.prefix);
    say(`event history: JetStream stream on ${config.prefix}.events.> (${stream})`);

    for (const id of config.nameServers) nodes.push(spawnNode(config, logs, "nameserver", id, nameServerArgs(config, id)));
    for (const g of config.groups) {
      for (let r = 0; r < g.replicas; r++) {
        nodes.push(spawnNode(config, logs, "broker", `${g.name}.${r}`, brokerArgs(config, g.name, r)));
      }
    }
    for (const n of nodes.slice(1)) watch(n);

    const expected = config.groups.reduce((sum, g) => sum + g.replicas, 0);
    say(`waiting for ${expected} broker replicas to register with ${config.nameServers.length} NameServers …`);
    await waitForRegistration(new Admin(nc, { prefix: config.prefix }), config.nameServers.length, expected);
    await nc.close();
    printWhere(config, nodes);
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function nameServerArgs(c: ClusterConfig, id: string): string[] {
  const t = c.nameServer;
  return ["nameserver", "--id", id, "--scan-interval", `${t.scanIntervalMs}`, "--suspect-after", `${t.suspectAfterMs}`,
    "--dead-after", `${t.deadAfterMs}`, "--forget-after", `${t.forgetAfterMs}`];
}

function brokerArgs(c: ClusterConfig, group: string, replica: number): string[] {
  const args = ["broker", "--cluster", c.clusterName, "--group", group, "--replica", `${replica}`,
    "--data", join(c.dataDir, "brokers", `${group}.${replica}`), "--heartbeat-interval", `${c.broker.heartbeatIntervalMs}`];
  if (!c.broker.autoCreateTopic) args.push("--no-auto-create-topic");
  return args;
}

function spawnNode(c: ClusterConfig, logs: string, kind: Node["kind"], name: string, args: string[]): Node {
  const log = join(logs, `${name}.log`);
  const out = createWriteStream(log, { flags: "a" });
  // Its own process group: Ctrl-C reaches only the launcher, which then
  // stops the nodes in order (brokers unregister while NameServers listen).
  const proc = killOnExit(
    spawn(process.execPath, [cli, ...args, "--nats", c.nats.url, "--prefix", c.prefix], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    }),
  );
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  return { name, kind, proc, log };
}

async function waitForRegistration(admin: Admin, nameServers: number, brokers: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await admin.nameServers().catch(() => []);
    if (seen.length >= nameServers && seen.every((n) => n.brokers >= brokers)) return;
    if (Date.now() > deadline) {
      throw new Error(`after ${timeoutMs / 1000}s, ${seen.length} NameServers answer with brokers ${seen.map((n) => n.brokers).join("/")}; see the logs in data/cluster/logs`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function printWhere(c: ClusterConfig, nodes: Node[]): void {
  say("\nRocketbus is running.\n");
  say(`  NATS         ${c.nats.url}`);
  say(`  monitoring   ${c.nats.monitor}   (/varz /connz /jsz)`);
  say(`  websocket    ${c.nats.websocket}`);
  say(`  data         ${resolve(c.dataDir)}\n`);
  say(table(["NODE", "KIND", "PID", "LOG"], nodes.map((n) => [n.name, n.kind, String(n.proc.pid), n.log])));
  say(`\ntry:  npx rbus cluster                                   (liveness of every broker)`);
  say(`      npx rbus send --topic orders 'hello'                 (creates the topic on first send)`);
  say(`      npx rbus consume --topic orders --group billing --from first --count 1`);
  say(`      kill -9 <pid of a broker>                          (watch it go suspect, then dead)`);
  say(`      nats sub '${c.prefix}.events.>'                          (liveness changes as they happen)`);
  say(`\nCtrl-C stops everything.`);
}
