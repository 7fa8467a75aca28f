// What open() does with a recovery report once the store is up: committed
// offsets past a queue's new end are clamped to it (a consumer would
// otherwise skip the messages that reuse those offsets), and every damaged
// range, torn tail, rebuilt consume queue and clamp is logged with its
// byte counts and offsets.
import type { Logger } from "../runtime/log.js";
import type { ConsumerOffsets } from "./consumer-offsets.js";
import type { ClampedOffset, RecoveryReport } from "./recovery.js";

/** `maxOf` is undefined for a queue the store does not have (nothing to clamp to). */
export function clampOffsets(offsets: ConsumerOffsets, maxOf: (topic: string, queueId: number) => number | undefined): ClampedOffset[] {
  const out: ClampedOffset[] = [];
  for (const { topic, queueId } of offsets.queues()) {
    const max = maxOf(topic, queueId);
    if (max === undefined) continue;
    for (const c of offsets.clampTo(topic, queueId, max)) out.push({ ...c, topic, queueId });
  }
  return out;
}

export function logRecovery(log: Logger, report: RecoveryReport): void {
  for (const r of report.damaged) {
    log.error("commit log damaged: records failed their checks, kept in place and copied to quarantine", {
      from: r.from, to: r.to, bytes: r.bytes,
    });
  }
  const torn = report.tornTail;
  if (torn) {
    // after a crash a half-written tail is expected; after a clean stop it is damage
    const emit = (msg: string, fields: Record<string, unknown>) => (report.abnormal ? log.warn(msg, fields) : log.error(msg, fields));
    emit("commit log torn tail cut", {
      from: torn.from, to: torn.to, bytes: torn.bytes, truncatedBytes: report.truncatedBytes, first: torn.first,
    });
  }
  for (const q of report.rebuiltQueues) {
    log.error("consume queue damaged: entries rebuilt from the commit log", { ...q });
  }
  if (report.gapFilled) log.warn("lost commit-log positions filled with a gap record, so no message id is reused", { ...report.gapFilled });
  for (const k of report.keptOffsets) {
    log.warn("queue offsets of lost messages kept as holes, not reused", { ...k, messages: k.to - k.from });
  }
  for (const c of report.clampedOffsets) log.warn("committed offset past the queue's end clamped", { ...c });
}
