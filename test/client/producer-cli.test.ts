// rbus send as a user runs it: a separate process against an in-process cluster.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { decodeMsgId, type SendResult } from "../../src/protocol/index.js";
import { startTestCluster, type TestCluster } from "../harness/broker.js";
import { runRbus } from "../harness/processes.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Runs rbus with `input` on its stdin. */
function runWithStdin(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ["pipe", "pipe", "pipe"], timeout: 30_000 });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  proc.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  proc.stdin.end(input);
  return new Promise((resolve) => proc.on("exit", (code) => resolve({ code, stdout, stderr })));
}

const test = suite<{ c: TestCluster }>("rbus send");
test.before(async (ctx) => {
  ctx.c = await startTestCluster(["broker-a", "broker-b"]);
});
test.after(async (ctx) => {
  await ctx.c.stop();
});

test("one message: the SendResult as one JSON line; tag, keys, properties and queue are stored", async ({ c }) => {
  const out = await runRbus(["send", "--nats", c.server.url, "--topic", "cli", "--tag", "TagA", "--key", "k1", "--key", "k2", "--property", "color=red", "--queue", "2", "--group", "broker-b", "hello"]);
  assert.is(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n");
  assert.is(lines.length, 1);
  const r = JSON.parse(lines[0]!) as SendResult;
  assert.equal([r.status, r.topic, r.queueId, decodeMsgId(r.msgId)?.group], ["SEND_OK", "cli", 2, "broker-b"]);
  const stored = c.brokers[1]!.store.get("cli", 2, r.queueOffset, 1).messages[0]!;
  assert.equal([stored.body.toString(), stored.tags, stored.keys, stored.properties], ["hello", "TagA", "k1 k2", { color: "red" }]);
});

test("body - reads stdin", async ({ c }) => {
  const out = await runWithStdin(["send", "--nats", c.server.url, "--topic", "cli", "-"], "from stdin\n");
  assert.is(out.code, 0, out.stderr);
  const r = JSON.parse(out.stdout) as SendResult;
  const broker = c.brokers.find((b) => b.group === decodeMsgId(r.msgId)!.group)!;
  assert.is(broker.store.get("cli", r.queueId, r.queueOffset, 1).messages[0]!.body.toString(), "from stdin\n");
});

test("--count N sends N copies through sendAsync and prints a summary", async ({ c }) => {
  const out = await runRbus(["send", "--nats", c.server.url, "--topic", "counted", "--count", "5000", "x".repeat(100)]);
  assert.is(out.code, 0, out.stderr);
  const s = JSON.parse(out.stdout) as { sent: number; failed: number; "msgs/s": number };
  assert.is(s.sent, 5000);
  assert.is(s.failed, 0);
  assert.ok(s["msgs/s"] > 0);
});

test("usage errors exit 2; broker refusals exit 1 with the code", async ({ c }) => {
  const noTopic = await runRbus(["send", "--nats", c.server.url, "body"]);
  assert.is(noTopic.code, 2);
  assert.match(noTopic.stderr, "--topic is required");
  const badProp = await runRbus(["send", "--nats", c.server.url, "--topic", "t", "--property", "novalue", "b"]);
  assert.is(badProp.code, 2);
  const badTopic = await runRbus(["send", "--nats", c.server.url, "--topic", "a.b", "b"]);
  assert.is(badTopic.code, 1);
  assert.match(badTopic.stderr, "BAD_REQUEST");
});

test.run();
