// An in-process NameServer and broker replicas on a real nats-server, with
// temporary data folders: the setup most integration tests start from.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "xstate";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startBroker, type BrokerHandle, type BrokerOptions } from "../../actors/broker.js";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import type { NameServerTimings } from "../../machines/nameserver.js";
import { startNatsServer, type NatsServer } from "./nats-server.js";

export interface TestCluster {
  server: NatsServer;
  nc: NatsConnection;
  nameServer: NameServerHandle;
  brokers: BrokerHandle[];
  dir: string;
  addBroker(group: string, opts?: Partial<BrokerOptions>): Promise<BrokerHandle>;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Broker settings for every broker the cluster starts. */
  broker?: Partial<BrokerOptions>;
  nameServer?: Partial<NameServerTimings>;
  jetstream?: boolean;
}

export async function startTestCluster(groups: string[] = ["broker-a"], opts: TestClusterOptions = {}): Promise<TestCluster> {
  const server = await startNatsServer({ jetstream: opts.jetstream ?? true });
  const nc = await connect({ servers: server.url });
  const dir = mkdtempSync(join(tmpdir(), "rbus-brokers-"));
  const nameServer = await startNameServer({ nc, id: "ns-test", timings: opts.nameServer ?? {} });
  const brokers: BrokerHandle[] = [];
  const cluster: TestCluster = {
    server,
    nc,
    nameServer,
    brokers,
    dir,
    async addBroker(group, more = {}) {
      const b = await startBroker({ nc, group, replica: 0, dataDir: join(dir, group), heartbeatIntervalMs: 1000, ...opts.broker, ...more });
      brokers.push(b);
      // The NameServer routes to a replica once it has checked its identity: a moment after start.
      const key = `${group}.${more.replica ?? opts.broker?.replica ?? 0}`;
      await waitFor(nameServer.actor, (s) => s.context.brokers.has(key), { timeout: 3000 }).catch(() => undefined);
      return b;
    },
    async stop() {
      for (const b of brokers) await b.stop().catch(() => undefined); // a test may have stopped one
      await nameServer.stop();
      await nc.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const g of groups) await cluster.addBroker(g);
  return cluster;
}

/** Three in-process replicas of one group with automatic failover and quick elections, each in its own folder. */
export async function addReplicatedGroup(cluster: TestCluster, group: string, replicas = 3): Promise<BrokerHandle[]> {
  const handles: BrokerHandle[] = [];
  for (let replica = 0; replica < replicas; replica++) {
    handles.push(await cluster.addBroker(group, {
      replica, dataDir: join(cluster.dir, `${group}.${replica}`), heartbeatIntervalMs: 300,
      replication: { replicas, failover: "auto", ack: "quorum", electionTimeoutMs: 400 },
    }));
  }
  return handles;
}
