import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { connect } from "@nats-io/transport-node";
import { startNameServer } from "../../actors/nameserver.js";
import { startBroker } from "../../actors/broker.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJson, subjects } from "../../src/protocol/index.js";
import type { InspectEvent } from "../../src/runtime/inspect.js";
import { startNatsServer } from "../harness/nats-server.js";
import { waitUntil } from "../harness/wait.js";

const test = suite("rbus.inspect");

test("NameServers and brokers publish their machines' state changes, and only changes", async () => {
  const server = await startNatsServer({ jetstream: false });
  const nc = await connect({ servers: server.url });
  const dir = mkdtempSync(join(tmpdir(), "rbus-inspect-"));
  const seen: InspectEvent[] = [];
  nc.subscribe(subjects().inspectAll, { callback: (_, m) => void seen.push(decodeJson(m.data) as InspectEvent) });
  await nc.flush();
  const ns = await startNameServer({ nc, id: "ns-1", timings: { scanIntervalMs: 20, suspectAfterMs: 200, deadAfterMs: 400 } });
  const broker = await startBroker({ nc, group: "broker-a", replica: 0, dataDir: dir, heartbeatIntervalMs: 60_000 });
  try {
    const line = (e: InspectEvent) => `${e.node} ${e.actor} ${JSON.stringify(e.state)}`;
    await waitUntil("the broker registered", () => seen.some((e) => line(e) === 'broker-a-0 registration "registered"'));
    await broker.stop();
    await waitUntil("its liveness actor stopped", () => seen.some((e) => e.actor === "liveness-broker-a.0" && e.status === "done"));
    const ns1 = seen.filter((e) => e.node === "ns-1").map(line);
    assert.ok(ns1.includes('ns-1 ns-1 "serving"'), ns1.join("\n"));
    assert.ok(ns1.includes('ns-1 liveness-broker-a.0 "alive"'), ns1.join("\n"));
    const scans = seen.filter((e) => e.node === "ns-1" && e.actor === "ns-1").length;
    assert.is(scans, 1, "a scan that changes no state publishes nothing");
  } finally {
    await ns.stop();
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
