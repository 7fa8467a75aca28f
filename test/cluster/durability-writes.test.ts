// The write path against a real disk, in separate broker processes: an
// error reply is final on a full disk, a low fd limit does not stop a
// broker with thousands of queues, and a data folder takes one broker.
// The full-disk case needs root (it mounts an 8 MiB tmpfs) and says so when it skips.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { decodeJson, encodeJson, Header, subjects, type PullReply } from "../../src/protocol/index.js";
import { startNatsServer, type NatsServer } from "../harness/nats-server.js";
import { spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

const subj = subjects();
const GROUP = "broker-a";
const brokerArgs = (url: string, dir: string, ...more: string[]) => ["broker", "--nats", url, "--group", GROUP, "--data", dir, ...more];

interface SendReply {
  status?: string;
  msgId?: string;
  error?: { code: string; message: string };
}

async function send(nc: NatsConnection, topic: string, queueId: number, body: string | Uint8Array): Promise<SendReply> {
  const h = headers();
  h.set(Header.topic, topic);
  h.set(Header.queue, String(queueId));
  const reply = await nc.request(subj.broker(GROUP, 0, "send"), body, { headers: h, timeout: 5000 });
  return decodeJson(reply.data) as SendReply;
}

async function serving(nc: NatsConnection): Promise<void> {
  await waitUntil("broker serving", () => nc.request(subj.broker(GROUP, 0, "status"), "{}", { timeout: 500 }).then(() => true), { timeoutMs: 15_000 });
}

async function pullAll(nc: NatsConnection, topic: string, queueId: number): Promise<PullReply["messages"]> {
  const out: PullReply["messages"] = [];
  for (let offset = 0; ; ) {
    const req = encodeJson({ group: "check", topic, queueId, offset, max: 256 });
    const reply = decodeJson((await nc.request(subj.broker(GROUP, 0, "pull"), req, { timeout: 5000 })).data) as PullReply;
    if (reply.messages.length === 0) return out;
    out.push(...reply.messages);
    offset = reply.nextOffset;
  }
}

async function upsertTopic(nc: NatsConnection, topic: string, queues: number): Promise<void> {
  const req = encodeJson({ topic, readQueues: queues, writeQueues: queues, perm: "rw" });
  await nc.request(subj.broker(GROUP, 0, "topic.upsert"), req, { timeout: 5000 });
}

function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return `mount failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

/** The exit code of a process expected to end by itself soon. */
function exitOf(p: RbusProcess, what: string): Promise<number> {
  return waitUntil(what, () => p.proc.exitCode ?? undefined, { timeoutMs: 10_000 });
}

const lines = (p: RbusProcess) => p.output().split("\n").filter((l) => l.startsWith("{"));

// --- case 4 and the full disk ------------------------------------------------

const disk = suite("full disk (tmpfs)");

disk("an error reply is final; stop and restart on the full disk; reads go on; freeing space lets sends in", async () => {
  const mnt = fs.mkdtempSync(join(tmpdir(), "rbus-tmpfs-"));
  const skip = mountTmpfs(mnt, "8m");
  if (skip) {
    console.log(`  skipped: a real full disk needs a tmpfs mount (${skip})`);
    fs.rmSync(mnt, { recursive: true, force: true });
    return;
  }
  const dir = join(mnt, "data");
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  // --disk-max-used-ratio 1: no early refusal, so the writes really hit ENOSPC and must roll back
  const args = brokerArgs(server.url, dir, "--flush", "sync", "--disk-max-used-ratio", "1");
  let broker = spawnRbus(args);
  try {
    await serving(nc);
    assert.is((await send(nc, "full", 0, "first")).status, "SEND_OK");
    const free = fs.statfsSync(mnt);
    fs.writeFileSync(join(mnt, "filler"), Buffer.alloc(Number(free.bavail * free.bsize) - 400 * 1024));

    const acked = new Set<string>();
    const refused = new Set<string>();
    const other: string[] = [];
    let refusedInARow = 0;
    const sender = async (w: number) => {
      for (let i = 0; refusedInARow < 40; i++) {
        const body = `w${w}-${i}-`.padEnd(900, "x");
        const r = await send(nc, "full", w, body);
        if (r.status === "SEND_OK") {
          acked.add(body);
          refusedInARow = 0;
        } else {
          refused.add(body);
          refusedInARow++;
          if (r.error?.code !== "DISK_FULL") other.push(JSON.stringify(r));
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(sender));
    assert.equal(other.slice(0, 3), [], `${other.length} refusals were not DISK_FULL`);
    assert.ok(acked.size > 100, `acknowledged ${acked.size}`);
    assert.ok(refused.size >= 40);

    // the flush that follows fails to write its state files: logged, and no temp file left behind
    await waitUntil("a state file write failing on the full disk", () => lines(broker).some((l) => l.includes("cannot be written")), { timeoutMs: 5000 });
    const tmp = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((n) => n.endsWith(".tmp")) : []);
    assert.equal([...tmp(dir), ...tmp(join(dir, "config"))], []);
    const cpErrors = lines(broker).filter((l) => l.includes("checkpoint cannot be written"));
    assert.ok(cpErrors.length <= 1, cpErrors.join("\n"));

    assert.is(await broker.kill("SIGTERM"), 0, `SIGTERM on a full disk exits 0\n${broker.output()}`);
    broker = spawnRbus(args);
    await serving(nc);
    const stored = new Set((await Promise.all([0, 1, 2, 3].map((q) => pullAll(nc, "full", q)))).flat().map((m) => m.body));
    const lost = [...acked].filter((b) => !stored.has(b));
    const ghosts = [...refused].filter((b) => stored.has(b));
    assert.is(lost.length, 0, `${lost.length} of ${acked.size} acknowledged messages lost`);
    assert.is(ghosts.length, 0, `${ghosts.length} of ${refused.size} refused messages appeared after restart`);
    console.log(`  full disk: ${acked.size} acknowledged, all kept; ${refused.size} refused with DISK_FULL, none stored`);
    assert.is((await send(nc, "full", 0, "y".repeat(900))).error?.code, "DISK_FULL", "still full after the restart");

    // a first start on the full disk: the template topic cannot be saved, the broker serves anyway
    assert.is(await broker.kill("SIGTERM"), 0);
    broker = spawnRbus(brokerArgs(server.url, join(mnt, "fresh"), "--flush", "sync", "--disk-max-used-ratio", "1"));
    await serving(nc);
    assert.is((await send(nc, "brandnew", 0, "z")).error?.code, "DISK_FULL", "a topic auto-created on a full disk");
    assert.is(await broker.kill("SIGTERM"), 0, `a fresh broker stops cleanly on a full disk\n${broker.output()}`);
    broker = spawnRbus(args);
    await serving(nc);

    fs.rmSync(join(mnt, "filler"));
    await waitUntil("sends accepted again", async () => (await send(nc, "full", 0, "after")).status === "SEND_OK");
    assert.is(await broker.kill("SIGTERM"), 0);
  } finally {
    await broker.kill("SIGKILL");
    await nc.close();
    await server.stop();
    execFileSync("umount", [mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  }
});

// --- case 5: bounded file descriptors ---------------------------------------

const fds = suite("file descriptors");
const TOPICS = ["wide0", "wide1", "wide2"];
const PER_TOPIC = 1024; // the most a topic may have (MAX_QUEUES)

fds("3 topics of 1,024 queues under a 256-fd limit: sends succeed, stop is clean, restart works", async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), "rbus-fds-"));
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const limit = ["prlimit", "--nofile=256:256"];
  // the default maxOpenFiles (1024) adapts to the limit; queues per topic are raised from the default 256
  const args = brokerArgs(server.url, dir, "--max-queues-per-topic", String(PER_TOPIC));
  let broker = spawnRbus(args, {}, limit);
  try {
    await serving(nc);
    const failed: string[] = [];
    for (const topic of TOPICS) {
      await upsertTopic(nc, topic, PER_TOPIC);
      for (let q = 0; q < PER_TOPIC; q += 128) {
        const replies = await Promise.all(Array.from({ length: 128 }, (_, i) => send(nc, topic, q + i, `${topic}/${q + i}`)));
        for (const r of replies) if (r.status !== "SEND_OK") failed.push(JSON.stringify(r));
      }
    }
    assert.equal(failed.slice(0, 3), [], `${failed.length} sends failed`);
    const open = fs.readdirSync(`/proc/${broker.proc.pid}/fd`).length;
    assert.ok(open <= 128 + 64, `the broker holds ${open} fds for ${TOPICS.length * PER_TOPIC} queues`);
    console.log(`  ${TOPICS.length * PER_TOPIC} queues: the broker holds ${open} fds`);
    assert.is(await broker.kill("SIGTERM"), 0, `clean stop\n${broker.output().slice(-2000)}`);

    broker = spawnRbus(args, {}, limit);
    await serving(nc);
    for (const [topic, q] of [["wide0", 0], ["wide1", 511], ["wide2", 1023]] as const) {
      assert.equal((await pullAll(nc, topic, q)).map((m) => m.body), [`${topic}/${q}`]);
    }
    assert.is((await send(nc, "wide2", 42, "again")).status, "SEND_OK");
    assert.is(await broker.kill("SIGTERM"), 0);
  } finally {
    await broker.kill("SIGKILL");
    await nc.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// --- case 6: one broker per data folder --------------------------------------

const lock = suite("one broker per data folder");

lock("a second broker on a live folder exits at once naming the holder; after kill -9 a new one starts", async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), "rbus-lock-"));
  let server: NatsServer | undefined = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const first = spawnRbus(brokerArgs(server.url, dir));
  let third: RbusProcess | undefined;
  try {
    await serving(nc);
    assert.is((await send(nc, "locked", 0, "one")).status, "SEND_OK");
    const started = Date.now();
    const second = spawnRbus(brokerArgs(server.url, dir));
    const code = await exitOf(second, "the second broker to exit");
    assert.is(code, 1, second.output());
    assert.ok(Date.now() - started < 10_000, "fails at once");
    await second.kill("SIGKILL");
    assert.match(second.output(), `pid ${first.proc.pid}`);
    assert.is((await send(nc, "locked", 0, "two")).status, "SEND_OK", "the first broker is unharmed");

    await first.kill("SIGKILL");
    third = spawnRbus(brokerArgs(server.url, dir));
    await serving(nc);
    assert.equal((await pullAll(nc, "locked", 0)).map((m) => m.body), ["one", "two"]);
  } finally {
    await first.kill("SIGKILL");
    await third?.kill("SIGKILL");
    await nc.close();
    await server.stop();
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

disk.run();
fds.run();
lock.run();
