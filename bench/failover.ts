// (h) failover: a 3-replica group at ack=quorum, its master killed with
// SIGKILL again and again; each time, the ms from the kill to the first
// send a survivor acknowledges (committed on 2 of 3). Probes go straight to
// every survivor every 10 ms, so no client backoff or route refresh is in
// the figure; each kill starts from a healthy group (the killed replica
// restarted and in sync). Measured at the test timings (election timeout
// 1 s) and at the default (3 s).
//   node dist/bench/failover.js [--kills 10] [--election-timeout 1000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_ELECTION_TIMEOUT_MS } from "../src/cli/replication-args.js";
import { subjects, type RoleEvent, type TopicConfig } from "../src/protocol/index.js";
import { connectNats } from "../src/runtime/nats.js";
import { requestJson } from "../src/runtime/request.js";
import { startNatsServer } from "../test/harness/nats-server.js";
import { ReplicaGroup } from "../test/harness/replica-group.js";
import { sendTo } from "../test/harness/replica-io.js";
import { waitUntil } from "../test/harness/wait.js";
import { progress } from "./lib/progress.js";
import type { Row } from "./lib/report.js";
import { percentile } from "./lib/stats.js";

const TOPIC = "failover";
const PROBE_EVERY_MS = 10;

/** ms from each kill -9 of the master to the first acknowledged send on its successor. */
export async function failoverTimes(kills: number, electionTimeoutMs: number): Promise<number[]> {
  const server = await startNatsServer({ jetstream: false });
  const nc = await connectNats(server.url, "rbus-bench-failover", { noAsyncTraces: true });
  const dir = mkdtempSync(join(tmpdir(), "rbus-bench-failover-"));
  const g = await ReplicaGroup.start({ server, nc, dir, electionTimeoutMs, flush: "async", logLevel: process.env.FAILOVER_LOG ?? "warn", nameServers: 1 });
  const times: number[] = [];
  try {
    const m = await g.waitMaster();
    const config: TopicConfig = { topic: TOPIC, readQueues: 4, writeQueues: 4, perm: "rw" };
    await requestJson(nc, subjects().broker(g.group, m.replica, "topic.upsert"), config);
    for (let k = 0; k < kills; k++) {
      const master = await g.waitMaster({ timeoutMs: 30_000 });
      for (let i = 0; i < g.size; i++) if (i !== master.replica) await g.waitInSync(i, 30_000);
      await waitUntil("the master takes sends", () => sendTo(nc, g.group, master.replica, TOPIC, "warm").then((r) => r.status === "SEND_OK"), { timeoutMs: 10_000 });
      const survivors = [...Array(g.size).keys()].filter((i) => i !== master.replica);
      const seen = g.roleEvents.length;
      const wallAt = Date.now();
      const killedAt = performance.now();
      const killed = g.kill(master.replica);
      const ms = await firstAck(g, survivors, killedAt);
      await killed;
      times.push(ms);
      // a slow one says why: the elections and role changes since the kill, as the replicas published them
      const story = ms > 2 * electionTimeoutMs ? `; since the kill: ${storyOf(g.roleEvents.slice(seen), wallAt)}` : "";
      progress(`(h) election timeout ${electionTimeoutMs} ms: kill ${k + 1}/${kills} of replica ${master.replica}: a survivor acknowledged after ${ms.toFixed(0)} ms${story}`);
      await g.restart(master.replica);
    }
  } finally {
    await g.close();
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

/** "+412 ms 1 election started (pre-vote) term 5, …": role events in a few words, times from the kill. */
function storyOf(events: readonly RoleEvent[], since: number): string {
  return events.map((e) => {
    const what = e.type === "election" ? `election ${e.outcome}${e.preVote ? " (pre-vote)" : ""} ${e.votes}/${e.needed}`
      : e.type === "role" ? `${e.role} (${e.reason})` : `truncated ${e.from}→${e.to}`;
    return `+${e.at - since} ms ${e.replica} ${what} term ${e.term}`;
  }).join(", ");
}

/** Probes every survivor every 10 ms (probes overlap: a slow answer does not delay the next); resolves at the first SEND_OK. */
async function firstAck(g: ReplicaGroup, survivors: number[], since: number): Promise<number> {
  let done: number | undefined;
  const deadline = since + 30_000;
  for (let n = 0; done === undefined; n++) {
    if (performance.now() > deadline) throw new Error(`no survivor of ${g.group} acknowledged a send within 30 s of the kill`);
    for (const i of survivors) {
      void sendTo(g.o.nc, g.group, i, TOPIC, `probe-${n}-${i}`, { timeoutMs: 1000 }).then(
        (r) => void (r.status === "SEND_OK" && done === undefined && (done = performance.now() - since)),
        () => undefined,
      );
    }
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  return done;
}

/** The bench rows: median and worst failover time at the test timings and at the default ones. */
export async function failover(quick: boolean): Promise<Row[]> {
  const kills = quick ? 3 : 10;
  const rows: Row[] = [];
  for (const electionTimeoutMs of quick ? [1000] : [1000, DEFAULT_ELECTION_TIMEOUT_MS]) {
    progress(`(h) failover: ${kills} × kill -9 of a 3-replica group's master, election timeout ${electionTimeoutMs} ms`);
    const sorted = (await failoverTimes(kills, electionTimeoutMs)).sort((a, b) => a - b);
    const scenario = `(h) failover, 3 replicas, election timeout ${electionTimeoutMs} ms`;
    const limit = electionTimeoutMs === 1000 ? 2000 : undefined;
    const row = (metric: string, v: number): Row => ({
      scenario, metric, unit: "ms", rocketbus: v, higherIsBetter: false,
      ...(limit ? { target: `≤ ${limit} ms`, met: v <= limit } : {}),
    });
    const median = row("kill -9 → first acknowledged send, median", percentile(sorted, 50));
    median.note = `${kills} kills; each: ${sorted.map((t) => t.toFixed(0)).join(", ")} ms; quorum acks, probes to every survivor every ${PROBE_EVERY_MS} ms`;
    rows.push(median, row("kill -9 → first acknowledged send, worst", sorted.at(-1)!));
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { kills: { type: "string", default: "10" }, "election-timeout": { type: "string", default: "1000" } } });
  const times = await failoverTimes(Number(values.kills), Number(values["election-timeout"]));
  const sorted = [...times].sort((a, b) => a - b);
  console.log(JSON.stringify({ electionTimeoutMs: Number(values["election-timeout"]), times, median: percentile(sorted, 50), worst: sorted.at(-1) }));
}
