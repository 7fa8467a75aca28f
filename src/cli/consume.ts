// rbus consume: read a topic as a member of a consumer group and print one
// JSON line per message. With --count it stops after that many, committing
// exactly what it printed; without, it runs until SIGINT/SIGTERM. It first
// checks, within --timeout, that the topic has a route: a consumer of a topic
// nobody serves would otherwise wait to be balanced forever.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admin } from "../client/admin.js";
import type { ConsumedMessage } from "../client/broker-client.js";
import { PullConsumer } from "../client/pull-consumer.js";
import { ErrorCode, RbusError } from "../protocol/index.js";
import { clientLogger } from "../runtime/log.js";
import { intArg, connectFromFlags, required, untilSignal, UsageError } from "./args.js";
import type { NatsFlags } from "./options.js";
import { checkTagExpression } from "./tags.js";
import { topicHint } from "./topic-hint.js";

export interface ConsumeFlags extends NatsFlags {
  topic?: string;
  group?: string;
  tags: string;
  count?: string;
  from: string;
  broadcast: boolean;
  orderly?: boolean;
  timeout: string;
  clientId?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The printed form: the body as text when it is UTF-8, else base64 (and says so). */
export function messageLine(m: ConsumedMessage): string {
  const out: Record<string, unknown> = {
    msgId: m.msgId,
    topic: m.topic,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    tags: m.tags,
    keys: m.keys,
  };
  if (Object.keys(m.properties).length > 0) out.properties = m.properties;
  try {
    out.body = utf8.decode(m.body);
  } catch {
    out.body = m.body.toString("base64");
    out.bodyEncoding = "base64";
  }
  return JSON.stringify(out);
}

function fromArg(v: string): "first" | "last" | { timestamp: number } {
  if (v === "first" || v === "last") return v;
  const ts = Number(v);
  if (Number.isSafeInteger(ts) && ts >= 0) return { timestamp: ts };
  throw new UsageError(`--from must be first, last or a timestamp in ms, got "${v}"`);
}

/** Waits up to `timeoutMs` for the topic to have a route; throws the reason when it has none by then. */
export async function awaitRoute(nc: NatsConnection, prefix: string, topic: string, timeoutMs: number, url: string): Promise<void> {
  const admin = new Admin(nc, { prefix, timeoutMs: Math.min(timeoutMs, 1000) });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const route = await admin.route(topic);
      if (route.queues.some((q) => q.readQueues > 0)) return;
      last = new RbusError(ErrorCode.TOPIC_NOT_EXIST, `topic "${topic}" has no readable queue on any broker`);
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw await explainNoRoute(nc, prefix, topic, timeoutMs, url, last);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function explainNoRoute(nc: NatsConnection, prefix: string, topic: string, timeoutMs: number, url: string, err: unknown): Promise<unknown> {
  const within = `within --timeout ${timeoutMs} ms`;
  if (err instanceof RbusError && (err.code === ErrorCode.NO_RESPONDERS || err.code === ErrorCode.TIMEOUT)) {
    return new RbusError(err.code, `no NameServer answers on ${url} ${within}: is the cluster up? (make run-cluster; rbus cluster shows it)`);
  }
  if (err instanceof RbusError && err.code === ErrorCode.TOPIC_NOT_EXIST) {
    return new RbusError(err.code, `topic "${topic}" has no route ${within}: no live broker serves it${await topicHint(nc, prefix, topic)} (create it with rbus topic create, or send to it)`);
  }
  return err;
}

export async function consumeCommand(values: ConsumeFlags): Promise<void> {
  const topic = required(values.topic, "topic");
  const group = required(values.group, "group");
  const count = intArg(values.count, "count");
  const timeoutMs = intArg(values.timeout, "timeout")!;
  const tags = checkTagExpression(values.tags);
  const from = fromArg(values.from);
  if (values.orderly && values.broadcast) throw new UsageError("--orderly and --broadcast do not go together: queue locks are shared by a group");
  const nc = await connectFromFlags(values, `rbus-consume-${group}`);
  try {
    await awaitRoute(nc, values.prefix, topic, timeoutMs, values.nats);
  } catch (err) {
    await nc.close();
    throw err;
  }
  if (values.orderly) {
    const { consumeOrderly } = await import("./consume-orderly.js");
    return consumeOrderly({ nc, prefix: values.prefix, topic, group, tags, from, count, clientId: values.clientId, print: (m) => console.log(messageLine(m)) });
  }
  const consumer = new PullConsumer(nc, {
    group,
    prefix: values.prefix,
    mode: values.broadcast ? "broadcasting" : "clustering",
    from,
    // info on stderr: which queues this member takes and gives up at each rebalance (messages go to stdout)
    log: clientLogger({ command: "consume" }, "info"),
    ...(values.clientId ? { clientId: values.clientId } : {}),
  }).subscribe(topic, tags);

  let stopping = false;
  const stop = async () => {
    stopping = true;
    await consumer.close(); // commits what was printed
    await nc.close();
  };
  if (count === undefined) untilSignal(stop);
  await consumer.start();

  let printed = 0;
  while (!stopping && (count === undefined || printed < count)) {
    // Never take more than is left to print: what is taken counts as consumed.
    const want = count === undefined ? 256 : Math.min(256, count - printed);
    for (const m of await consumer.poll(1000, want)) {
      console.log(messageLine(m));
      printed++;
    }
  }
  if (!stopping) await stop();
}
