// What a broker's store found when it opened, as events on
// rbus.events.store.<group>.<replica> (kept in RBUS_EVENTS with the rest of
// the cluster's history): each damaged range, a torn tail, queue offsets
// kept for lost messages, queues rebuilt, every committed offset moved back
// to its queue's new end. The store has logged each one.
import type { NatsConnection } from "@nats-io/transport-node";
import { encodeJson, type StoreEvent, type Subjects } from "../src/protocol/index.js";
import type { RecoveryReport } from "../src/store/index.js";

export function recoveryEvents(report: RecoveryReport, group: string, replica: number, at: number): StoreEvent[] {
  const base = { group, replica, at };
  const out: StoreEvent[] = report.damaged.map((d) => ({ ...base, type: "damaged-range", from: d.from, to: d.to, bytes: d.bytes }));
  const t = report.tornTail;
  if (t) out.push({ ...base, type: "torn-tail", from: t.from, to: t.to, bytes: t.bytes, truncatedBytes: report.truncatedBytes, afterCrash: report.abnormal });
  for (const k of report.keptOffsets) out.push({ ...base, type: "offsets-kept", ...k });
  for (const q of report.rebuiltQueues) out.push({ ...base, type: "queue-rebuilt", ...q });
  for (const c of report.clampedOffsets) {
    out.push({ ...base, type: "offset-clamped", consumerGroup: c.group, topic: c.topic, queueId: c.queueId, from: c.from, to: c.to });
  }
  return out;
}

export function publishRecoveryEvents(nc: NatsConnection, subj: Subjects, report: RecoveryReport, group: string, replica: number): number {
  const events = recoveryEvents(report, group, replica, Date.now());
  for (const e of events) nc.publish(subj.events.store(group, replica), encodeJson(e));
  return events.length;
}
