// The check service on a simulated clock with RocketMQ's defaults (check
// immunity 6 s, a pass every 30 s, 15 checks): a real store, a bus that
// answers as the test says, role changes by hand. Time moves only when
// the test moves it.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrokerContext } from "../../actors/broker-context.js";
import type { Replication, ReplicationEvent } from "../../actors/replication.js";
import type { CheckBus } from "../../actors/transaction-check.js";
import { toHalf } from "../../actors/transaction-half.js";
import { startTransactions, type TransactionOptions, type TransactionService } from "../../actors/transaction-service.js";
import { decodeJson, encodeJson, Prop, subjects, type TransactionCheckRequest, type TransactionEvent, type TransactionState } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import { MessageStore } from "../../src/store/index.js";
import { SimClock } from "../replication/sim-clock.js";

interface Bench {
  clock: SimClock;
  store: MessageStore;
  service: TransactionService;
  checks: TransactionCheckRequest[];
  events: TransactionEvent[];
  /** What the producer group answers next; undefined: nobody answers. */
  answer: TransactionState | undefined;
  role(role: "master" | "slave"): void;
  half(body: string): Promise<number>;
  stored(topic: string): number;
}

async function bench(dir: string, opts: Partial<TransactionOptions> = {}): Promise<Bench> {
  const clock = new SimClock();
  const store = await MessageStore.open(dir, { timers: clock, now: clock.now });
  let role: "master" | "slave" = "master";
  const listeners = new Set<(e: ReplicationEvent) => void>();
  const replication = {
    on: (l: (e: ReplicationEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    role: () => role,
  } as unknown as Replication;
  const ctx = {
    group: "g", replica: 0, store, clock, log: silentLogger, replication, replicas: 1, ack: "leader", commitTimeoutMs: 1000,
    isMaster: () => role === "master", configChanged: () => undefined,
    topics: { forWrite: () => ({}) }, counters: { put: () => undefined },
  } as unknown as BrokerContext;
  const b = {
    clock, store, checks: [], events: [], answer: undefined,
    role(r: "master" | "slave") {
      role = r;
      for (const l of listeners) l({ type: "role", role: r, term: 1, master: r === "master" ? 0 : 1, reason: "elected", at: clock.now() } as ReplicationEvent);
    },
    async half(body: string) {
      const m = { topic: "orders", queueId: 2, body: Buffer.from(body), properties: { [Prop.transactionPrepared]: "true", [Prop.producerGroup]: "pg" } };
      toHalf(m);
      return (await store.put([m])).results[0]!.commitLogOffset;
    },
    stored: (topic: string) => store.queueRange(topic, 2).max,
  } as unknown as Bench;
  const bus: CheckBus = {
    isClosed: () => false,
    publish: (_s: string, data?: Uint8Array) => void b.events.push(decodeJson(data!) as TransactionEvent),
    request: async (_s: string, data?: Uint8Array) => {
      b.checks.push(decodeJson(data!) as TransactionCheckRequest);
      if (b.answer === undefined) throw new Error("no responders");
      return { data: encodeJson({ state: b.answer }) } as never;
    },
  } as unknown as CheckBus;
  b.service = startTransactions(ctx, bus, subjects(), opts);
  return b;
}

const test = suite("the check service on a simulated clock");
const dir = mkdtempSync(join(tmpdir(), "rbus-tx-clock-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("immunity, one check a pass, and the rollback after 15 unanswered checks, at RocketMQ's default times", async () => {
  const b = await bench(join(dir, "a"));
  const off = await b.half("left alone");
  await b.clock.advance(5_999);
  assert.is(b.checks.length, 0, "younger than the 6 s immunity");
  await b.clock.advance(1);
  assert.is(b.checks.length, 1, "the first pass after the immunity");
  assert.is(b.checks[0]!.commitLogOffset, off);
  assert.is(b.checks[0]!.topic, "orders");
  await b.clock.advance(30_000 * 13);
  assert.is(b.checks.length, 14, "one more every 30 s");
  await b.clock.advance(30_000);
  assert.equal([b.checks.length, b.events.length], [15, 0], "the 15th check: still pending");
  await b.clock.advance(30_000);
  assert.equal([b.checks.length, b.events.length], [15, 1], "the next pass rolls it back without asking again");
  assert.equal([b.events[0]!.type, b.events[0]!.reason, b.events[0]!.checks], ["rollback", "check-max", 15]);
  assert.is(b.stored("orders"), 0);
  b.service.stop();
  await b.store.close();
});

test("an answer settles at once; a slave checks nothing; a new master rebuilds and checks what is left", async () => {
  const b = await bench(join(dir, "b"));
  await b.half("answered");
  b.answer = "commit";
  await b.clock.advance(6_000);
  assert.equal(b.events.map((e) => [e.type, e.reason]), [["commit", "check"]]);
  assert.is(b.stored("orders"), 1, "committed into its real queue");
  b.answer = undefined;
  await b.half("pending over a role change");
  b.role("slave");
  await b.clock.advance(120_000);
  assert.is(b.checks.length, 1, "no checks while slave");
  assert.is(b.service.summary().loaded, false);
  b.role("master");
  b.answer = "rollback";
  await b.clock.advance(6_000);
  assert.equal(b.service.summary(), { loaded: true, pending: 0, checking: 0, halfFrom: 1, opFrom: 1 }, "rebuilt: half 0 settled");
  await b.clock.advance(30_000);
  assert.equal(b.service.summary(), { loaded: true, pending: 0, checking: 0, halfFrom: 2, opFrom: 2 }, "the next pass moves past the rollback");
  assert.equal(b.events.map((e) => e.type), ["commit", "rollback"], "the committed half was not asked about again");
  assert.is(b.stored("orders"), 1);
  b.service.stop();
  await b.store.close();
});

test("unanswered checks are counted in the op queue: a new master goes on from the count, not from zero", async () => {
  const b = await bench(join(dir, "d"));
  await b.half("asked across a failover");
  await b.clock.advance(6_000 + 30_000 * 4);
  assert.equal(b.checks.map((c) => c.checkTimes), [1, 2, 3, 4, 5]);
  b.role("slave");
  b.role("master");
  await b.clock.advance(6_000 + 30_000 * 9);
  assert.equal(b.checks.slice(5).map((c) => c.checkTimes), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15], "the rebuilt ledger counted 5 already");
  assert.is(b.events.length, 0);
  await b.clock.advance(30_000);
  assert.equal([b.checks.length, b.events.map((e) => [e.type, e.reason, e.checks])], [15, [["rollback", "check-max", 15]]], "15 checks in all, then the rollback");
  b.service.stop();
  await b.store.close();
});

test("a backlog larger than the checks allowed out at once is all asked within one pass", async () => {
  const b = await bench(join(dir, "c"), { maxChecksInFlight: 2 });
  for (let i = 0; i < 7; i++) await b.half(`backlog ${i}`);
  b.answer = "unknown";
  await b.clock.advance(6_000);
  assert.equal(b.checks.map((c) => c.halfOffset), [0, 1, 2, 3, 4, 5, 6], "each once, oldest first");
  await b.clock.advance(30_000);
  assert.is(b.checks.length, 14, "and each once again the next pass");
  b.service.stop();
  await b.store.close();
});

test.run();
