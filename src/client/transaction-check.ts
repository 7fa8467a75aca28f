// The producer's side of check-back (RocketMQ's TransactionListener.
// checkLocalTransaction): a producer with a check listener subscribes to
// rbus.producer.<group>.check in a NATS queue group named for its group,
// so each check reaches one live member, whichever sent the half. The
// listener's answer goes back as the reply; the broker settles by it.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { encodeJson, TRANSACTION_STATES, type Subjects, type TransactionCheckRequest, type TransactionState } from "../protocol/index.js";
import type { Logger } from "../runtime/log.js";

/** A half message as a check shows it to the listener. */
export interface CheckedMessage {
  msgId: string;
  transactionId: string;
  topic: string;
  queueId: number;
  body: Uint8Array;
  tags?: string;
  keys?: string;
  properties: Record<string, string>;
  /** How many times the broker has asked about it, this one included. */
  checkTimes: number;
  storedAt: number;
}

/** Says how the local transaction of a half message ended; "unknown" (or throwing) leaves it for a later check. */
export type CheckListener = (msg: CheckedMessage) => TransactionState | Promise<TransactionState>;

function checked(req: TransactionCheckRequest): CheckedMessage {
  const m: CheckedMessage = {
    msgId: req.msgId,
    transactionId: req.transactionId,
    topic: req.topic,
    queueId: req.queueId,
    body: Buffer.from(req.body, "base64"),
    properties: req.properties,
    checkTimes: req.checkTimes,
    storedAt: req.storedAt,
  };
  if (req.tags) m.tags = req.tags;
  if (req.keys) m.keys = req.keys;
  return m;
}

async function answer(msg: Msg, listener: CheckListener, log: Logger): Promise<void> {
  let state: TransactionState = "unknown";
  try {
    const req = JSON.parse(new TextDecoder().decode(msg.data)) as TransactionCheckRequest;
    const got = await listener(checked(req));
    if (TRANSACTION_STATES.includes(got)) state = got;
    else log.warn("the check listener answered neither commit, rollback nor unknown; sent unknown", { answer: String(got) });
  } catch (err) {
    log.warn("the check listener failed; the broker asks again later", { error: String(err) });
  }
  if (msg.reply) msg.respond(encodeJson({ state }));
}

/** Serves the group's checks until the subscription is drained. */
export function serveChecks(nc: NatsConnection, subj: Subjects, group: string, listener: CheckListener, log: Logger): Subscription {
  return nc.subscribe(subj.producerCheck(group), {
    queue: group,
    callback: (err, msg) => {
      if (err) return log.warn("check subscription ended", { error: err.message });
      void answer(msg, listener, log);
    },
  });
}
