// consumer.sendback refuses what a consumer must not be able to do: junk,
// another group's subject, a forged or uncommitted offset, an id that
// names another record, a system record (a dead letter, a timer, another
// group's retry); each refusal stores nothing. A repeated request makes
// no second copy. The broker runs as a separate process.
import * as assert from "uvu/assert";
import { decodeMsgId, encodeMsgId, ErrorCode, RbusError, scopedApi, subjects, type SendBackReply } from "../../src/protocol/index.js";
import type { StoreStats } from "../../src/store/index.js";
import { Admin } from "../../src/client/admin.js";
import { waitUntil } from "../harness/wait.js";
import { requestJson } from "../../src/runtime/request.js";
import { processSuite } from "../harness/process-suite.js";
import { BROKER, createTopic, produce, startRetryCluster } from "./retry-cluster.js";

const test = processSuite("consumer.sendback against hostile requests");

test.before(async (ctx) => {
  await startRetryCluster(ctx);
  await createTopic(ctx.nc, "hostile", 1);
});

const subj = subjects();
const sendBackTo = (scope: string) => subj.broker(BROKER, 0, scopedApi("consumer.sendback", scope));

async function ask(nc: Parameters<typeof requestJson>[0], scope: string, body: unknown): Promise<SendBackReply> {
  return requestJson<SendBackReply>(nc, sendBackTo(scope), body);
}

async function refused(nc: Parameters<typeof requestJson>[0], scope: string, body: unknown, code: ErrorCode, why: string): Promise<void> {
  try {
    await ask(nc, scope, body);
  } catch (err) {
    assert.instance(err, RbusError, why);
    assert.is((err as RbusError).code, code, `${why}: ${(err as Error).message}`);
    return;
  }
  assert.unreachable(`${why}: accepted`);
}

const storeEnd = async (nc: Parameters<typeof requestJson>[0]) => (await requestJson<{ store: StoreStats }>(nc, subj.broker(BROKER, 0, "status"), {})).store.maxOffset;
const at = (msgId: string) => decodeMsgId(msgId)!.commitLogOffset;

test("junk, another group's subject, forged offsets and mismatched ids are refused, and nothing is stored", async (ctx) => {
  const [id] = await produce(ctx.nc, "hostile", 1, "h");
  const offset = at(id!);
  const end = await storeEnd(ctx.nc);
  for (const junk of [[], "x", { group: "cg-h" }, { group: "cg-h", commitLogOffset: -1, msgId: id }, { group: "cg-h", commitLogOffset: 1.5, msgId: id },
    { group: "cg-h", commitLogOffset: offset, msgId: id, delayLevel: -2 }, { group: "cg-h", commitLogOffset: offset, msgId: id, maxReconsumeTimes: "x" },
    { group: "cg-h", commitLogOffset: offset, msgId: 7 }]) {
    await refused(ctx.nc, "cg-h", junk, ErrorCode.BAD_REQUEST, `junk ${JSON.stringify(junk)}`);
  }
  const raw = await ctx.nc.request(sendBackTo("cg-h"), new TextEncoder().encode("{not json"), { timeout: 2000 });
  assert.match(new TextDecoder().decode(raw.data), /BAD_REQUEST/);
  await refused(ctx.nc, "cg-other", { group: "cg-h", commitLogOffset: offset, msgId: id }, ErrorCode.FORBIDDEN, "payload group differs from the subject's");
  const long = "g".repeat(125);
  await refused(ctx.nc, long, { group: long, commitLogOffset: offset, msgId: id }, ErrorCode.BAD_REQUEST, "a group too long for %RETRY%<group>");
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: offset + 1, msgId: encodeMsgId(BROKER, offset + 1) }, ErrorCode.NOT_FOUND, "an offset inside a record");
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: end + 4096, msgId: encodeMsgId(BROKER, end + 4096) }, ErrorCode.NOT_FOUND, "an offset past the log's end");
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: offset, msgId: encodeMsgId("broker-z", offset) }, ErrorCode.BAD_REQUEST, "an id of another broker group");
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: offset, msgId: encodeMsgId(BROKER, offset + 8) }, ErrorCode.BAD_REQUEST, "an id of another offset");
  assert.is(await storeEnd(ctx.nc), end, "nothing stored by refused requests");
});

test("system records are refused: a dead letter, a timer, another group's retry; a repeat makes no second copy", async (ctx) => {
  const [a, b] = await produce(ctx.nc, "hostile", 2, "s");
  const dead = await ask(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: at(a!), msgId: a, delayLevel: -1 });
  assert.is(dead.outcome, "dlq");
  assert.is(dead.topic, "%DLQ%cg-h");
  const retry = await ask(ctx.nc, "cg-other", { group: "cg-other", commitLogOffset: at(b!), msgId: b });
  assert.is(retry.outcome, "retry");
  assert.is(retry.reconsumeTimes, 1);
  assert.is(retry.delayLevel, 3);
  const repeat = await ask(ctx.nc, "cg-other", { group: "cg-other", commitLogOffset: at(b!), msgId: b });
  assert.is(repeat.repeated, true);
  assert.is(repeat.msgId, retry.msgId, "the repeat is answered with the first copy");
  // the timer delivers the retry into %RETRY%cg-other: that record is cg-other's to hand back, not cg-h's
  const admin = new Admin(ctx.nc);
  const delivered = await waitUntil("the retry delivered", async () => (await admin.queueMessages("%RETRY%cg-other", BROKER, 0, 0, 1).catch(() => undefined))?.messages[0]);
  const end = await storeEnd(ctx.nc);
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: at(dead.msgId), msgId: dead.msgId }, ErrorCode.NO_PERMISSION, "a dead letter");
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: at(retry.msgId), msgId: retry.msgId }, ErrorCode.NO_PERMISSION, "a timer record");
  await refused(ctx.nc, "cg-h", { group: "cg-h", commitLogOffset: at(delivered.msgId), msgId: delivered.msgId }, ErrorCode.NO_PERMISSION, "another group's retry");
  assert.is(await storeEnd(ctx.nc), end, "nothing stored by refused requests");
  const second = await ask(ctx.nc, "cg-other", { group: "cg-other", commitLogOffset: at(delivered.msgId), msgId: delivered.msgId });
  assert.equal([second.outcome, second.reconsumeTimes, second.delayLevel], ["retry", 2, 4], "its own group's retry counts on");
});

test("the group's stored retryMaxTimes wins over the request's maxReconsumeTimes", async (ctx) => {
  const [a, b] = await produce(ctx.nc, "hostile", 2, "m");
  const free = await ask(ctx.nc, "cg-cap", { group: "cg-cap", commitLogOffset: at(a!), msgId: a, maxReconsumeTimes: 0 });
  assert.is(free.outcome, "dlq", "no settings stored: the request's limit (0) holds");
  await new Admin(ctx.nc).updateSubGroup({ group: "cg-cap", retryMaxTimes: 5 });
  const capped = await ask(ctx.nc, "cg-cap", { group: "cg-cap", commitLogOffset: at(b!), msgId: b, maxReconsumeTimes: 0 });
  assert.is(capped.outcome, "retry", "the stored 5 wins over the request's 0");
});

test.run();
