// kill -9 under sync flush: every acknowledged message survives, byte for byte.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, Header, subjects, type PullReply, type SendResult } from "../../src/protocol/index.js";
import { startNatsServer } from "../harness/nats-server.js";
import { spawnRbus } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = suite("broker crash");

const brokerArgs = (url: string, dir: string) => ["broker", "--nats", url, "--group", "broker-a", "--data", dir, "--flush", "sync"];

async function pullAll(nc: NatsConnection, queueId: number): Promise<PullReply["messages"]> {
  const out: PullReply["messages"] = [];
  for (let offset = 0; ; ) {
    const reply = decodeJson((await nc.request(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "check", topic: "crash", queueId, offset, max: 1024 }), { timeout: 5000 })).data) as PullReply;
    if (reply.messages.length === 0) return out;
    out.push(...reply.messages);
    offset = reply.nextOffset;
  }
}

test("SIGKILL with sends in flight loses no acknowledged message", async () => {
  const server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), "rbus-crash-"));
  const nc = await connect({ servers: server.url });
  let broker = spawnRbus(brokerArgs(server.url, dir));
  try {
    await waitUntil("broker serving", () => nc.request(subj.broker("broker-a", 0, "status"), "{}", { timeout: 500 }).then(() => true));
    const acked = new Map<string, string>(); // msgId → body (base64 of random bytes, sent as UTF-8 text)
    let inFlight = 0;
    let stop = false;
    const sender = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const body = `${worker}-${i}-${randomBytes(24).toString("base64")}`;
        const h = headers();
        h.set(Header.topic, "crash");
        h.set(Header.queue, String(worker % 4));
        inFlight++;
        try {
          const r = decodeJson((await nc.request(subj.broker("broker-a", 0, "send"), body, { headers: h, timeout: 2000 })).data) as SendResult;
          if (r.status === "SEND_OK") acked.set(r.msgId, body);
        } catch {
          return; // the broker died under this request: not acknowledged
        } finally {
          inFlight--;
        }
      }
    };
    const senders = Array.from({ length: 8 }, (_, w) => sender(w));
    await waitUntil("some messages acknowledged", () => acked.size >= 300);
    assert.ok(inFlight > 0, "sends are in flight at the kill");
    await broker.kill("SIGKILL");
    stop = true;
    await Promise.all(senders);

    broker = spawnRbus(brokerArgs(server.url, dir));
    await waitUntil("broker back", () => nc.request(subj.broker("broker-a", 0, "status"), "{}", { timeout: 500 }).then(() => true));
    const stored = new Map<string, string>();
    for (let q = 0; q < 4; q++) for (const m of await pullAll(nc, q)) stored.set(m.msgId, m.body);
    let missing = 0;
    for (const [id, body] of acked) if (stored.get(id) !== body) missing++;
    assert.is(missing, 0, `${missing} of ${acked.size} acknowledged messages lost or changed`);
    assert.ok(stored.size >= acked.size);
  } finally {
    await broker.kill("SIGKILL");
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
