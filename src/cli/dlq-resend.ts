// rbus dlq resend --group <g> [--msg-id <id>]: puts dead letters back into
// the topic they were first sent to (a new message: same body, tags, keys
// and user properties, without the retry bookkeeping, so it gets its full
// retries again), then moves the group's offset on the DLQ past what was
// resent, so a second resend does not send them twice. With --msg-id (the
// DLQ id or the origin id) only that message goes; the offset moves only
// when it is the first not resent yet.
import { Producer } from "../client/producer.js";
import { Prop } from "../protocol/index.js";
import { withNats } from "./connected.js";
import { commitResent, dlqMessages, dlqQueues, type DlqMessage } from "./dlq-read.js";
import type { NatsFlags } from "./options.js";

/** What the broker wrote while the message went round: dropped so the resent one starts afresh. */
const BOOKKEEPING = new Set<string>([Prop.retryTopic, Prop.originMsgId, Prop.originQueueId, Prop.reconsumeTimes, Prop.maxReconsumeTimes]);

function userProperties(m: DlqMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.message.properties)) if (!BOOKKEEPING.has(k)) out[k] = v;
  return out;
}

const bodyOf = (m: DlqMessage) => (m.message.bodyEncoding === "base64" ? Buffer.from(m.message.body, "base64") : Buffer.from(m.message.body, "utf8"));

export async function dlqResendCommand(values: NatsFlags & { group: string; msgId?: string; json: boolean }): Promise<void> {
  await withNats(values, async (nc) => {
    const producer = await new Producer(nc, { prefix: values.prefix }).start();
    const done: Array<{ broker: string; dlqMsgId: string; originTopic: string; msgId: string }> = [];
    try {
      for (const q of await dlqQueues(nc, values.prefix, values.group)) {
        let next = q.resentTo;
        for (let from = q.resentTo; from < q.maxOffset; ) {
          const batch = await dlqMessages(nc, values.prefix, values.group, q, from, 256);
          if (batch.length === 0) break;
          for (const m of batch) {
            const wanted = values.msgId === undefined || values.msgId === m.msgId || values.msgId === m.originMsgId;
            if (wanted) {
              if (!m.originTopic) throw new Error(`dead letter ${m.msgId} names no original topic (${Prop.retryTopic}); not resent`);
              const r = await producer.send({ topic: m.originTopic, body: bodyOf(m), ...(m.message.tags ? { tags: m.message.tags } : {}), ...(m.message.keys ? { keys: m.message.keys } : {}), properties: userProperties(m) });
              done.push({ broker: q.broker, dlqMsgId: m.msgId, originTopic: m.originTopic, msgId: r.msgId });
            }
            // the offset says "resent up to here": it passes only what was resent, in order
            if (wanted && m.queueOffset === next) next++;
          }
          from = batch[batch.length - 1]!.queueOffset + 1;
        }
        if (next > q.resentTo) await commitResent(nc, values.prefix, values.group, q, next);
      }
    } finally {
      await producer.close();
    }
    if (values.json) console.log(JSON.stringify({ group: values.group, resent: done }, null, 2));
    else if (done.length === 0) console.log(values.msgId ? `no dead letter ${values.msgId} of ${values.group} waits to be resent` : `no dead letters of ${values.group} wait to be resent`);
    else for (const d of done) console.log(`resent ${d.dlqMsgId} to ${d.originTopic} as ${d.msgId}`);
    if (values.msgId !== undefined && done.length === 0) process.exitCode = 1;
  });
}
