// NameServers and broker replicas in-process on a nats-server running the
// shipped nats.conf (secure-nats.ts), each node on a connection of its own
// user, as run-cluster starts them; and the permission violations a
// connection gets back, for tests of what each role may not do.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PermissionViolationError, type NatsConnection } from "@nats-io/transport-node";
import { startBroker, type BrokerHandle, type BrokerOptions } from "../../actors/broker.js";
import { startNameServer, type NameServerHandle } from "../../actors/nameserver.js";
import { brokerUser } from "../../src/auth/users.js";
import { startSecureNats, type SecureNats, type SecureNatsOptions } from "./secure-nats.js";

export interface SecureCluster {
  nats: SecureNats;
  nameServers: NameServerHandle[];
  brokers: BrokerHandle[];
  /** A connection as `user`, closed by stop(). */
  connect(user: string): Promise<NatsConnection>;
  /** Every permission violation the nodes' own connections were told of ("<user>: publish <subject>"): none, if the rules fit the nodes. */
  nodeViolations(): string[];
  stop(): Promise<void>;
}

/**
 * RBUS_TEST_OPEN_BUS=1 runs every secured suite on an open bus instead (as
 * `--no-auth`): each refusal the suites expect then fails, which shows the
 * permissions, not something else, refuse the attacks.
 */
/** `broker`: settings every replica starts with besides its identity and connection. */
export async function startSecureCluster(opts: SecureNatsOptions & { broker?: Partial<BrokerOptions> } = {}): Promise<SecureCluster> {
  const nats = await startSecureNats(process.env.RBUS_TEST_OPEN_BUS === "1" ? { ...opts, open: true } : opts);
  const dir = mkdtempSync(join(tmpdir(), "rbus-secure-brokers-"));
  const conns: NatsConnection[] = [];
  const connect = async (user: string) => {
    const nc = await nats.connect(user);
    conns.push(nc);
    return nc;
  };
  const nodeSeen: Array<[string, string[]]> = [];
  const nodeConnect = async (user: string) => {
    const nc = await connect(user);
    nodeSeen.push([user, violations(nc)]);
    return nc;
  };
  const nameServers: NameServerHandle[] = [];
  const brokers: BrokerHandle[] = [];
  const stop = async () => {
    for (const b of brokers) await b.stop().catch(() => undefined);
    for (const n of nameServers) await n.stop().catch(() => undefined);
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const id of nats.cluster.nameServers) {
      nameServers.push(await startNameServer({ nc: await nodeConnect(id), id, timings: { scanIntervalMs: 200, suspectAfterMs: 3000, deadAfterMs: 6000 } }));
    }
    for (const g of nats.cluster.groups) {
      for (let r = 0; r < g.replicas; r++) {
        const nc = await nodeConnect(brokerUser(g.name, r));
        brokers.push(await startBroker({ nc, group: g.name, replica: r, dataDir: join(dir, `${g.name}.${r}`), heartbeatIntervalMs: 500, ...opts.broker }));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nats, nameServers, brokers, connect, nodeViolations: () => nodeSeen.flatMap(([u, v]) => v.map((x) => `${u}: ${x}`)), stop };
}

/** The permission violations `nc` is told of, as "publish <subject>" / "subscription <subject>", from now on. */
export function violations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error" && s.error instanceof PermissionViolationError) seen.push(`${s.error.operation} ${s.error.subject}`);
    }
  })();
  return seen;
}

/** Whether a request failed because NATS refused its subject (a publish permissions violation). */
export async function refusedByNats(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return false;
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    return e instanceof PermissionViolationError || e.cause instanceof PermissionViolationError || /permissions violation/i.test(e.message);
  }
}
