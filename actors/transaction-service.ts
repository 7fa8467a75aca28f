// The master's transaction service (RocketMQ's TransactionalMessageCheckService):
// runs only while the replica is master, on the broker's clock. On
// becoming master it waits until everything in its log when it took over
// is committed (an op record in an uncommitted tail would otherwise be
// missed, and its half settled twice), then rebuilds the ledger from the
// half and op queues. Every check interval it reads new halves, asks the
// producer group about each half older than the check immunity, settles
// by the answer, rolls back a half after checkMax unanswered checks (each
// one counted by a check record in the op queue, so a new master goes on
// from the count), and saves its progress for the slaves to copy.
import { encodeJson, encodeMsgId, TRANS_OP_TOPIC, type Subjects, type TransactionAction, type TransactionEvent } from "../src/protocol/index.js";
import { PutStatus } from "../src/store/index.js";
import type { BrokerContext } from "./broker-context.js";
import { askProducerGroup, checkRequest, type CheckBus } from "./transaction-check.js";
import type { PendingHalf, TransactionLedger } from "./transaction-ledger.js";
import { checkRecord, destination } from "./transaction-half.js";
import { settleHalf } from "./transaction-settle.js";
import { loadLedger, saveProgress, scanHalves } from "./transaction-store.js";

export interface TransactionOptions {
  /** A half younger than this is not checked (RocketMQ's transactionTimeOut). */
  checkImmunityMs: number;
  /** Between check passes (RocketMQ's transactionCheckInterval). */
  checkIntervalMs: number;
  /** Unanswered checks before the half is rolled back (RocketMQ's transactionCheckMax). */
  checkMax: number;
  /** How long one check waits for the producer group's answer. */
  checkTimeoutMs: number;
  /** Checks out at once, at most; the rest wait for the next pass. */
  maxChecksInFlight: number;
}

export const DEFAULT_TRANSACTION_OPTIONS: TransactionOptions = {
  checkImmunityMs: 6000,
  checkIntervalMs: 30_000,
  checkMax: 15,
  checkTimeoutMs: 3000,
  maxChecksInFlight: 256,
};

/** While the ledger loads (a new master catching up its commit offset), polled this often. */
const LOAD_POLL_MS = 100;

export interface TransactionService {
  /** The ledger, once loaded on the master; undefined elsewhere or while it loads. */
  ledger(): TransactionLedger | undefined;
  /** For the broker's status: whether the ledger is loaded here, its halves waiting, its progress. */
  summary(): { loaded: boolean; pending: number; checking: number; halfFrom?: number; opFrom?: number };
  stop(): void;
}

export function startTransactions(ctx: BrokerContext, bus: CheckBus, subj: Subjects, given: Partial<TransactionOptions> = {}): TransactionService {
  const opts = { ...DEFAULT_TRANSACTION_OPTIONS, ...given };
  const { clock, store } = ctx;
  const log = ctx.log.child({ component: "transactions" });
  let ledger: TransactionLedger | undefined;
  let active = false;
  let loadAfter = -1;
  let timer: unknown;
  let inFlight = 0;
  let passes = 0;

  const schedule = (ms: number) => {
    clock.clear(timer);
    timer = clock.set(tick, ms);
  };

  const event = (l: TransactionLedger, p: PendingHalf, type: TransactionAction, reason: TransactionEvent["reason"], topic: string) => {
    const e: TransactionEvent = {
      type, reason, producerGroup: p.producerGroup, group: ctx.group, replica: ctx.replica,
      msgId: encodeMsgId(ctx.group, p.commitLogOffset), halfOffset: p.halfOffset, topic, checks: p.checks, at: clock.now(),
    };
    if (!bus.isClosed() && l === ledger && p.producerGroup) bus.publish(subj.events.transaction(p.producerGroup), encodeJson(e));
  };

  /** The pending half's record; undefined (and the half given up, loudly) when it cannot be read any more. */
  const read = (l: TransactionLedger, p: PendingHalf) => {
    const half = store.lookup(p.commitLogOffset);
    if (half) return half;
    const gone = p.commitLogOffset < store.minPhysicalOffset;
    const why = gone ? "removed by retention before it was settled" : "damaged";
    log.error(`a pending half message is ${why}: dropped unsettled`, { producerGroup: p.producerGroup, halfOffset: p.halfOffset, commitLogOffset: p.commitLogOffset });
    l.skipHalf(p.halfOffset, store.queueRange(TRANS_OP_TOPIC, 0).max);
    return undefined;
  };

  const settleBy = async (l: TransactionLedger, p: PendingHalf, action: TransactionAction, reason: TransactionEvent["reason"]) => {
    const half = read(l, p);
    if (!half) return;
    const r = await settleHalf(ctx, l, half, p.producerGroup, action);
    if (!r.settled) return;
    if (reason === "check-max") log.warn("half message rolled back: its producer group left every check unanswered", { producerGroup: p.producerGroup, halfOffset: p.halfOffset, checks: p.checks });
    else log.info("half message settled by its producer group's answer", { producerGroup: p.producerGroup, halfOffset: p.halfOffset, action });
    event(l, p, action, reason, destination(half)?.topic ?? "");
  };

  /** Puts the check record that keeps the count for the next master; a put that fails costs a check more later, nothing else. */
  const countCheck = async (l: TransactionLedger, p: PendingHalf) => {
    if (!ctx.isMaster() || !l.pending.has(p.halfOffset)) return;
    const put = await store.put([checkRecord(p.halfOffset, p.checks, p.producerGroup)]);
    if (put.status === PutStatus.PUT_OK || put.status === PutStatus.FLUSH_TIMEOUT) l.noteCheck(p.halfOffset, p.checks, put.results[0]!.queueOffset);
    else log.debug("check count not written", { halfOffset: p.halfOffset, status: put.status });
  };

  const check = async (l: TransactionLedger, p: PendingHalf) => {
    p.asking = true;
    inFlight++;
    try {
      if (p.checks >= opts.checkMax) return await settleBy(l, p, "rollback", "check-max");
      const half = read(l, p);
      if (!half) return;
      p.checks++;
      const answer = await askProducerGroup(bus, subj, checkRequest(ctx.group, half, p.checks), opts.checkTimeoutMs);
      if (answer.state === "unknown") {
        log.debug("check unanswered", { producerGroup: p.producerGroup, halfOffset: p.halfOffset, checks: p.checks, why: answer.why });
        if (l === ledger) await countCheck(l, p);
        return;
      }
      if (l === ledger) await settleBy(l, p, answer.state, "check");
    } catch (err) {
      log.warn("check-back failed; the half is checked again next pass", { halfOffset: p.halfOffset, error: String(err) });
    } finally {
      p.asking = false;
      inFlight--;
    }
  };

  /**
   * Every half due now is checked once in this pass, at most
   * maxChecksInFlight at a time: each finished check starts the next, so a
   * backlog is worked through within the pass rather than 256 a pass.
   */
  const pass = () => {
    const l = ledger;
    if (!l || !ctx.isMaster()) return;
    scanHalves(store, l, log);
    const n = ++passes;
    const due = l.due(clock.now() - opts.checkImmunityMs, Number.MAX_SAFE_INTEGER);
    let at = 0;
    const launch = () => {
      while (inFlight < opts.maxChecksInFlight && at < due.length && l === ledger) {
        const p = due[at++]!;
        // a later pass took it, or it was settled meanwhile
        if (p.pass >= n || p.asking || !l.pending.has(p.halfOffset)) continue;
        p.pass = n;
        void check(l, p).finally(launch);
      }
    };
    launch();
    if (saveProgress(store, l)) ctx.configChanged();
  };

  function tick(): void {
    if (!active) return;
    if (ledger) {
      pass();
      return schedule(opts.checkIntervalMs);
    }
    if (!ctx.isMaster()) {
      loadAfter = -1;
      return schedule(LOAD_POLL_MS);
    }
    if (loadAfter < 0) loadAfter = store.maxPhysicalOffset;
    if (store.commitOffset < loadAfter) return schedule(LOAD_POLL_MS);
    ledger = loadLedger(store, log);
    schedule(Math.min(opts.checkIntervalMs, opts.checkImmunityMs));
  }

  const onRole = (role: string) => {
    if (role === "master" && !active) {
      active = true;
      loadAfter = -1;
      schedule(0);
    } else if (role !== "master" && active) {
      active = false;
      ledger = undefined;
      clock.clear(timer);
    }
  };
  const unsubscribe = ctx.replication.on((e) => {
    if (e.type === "role") onRole(e.role);
  });
  onRole(ctx.replication.role());

  return {
    ledger: () => (active && ctx.isMaster() ? ledger : undefined),
    summary: () => (ledger && active ? { loaded: true, pending: ledger.pending.size, checking: inFlight, halfFrom: ledger.halfFrom, opFrom: ledger.opFrom } : { loaded: false, pending: 0, checking: 0 }),
    stop() {
      unsubscribe();
      onRole("stopped");
    },
  };
}
