// Messages larger than a pull reply (issue: three 4 MiB sends, then a pull
// of 3, crashed the broker in a loop): every reply stays within the
// server's max_payload, a pull always returns at least one message or a
// typed error, and the broker stays up.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, Header, subjects, type PullReply } from "../../src/protocol/index.js";
import { decodeBinaryPull } from "../../src/client/broker-client.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const test = suite("oversize replies");
const MiB = 1024 * 1024;

interface Ctx {
  server: NatsServer;
  nc: NatsConnection;
  dir: string;
  broker: RbusProcess;
}

const brokerArgs = (url: string, dir: string, extra: string[] = []) => ["broker", "--nats", url, "--group", "broker-a", "--data", dir, ...extra];

async function startBroker(url: string, dir: string, nc: NatsConnection, extra: string[] = []): Promise<RbusProcess> {
  const broker = spawnRbus(brokerArgs(url, dir, extra));
  await waitUntil("broker serving", () => nc.request(subj.broker("broker-a", 0, "status"), "{}", { timeout: 500 }).then(() => true), { timeoutMs: 15_000 });
  return broker;
}

async function setup(maxPayload?: number): Promise<Ctx> {
  const server = await startNatsServer(maxPayload ? { maxPayload } : {});
  const dir = mkdtempSync(join(tmpdir(), "rbus-oversize-"));
  const nc = await connect({ servers: server.url });
  const broker = await startBroker(server.url, dir, nc);
  return { server, nc, dir, broker };
}

async function teardown(c: Ctx): Promise<void> {
  await c.broker.kill("SIGKILL");
  await c.nc.close();
  await c.server.stop();
  rmSync(c.dir, { recursive: true, force: true });
}

function send(nc: NatsConnection, body: Uint8Array, key?: string): Promise<Msg> {
  const h = headers();
  h.set(Header.topic, "big");
  if (key) h.set(Header.keys, key);
  h.set(Header.queue, "0");
  return nc.request(subj.broker("broker-a", 0, "send"), body, { headers: h, timeout: 10_000 });
}

const pull = (nc: NatsConnection, offset: number, max: number, format: "json" | "binary") =>
  nc.request(subj.broker("broker-a", 0, "pull"), encodeJson({ group: "g", topic: "big", queueId: 0, offset, max, format }), { timeout: 10_000 });

const alive = (p: RbusProcess) => p.proc.exitCode === null && p.proc.signalCode === null;

test("a binary pull of three 4 MiB messages returns what fits and the broker stays up", async () => {
  const c = await setup();
  try {
    const maxPayload = c.nc.info!.max_payload;
    for (let i = 0; i < 3; i++) {
      const r = decodeJson((await send(c.nc, Buffer.alloc(4 * MiB, 97 + i))).data) as { status?: string };
      assert.is(r.status, "SEND_OK");
    }
    const seen: number[] = [];
    for (let offset = 0; offset < 3; ) {
      const reply = await pull(c.nc, offset, 3, "binary");
      assert.ok(reply.data.byteLength <= maxPayload, `reply of ${reply.data.byteLength} bytes fits max_payload ${maxPayload}`);
      const got = decodeBinaryPull(reply, "broker-a");
      assert.ok(got.messages.length >= 1, "at least one message per pull");
      for (const m of got.messages) {
        assert.is(m.body.byteLength, 4 * MiB);
        seen.push(m.queueOffset);
      }
      offset = got.nextOffset;
    }
    assert.equal(seen, [0, 1, 2]);
    assert.ok(alive(c.broker), `broker still running:\n${c.broker.output()}`);
  } finally {
    await teardown(c);
  }
});

test("a JSON pull trims to what fits once encoded (bodies escaped or in base64)", async () => {
  const c = await setup();
  try {
    const maxPayload = c.nc.info!.max_payload;
    // Control characters take 6 bytes each in JSON; invalid UTF-8 goes as base64 (4/3).
    await send(c.nc, Buffer.alloc(MiB, 1));
    await send(c.nc, Buffer.alloc(3 * MiB, 0xff));
    await send(c.nc, Buffer.from("small"));
    const bodies: number[] = [];
    for (let offset = 0; offset < 3; ) {
      const reply = await pull(c.nc, offset, 32, "json");
      assert.ok(reply.data.byteLength <= maxPayload, `reply of ${reply.data.byteLength} bytes fits max_payload ${maxPayload}`);
      const got = decodeJson(reply.data) as PullReply;
      assert.is(got.status, "FOUND");
      assert.ok(got.messages.length >= 1);
      for (const m of got.messages) bodies.push(m.queueOffset);
      offset = got.nextOffset;
    }
    assert.equal(bodies, [0, 1, 2]);
    assert.ok(alive(c.broker), `broker still running:\n${c.broker.output()}`);
  } finally {
    await teardown(c);
  }
});

test("a lookup by key returns the newest messages that fit one reply, and says it was cut", async () => {
  const c = await setup();
  try {
    const maxPayload = c.nc.info!.max_payload;
    for (let i = 0; i < 3; i++) await send(c.nc, Buffer.alloc(3 * MiB, 97 + i), "k");
    const reply = await c.nc.request(subj.broker("broker-a", 0, "message"), encodeJson({ topic: "big", key: "k" }), { timeout: 10_000 });
    assert.ok(reply.data.byteLength <= maxPayload, `reply of ${reply.data.byteLength} bytes fits max_payload ${maxPayload}`);
    const got = decodeJson(reply.data) as { messages: Array<{ queueOffset: number }>; truncated?: boolean };
    assert.equal(got.messages.map((m) => m.queueOffset), [1, 2], "the newest two of three");
    assert.is(got.truncated, true);
    assert.ok(alive(c.broker));
  } finally {
    await teardown(c);
  }
});

test("a message that cannot fit any reply answers MESSAGE_TOO_LARGE naming the next offset", async () => {
  const c = await setup(2 * MiB);
  try {
    // 1 MiB of control characters is 6 MiB of JSON: fine as binary, too big as JSON under a 2 MiB limit.
    await send(c.nc, Buffer.alloc(MiB, 1));
    await send(c.nc, Buffer.from("after"));
    const err = decodeJson((await pull(c.nc, 0, 32, "json")).data) as { error?: { code: string; details?: Record<string, unknown> } };
    assert.is(err.error?.code, "MESSAGE_TOO_LARGE");
    assert.is(err.error?.details?.queueOffset, 0);
    assert.is(err.error?.details?.nextOffset, 1);
    const bin = decodeBinaryPull(await pull(c.nc, 0, 32, "binary"), "broker-a");
    assert.is(bin.messages.length, 2, "the binary form carries both");
    assert.ok(alive(c.broker));
  } finally {
    await teardown(c);
  }
});

test("sends above what a reply can carry are refused with MESSAGE_TOO_LARGE, not stored", async () => {
  const c = await setup(2 * MiB);
  try {
    const r = decodeJson((await send(c.nc, Buffer.alloc(2 * MiB - 1024, 97))).data) as { error?: { code: string } };
    assert.is(r.error?.code, "MESSAGE_TOO_LARGE");
    const range = decodeJson((await c.nc.request(subj.broker("broker-a", 0, "offset.query"), encodeJson({ group: "g", topic: "big", queueId: 0 }))).data) as {
      queues?: Array<{ maxOffset: number }>;
      error?: unknown;
    };
    assert.ok(range.error !== undefined || range.queues?.[0]?.maxOffset === 0, "nothing stored");
    assert.ok(alive(c.broker));
  } finally {
    await teardown(c);
  }
});

test.run();
