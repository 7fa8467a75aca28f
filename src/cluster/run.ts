// `rbus run-cluster` (what `make run-cluster` runs): nats-server from
// nats.conf, then one process per NameServer and broker replica, each with
// its own log file, so that any one can be killed alone, and the dashboard.
// Ctrl-C stops the dashboard first, then brokers (they unregister), then
// NameServers, then nats-server.
// Secure by default: every node connects as its own NATS user (nkey seed
// and inbox prefix from `rbus auth init`); --no-auth opens the bus.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Admin } from "../client/admin.js";
import { table } from "../cli/table.js";
import { connectNats } from "../runtime/nats.js";
import type { BrokerInfo } from "../protocol/index.js";
import { loadClusterConfig, replicationFlags, type ClusterConfig } from "./config.js";
import { displayPath } from "../auth/init.js";
import { brokerUser } from "../auth/users.js";
import { clusterCredentials, natsAuthOf, nodeFlags, type ClusterCredentials } from "./credentials.js";
import { ensureEventsStream } from "./events-stream.js";
import { guardChildren, killOnExit, startNatsProcess, StopTier, terminate } from "./processes.js";
import { waitForCluster } from "./ready.js";
import { READY_LINE, startInBackground } from "./background.js";
import { claimPidFile } from "./pid-file.js";
import { dashboardAddress, dashboardArgs } from "./dashboard-node.js";

const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));

interface Node {
  name: string;
  kind: "nats-server" | "nameserver" | "broker" | "dashboard";
  proc: ChildProcess;
  log: string;
}

const say = (line: string) => process.stdout.write(line + "\n");

export interface RunClusterFlags {
  config: string;
  /** false for --no-auth */
  auth: boolean;
  background: boolean;
}

export async function runClusterCommand(values: RunClusterFlags): Promise<void> {
  if (values.background) return startInBackground(["--config", values.config, ...(values.auth ? [] : ["--no-auth"])], values.config);
  const config = loadClusterConfig(values.config);
  mkdirSync(config.dataDir, { recursive: true });
  const releasePid = claimPidFile(config.dataDir);
  guardChildren(resolve(config.dataDir)); // every node dies with this process, even by kill -9
  const creds = clusterCredentials(config, values.config, { noAuth: !values.auth });
  sayCredentials(creds);
  const logs = resolve(config.dataDir, "logs");
  mkdirSync(logs, { recursive: true });
  const nodes: Node[] = [];
  let stopping: Promise<void> | undefined;

  const stopAll = () =>
    (stopping ??= (async () => {
      say("\nstopping: the dashboard, brokers, then NameServers, then nats-server…");
      for (const kind of ["dashboard", "broker", "nameserver", "nats-server"] as const) {
        await Promise.all(nodes.filter((n) => n.kind === kind).map((n) => terminate(n.proc)));
      }
      releasePid();
      say("stopped.");
    })());
  process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));
  process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));
  // the terminal closed: its nodes must not outlive it (they are in their own process groups)
  process.on("SIGHUP", () => void stopAll().then(() => process.exit(0)));

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
    // The port the server listens on (nats.conf may say -1: any free port).
    const url = withPort(config.nats.url, nats.port);

    const nc = await connectNats(url, "rbus-run-cluster", { auth: natsAuthOf(creds, "admin") });
    const stream = await ensureEventsStream(nc, config.prefix);
    say(`event history: JetStream stream on ${config.prefix}.events.> (${stream})`);

    // All at once: replicas of a group find each other by subject, in any order.
    for (const id of config.nameServers) nodes.push(spawnNode(config, url, logs, "nameserver", id, [...nameServerArgs(config, id), ...nodeFlags(creds, id)]));
    for (const g of config.groups) {
      for (let r = 0; r < g.replicas; r++) {
        const args = [...brokerArgs(config, g.name, r, g.replicas), ...nodeFlags(creds, brokerUser(g.name, r))];
        nodes.push(spawnNode(config, url, logs, "broker", `${g.name}.${r}`, args));
      }
    }
    const dashboard = spawnNode(config, url, logs, "dashboard", "dashboard", [...dashboardArgs(config), ...nodeFlags(creds, "dashboard")]);
    nodes.push(dashboard);
    const dashboardUrl = dashboardAddress(dashboard.proc, dashboard.log);
    dashboardUrl.catch(() => undefined); // awaited below; an early exit must not go unhandled meanwhile
    for (const n of nodes.slice(1)) watch(n);

    const replicas = config.groups.reduce((sum, g) => sum + g.replicas, 0);
    say(`waiting for ${replicas} broker replicas to register with ${config.nameServers.length} NameServers, and a master in every group …`);
    const expected = { nameServers: config.nameServers.length, groups: config.groups };
    const brokers = await waitForCluster(new Admin(nc, { prefix: config.prefix }), expected, logs, 30_000, (missing) => say(`  … ${missing}`));
    await nc.close();
    printWhere(config, url, await dashboardUrl, nodes, brokers, creds);
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

function brokerArgs(c: ClusterConfig, group: string, replica: number, replicas: number): string[] {
  const args = ["broker", "--cluster", c.clusterName, "--broker-group", group,
    "--data", join(c.dataDir, "brokers", `${group}.${replica}`), "--heartbeat-interval", `${c.broker.heartbeatIntervalMs}`];
  for (const [flag, value] of Object.entries(replicationFlags(c, replica, replicas))) args.push(`--${flag}`, value);
  if (!c.broker.autoCreateTopic) args.push("--no-auto-create-topic");
  return args;
}

function spawnNode(c: ClusterConfig, url: string, logs: string, kind: Node["kind"], name: string, args: string[]): Node {
  const log = join(logs, `${name}.log`);
  const out = createWriteStream(log, { flags: "a" });
  const argv = [cli, ...args, "--nats", url, "--prefix", c.prefix];
  // The command line first, so a node killed in the tour can be started again by hand.
  out.write(JSON.stringify({ t: new Date().toISOString(), level: "info", node: name, msg: "started by run-cluster", command: [process.execPath, ...argv].join(" ") }) + "\n");
  // Its own process group: Ctrl-C reaches only the launcher, which then
  // stops the nodes in order (brokers unregister while NameServers listen).
  const proc = killOnExit(
    spawn(process.execPath, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    }),
    StopTier[kind],
  );
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  return { name, kind, proc, log };
}

/** nats://host:4222 with the port the server reported. */
function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = `${port}`;
  return u.toString().replace(/\/$/, "");
}

const OPEN_WARNING = [
  "",
  "!!! AUTHENTICATION IS OFF: the bus is OPEN. Anyone who can reach NATS can publish and",
  "!!! subscribe to everything: read every message, pose as a broker or NameServer,",
  "!!! commit any group's offsets, change any topic. For quick experiments only.",
  "",
];

function sayCredentials(creds: ClusterCredentials): void {
  if (creds.open) {
    say(OPEN_WARNING.join("\n").replace("OFF:", `OFF (${creds.open}):`));
    return;
  }
  const how = creds.generated ? "written by rbus auth init" : "unchanged";
  say(`authentication on: one NATS user per node, ${creds.users.length} users in ${displayPath(creds.accountsFile!)} (${how})`);
}


/** How a user's commands connect: rbus reads the nats CLI's variables. */
function exportLine(creds: ClusterCredentials, user: string): string {
  const a = natsAuthOf(creds, user);
  return `export NATS_NKEY=${displayPath(a.nkey!)} NATS_INBOX_PREFIX=${a.inboxPrefix}`;
}

/** Who the tour's commands run as, and how a node's own credentials look. */
function printCredentials(creds: ClusterCredentials): void {
  if (creds.open) {
    say(OPEN_WARNING.join("\n"));
    return;
  }
  const producer = creds.users.find((u) => u.role === "producer");
  say(`\ncredentials: each node connects with its own seed file, in ${displayPath(dirname(creds.accountsFile!))} (secrets: mode 0600).`);
  say(`  rbus and the nats CLI read NATS_NKEY and NATS_INBOX_PREFIX, or take --nkey <file> --inbox-prefix _INBOX.<user>;`);
  say(`  the tour below runs as admin.${producer ? " Narrower users, e.g. a producer that may only send:" : ""}`);
  if (producer) say(`  npx rbus send --nkey ${displayPath(producer.seedFile)} --inbox-prefix ${producer.inboxPrefix} --topic orders 'hello'`);
  say(`  \`rbus auth init\` lists every user; docs/security.md says what each may do.`);
}

function printWhere(c: ClusterConfig, url: string, dashboardUrl: string, nodes: Node[], brokers: BrokerInfo[], creds: ClusterCredentials): void {
  const role = (n: Node) => brokers.find((b) => `${b.group}.${b.replica}` === n.name);
  say("\nRocketbus is running.\n");
  say(`  NATS         ${url}`);
  say(`  monitoring   ${c.nats.monitor}   (/varz /connz /jsz)`);
  say(`  websocket    ${c.nats.websocket}`);
  say(`  dashboard    ${dashboardUrl}`);
  say(`  data         ${resolve(c.dataDir)}\n`);
  say(table(["NODE", "KIND", "ROLE", "TERM", "PID", "LOG"], nodes.map((n) => {
    const b = role(n);
    return [n.name, n.kind, b?.role ?? "", b ? `${b.term}` : "", String(n.proc.pid), n.log];
  })));
  printCredentials(creds);
  const dashboard = creds.open ? "" : `--nkey ${displayPath(natsAuthOf(creds, "dashboard").nkey!)} --inbox-prefix _INBOX.dashboard `;
  const tries: Array<[string, string]> = [
    ...(creds.open ? [] : [[exportLine(creds, "admin"), ""] as [string, string]]),
    [`open ${dashboardUrl}`, "every node's state machines, live; the cluster, topics, consumers"],
    ["npx rbus cluster", "role, term, liveness and lag of every replica"],
    ["npx rbus send --topic orders 'hello'", "creates the topic on first send"],
    ["npx rbus consume --topic orders --group billing --from first --count 1", ""],
    ["kill -9 <pid of broker-a's master>", "another replica takes over; rbus cluster shows it"],
    ["npx rbus failover --broker-group broker-a", "hand mastership over cleanly"],
    [`nats ${dashboard}sub '${c.prefix}.events.>'`, creds.open ? "liveness and role changes as they happen" : ""],
  ];
  const width = Math.max(...tries.filter(([, why]) => why).map(([cmd]) => cmd.length)) + 2;
  say("");
  tries.forEach(([cmd, why], i) => say(`${i === 0 ? "try:  " : "      "}${why ? `${cmd.padEnd(width)}(${why})` : cmd}`));
  say(process.env.RBUS_BACKGROUND === "1" ? `\n\`make stop-cluster\` (rbus stop-cluster) ${READY_LINE}` : `\nCtrl-C ${READY_LINE}`);
}
