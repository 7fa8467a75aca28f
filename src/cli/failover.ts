// `rbus failover --group <g> [--to <replica>]`: asks the group's master to
// hand mastership over (to the named replica, or to the one it picks). The
// master lets the target catch up first, then tells it to campaign, so no
// acknowledged send is lost; the reply names the new master and its term.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import { ErrorCode, masterHint, notMasterError, RbusError, subjects, type BrokerInfo } from "../protocol/index.js";
import { requestJson } from "../runtime/request.js";
import { intArg, required, UsageError } from "./args.js";
import { withNats } from "./connected.js";
import { brokerGroupOf, type NatsFlags } from "./options.js";
import { replicaStatuses } from "./replica-status.js";
import { groupMaster, replicaViews } from "./replica-view.js";

export interface FailoverReply {
  ok: boolean;
  master: number | null;
  term: number;
}

export interface FailoverFlags extends NatsFlags {
  brokerGroup?: string;
  group?: string;
  to?: string;
  timeout: string;
  json: boolean;
}

export async function failoverCommand(values: FailoverFlags): Promise<void> {
  const group = required(brokerGroupOf(values, "failover"), "broker-group");
  const to = intArg(values.to, "to");
  const timeoutMs = intArg(values.timeout, "timeout")!;
  await withNats(values, async (nc) => {
    const { brokers } = await new Admin(nc, { prefix: values.prefix }).cluster();
    const master = pickFailover(brokers.filter((b) => b.group === group), group, to, brokers);
    if (master.replica === to) {
      console.log(`replica ${to} is already master of ${group} (term ${master.term}); nothing to do`);
      return;
    }
    const ask = (replica: number) =>
      requestJson<FailoverReply>(nc, subjects(values.prefix).broker(group, replica, "failover"), to === undefined ? {} : { to }, timeoutMs);
    // The NameServer's table may be a heartbeat old: a replica that lost mastership names the new master.
    const reply = await ask(master.replica)
      .catch((err: unknown) => {
        const hint = masterHint(err);
        if (hint && hint.masterReplica >= 0 && hint.masterReplica !== master.replica) return ask(hint.masterReplica);
        throw err;
      })
      .catch((err: unknown) => {
        throw explain(err, group, master, timeoutMs);
      });
    if (!reply.ok) {
      const now = reply.master === null ? "no master" : `master ${reply.master}`;
      throw new Error(`failover of ${group} did not complete: ${now} at term ${reply.term}; the target may lag too far behind, see rbus cluster`);
    }
    // The old master answers once it has stepped down, maybe before it has heard who won.
    const now = typeof reply.master === "number" ? { replica: reply.master, term: reply.term } : await elected(nc, values.prefix, group, reply.term, timeoutMs);
    if (values.json) return console.log(JSON.stringify({ group, from: master.replica, ok: true, master: now.replica, term: now.term }));
    console.log(`${group}: master is now replica ${now.replica} (term ${now.term}); was replica ${master.replica} (term ${master.term})`);
  });
}

/** The master to ask, after checking the group and the target against the NameServer's table. */
export function pickFailover(replicas: BrokerInfo[], group: string, to: number | undefined, all: BrokerInfo[]): BrokerInfo {
  if (replicas.length === 0) {
    const groups = [...new Set(all.map((b) => b.group))].sort();
    throw new UsageError(`no broker group "${group}" in the cluster${groups.length ? ` (groups: ${groups.join(", ")})` : ""}; check --broker-group`);
  }
  const ids = replicas.map((b) => b.replica).sort((a, b) => a - b);
  if (Math.max(replicas.length, ...replicas.map((b) => b.replicas ?? 1)) === 1) {
    throw new UsageError(`group ${group} has one replica: there is nobody to hand mastership to (start it with --replicas 3 and two more replicas)`);
  }
  if (to !== undefined) {
    const target = replicas.find((b) => b.replica === to);
    if (!target) throw new UsageError(`--to ${to}: group ${group} has no replica ${to} (replicas: ${ids.join(", ")})`);
    if (target.liveness === "dead") {
      const live = replicas.filter((b) => b.liveness !== "dead").map((b) => b.replica);
      throw new UsageError(`--to ${to}: replica ${to} of ${group} is dead; pick a live one (${live.join(", ") || "none"})`);
    }
  }
  const master = groupMaster(replicas);
  if (!master) {
    const states = replicas.map((b) => `${b.replica} ${b.role} ${b.liveness}`).join(", ");
    const term = Math.max(...replicas.map((b) => b.term));
    throw notMasterError(group, term, -1, "", `group ${group} has no live master now (${states}); an election may be under way: see rbus cluster, then try again`);
  }
  return master;
}

/** The replica that claims master of `group` at `term` or later, asking the replicas themselves. */
async function elected(nc: NatsConnection, prefix: string, group: string, term: number, timeoutMs: number): Promise<{ replica: number; term: number }> {
  const deadline = Date.now() + timeoutMs;
  const admin = new Admin(nc, { prefix });
  for (;;) {
    const replicas = (await admin.cluster()).brokers.filter((b) => b.group === group);
    const views = replicaViews(replicas, await replicaStatuses(nc, prefix, replicas));
    const master = groupMaster(views.filter((v) => v.answered && v.term >= term));
    if (master) return master;
    if (Date.now() > deadline) throw new RbusError(ErrorCode.TIMEOUT, `${group}'s master stepped down for term ${term}, but no replica claimed master in ${timeoutMs} ms; see rbus cluster`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function explain(err: unknown, group: string, master: BrokerInfo, timeoutMs: number): unknown {
  if (!(err instanceof RbusError)) return err;
  if (err.code === ErrorCode.NO_RESPONDERS) {
    return new RbusError(err.code, `replica ${master.replica} of ${group} serves no failover requests: it is gone, or runs without replication (start it with --replicas)`);
  }
  if (err.code === ErrorCode.TIMEOUT) {
    return new RbusError(err.code, `replica ${master.replica} of ${group} did not finish the handover in ${timeoutMs} ms; see rbus cluster (raise --timeout if the target was far behind)`);
  }
  return err;
}
