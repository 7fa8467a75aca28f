// NATS goes away for longer than the NameServers' dead-after and comes
// back. Separate processes: two NameServers, two brokers. No NameServer
// may report a live broker suspect or dead, and each must hear every
// broker within one heartbeat interval of NATS's return. Before, the
// NameServers counted their own outage as the brokers' silence, and a
// broker's single re-registration could miss a NameServer that
// resubscribed a moment later.
import * as assert from "uvu/assert";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type NameServerInfo } from "../../src/protocol/index.js";
import { connectNats } from "../../src/runtime/nats.js";
import { requestAll } from "../../src/runtime/request.js";
import { collectLiveness } from "../harness/events.js";
import { spawnRbus } from "../harness/processes.js";
import { processSuite } from "../harness/process-suite.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const HEARTBEAT_MS = 1500;
const TIMINGS = { scan: 200, suspect: 3500, dead: 5000 };
/** Longer than dead-after: a NameServer that counted the outage would declare both brokers dead. */
const OUTAGE_MS = 5500;
const NAME_SERVERS = ["ns-1", "ns-2"];
const BROKERS = ["broker-a.0", "broker-b.0"];

const test = processSuite("a NATS restart", { jetstream: false, connect: (url) => connectNats(url, "nats-restart-test") });

const infos = async (nc: NatsConnection) =>
  (await requestAll<NameServerInfo>(nc, subj.ns.info, {}, { stallMs: 200, maxWaitMs: 1000 })).filter((r): r is NameServerInfo => !(r instanceof Error));

/** When every NameServer answers and has heard every broker at or after `since`: the latest of those times. */
async function allHeardSince(nc: NatsConnection, since: number): Promise<number | undefined> {
  const got = await infos(nc);
  if (got.length !== NAME_SERVERS.length) return undefined;
  let latest = 0;
  for (const i of got) {
    if (i.liveness.alive !== BROKERS.length) return undefined;
    for (const b of BROKERS) {
      const at = i.lastHeartbeatAt?.[b] ?? 0;
      if (at < since) return undefined;
      latest = Math.max(latest, at);
    }
  }
  return latest;
}

test("every NameServer sees every broker alive again within a heartbeat of NATS's return, and never dead", async (ctx) => {
  const url = ctx.server.url;
  const nameServers = NAME_SERVERS.map((id) =>
    spawnRbus(["nameserver", "--nats", url, "--id", id, "--scan-interval", `${TIMINGS.scan}`, "--suspect-after", `${TIMINGS.suspect}`, "--dead-after", `${TIMINGS.dead}`]),
  );
  ctx.procs.push(...nameServers);
  for (const g of ["broker-a", "broker-b"]) {
    ctx.procs.push(spawnRbus(["broker", "--nats", url, "--group", g, "--data", join(ctx.dir, g), "--heartbeat-interval", `${HEARTBEAT_MS}`]));
  }
  const events = collectLiveness(ctx.nc);
  await waitUntil("both NameServers know both brokers", () => allHeardSince(ctx.nc, 0), { timeoutMs: 15_000 });

  await ctx.server.kill();
  await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage lasts this long: the scenario, not a wait for state
  await ctx.server.start();
  const back = Date.now();
  // Polled often: the first answer that shows every pair holds the first registrations after the return.
  const heard = await waitUntil("every NameServer heard every broker after NATS came back", () => allHeardSince(ctx.nc, back), {
    timeoutMs: 15_000,
    intervalMs: 20,
  });
  // Two more heartbeats: a NameServer that counted the outage would say so in this time.
  await waitUntil("two heartbeats after the return", () => allHeardSince(ctx.nc, heard + 2 * HEARTBEAT_MS), { timeoutMs: 15_000 });

  const took = heard - back;
  console.log(`every NameServer heard every broker ${took} ms after NATS came back (heartbeat ${HEARTBEAT_MS} ms)`);
  const bad = events.lines((e) => e.to !== "alive");
  assert.equal(bad, [], "no liveness event other than alive");
  for (const [i, ns] of nameServers.entries()) {
    const lines = ns.output().split("\n").filter((l) => l.includes('"broker liveness"') && !l.includes('"to":"alive"'));
    assert.equal(lines, [], `${NAME_SERVERS[i]} logged no suspect or dead broker`);
  }
  assert.ok(took <= HEARTBEAT_MS, `heard ${took} ms after NATS came back; at most one heartbeat (${HEARTBEAT_MS} ms)`);
});

test.run();
