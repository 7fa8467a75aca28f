// A local NATS cluster of real nats-server processes, JetStream on in each
// (its own store folder), joined by cluster routes. Every port is chosen by
// the servers themselves (port -1, read back from their logs), so there is
// no race for a port. A clustered JetStream server refuses to start without
// a route to configure, so the first node starts with JetStream off only to
// learn its route port, the others start routing to it, and then the first
// is started again, JetStream on, on the same ports, routing to them. Each
// config then lists every other route, so a node started again rejoins
// whoever is up. Only options nats-server 2.9 knows are used.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { startNatsProcess, terminate } from "../../src/cluster/processes.js";
import { waitUntil } from "./wait.js";

export interface NatsClusterNode {
  name: string;
  url: string;
  port: number;
  routePort: number;
  storeDir: string;
  pid(): number;
}

export interface NatsCluster {
  nodes: NatsClusterNode[];
  /** Every node's client URL (a client given them all as seeds survives any one node). */
  urls: string[];
  /** Stops node i (SIGTERM), keeping its folder. */
  kill(i: number): Promise<void>;
  /** Starts node i again on its ports after kill(i). */
  start(i: number): Promise<void>;
  /** Stops every node and removes their folders. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  size?: number;
  /** The cluster's name (cluster { name }); JetStream's meta group spans it. */
  name?: string;
}

const routeLine = /Listening for route connections on [^\s]+:(\d+)/;

export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const clusterName = opts.name ?? "rbus-bench";
  const dir = mkdtempSync(join(tmpdir(), "rbus-nats-cluster-"));
  const procs: ChildProcess[] = [];
  const nodes: NatsClusterNode[] = [];
  const configFile = (i: number) => join(dir, `n${i}.conf`);
  const writeConfig = (i: number, port: number, routePort: number, routes: number[]) => {
    const lines = [
      `server_name: n${i}`,
      `host: 127.0.0.1`,
      `port: ${port}`,
      `max_payload: 8MB`,
      routes.length ? `jetstream { store_dir: "${join(dir, `n${i}`)}" }` : "",
      `cluster {`,
      `  name: ${clusterName}`,
      `  host: 127.0.0.1`,
      `  port: ${routePort}`,
      `  routes: [${routes.map((p) => `nats-route://127.0.0.1:${p}`).join(", ")}]`,
      `}`,
    ];
    writeFileSync(configFile(i), lines.join("\n") + "\n");
  };
  const cluster: NatsCluster = {
    nodes,
    urls: [],
    kill: (i) => terminate(procs[i]!),
    async start(i) {
      procs[i] = (await startNatsProcess(configFile(i))).proc;
    },
    async stop() {
      await Promise.all(procs.map((p) => terminate(p)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < size; i++) {
      writeConfig(i, -1, -1, nodes.map((n) => n.routePort));
      let log = "";
      const { proc, port } = await startNatsProcess(configFile(i), (chunk) => (log += chunk));
      procs[i] = proc;
      // With JetStream clustered, the route listener comes up after "Server is ready".
      const routePort = await waitUntil(`nats-server n${i} listening for routes`, () => Number(routeLine.exec(log)?.[1]) || undefined);
      nodes.push({ name: `n${i}`, url: `nats://127.0.0.1:${port}`, port, routePort, storeDir: join(dir, `n${i}`, "jetstream"), pid: () => procs[i]!.pid! });
    }
    const allRoutes = nodes.map((n) => n.routePort);
    nodes.forEach((n, i) => writeConfig(i, n.port, n.routePort, allRoutes.filter((p) => p !== n.routePort)));
    await cluster.kill(0);
    await cluster.start(0);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  cluster.urls = nodes.map((n) => n.url);
  return cluster;
}
