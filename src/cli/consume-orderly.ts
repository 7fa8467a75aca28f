// rbus consume --orderly: the same JSON lines, from an orderly push consumer
// (src/client/orderly-consume.ts): each queue printed only while this member
// holds its lock, so members started side by side never print one queue at
// once. With --count it stops after that many and commits exactly those.
import type { NatsConnection } from "@nats-io/transport-node";
import { PushConsumer, type ConsumedMessage } from "../client/push-consumer.js";
import type { StartFrom } from "../client/process-queue.js";
import { clientLogger } from "../runtime/log.js";
import { untilSignal } from "./args.js";

export interface OrderlyConsume {
  nc: NatsConnection;
  prefix: string;
  topic: string;
  group: string;
  tags: string;
  from: StartFrom;
  count: number | undefined;
  clientId: string | undefined;
  print: (m: ConsumedMessage) => void;
}

export async function consumeOrderly(o: OrderlyConsume): Promise<void> {
  let printed = 0;
  let stopped: Promise<void> | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = new PushConsumer(o.nc, {
    group: o.group,
    prefix: o.prefix,
    from: o.from,
    orderly: true,
    log: clientLogger({ command: "consume" }, "info"),
    ...(o.clientId ? { clientId: o.clientId } : {}),
  }).subscribe(o.topic, o.tags);
  const stop = () => (stopped ??= (async () => {
    await consumer.close(); // finishes, commits what was printed, unlocks
    await o.nc.close();
    done();
  })());
  consumer.onMessage((m) => {
    // past --count: not printed, and not done, so not committed
    if (o.count !== undefined && printed >= o.count) return "later";
    o.print(m);
    if (o.count !== undefined && ++printed === o.count) void stop();
    return undefined;
  });
  if (o.count === undefined) untilSignal(stop);
  await consumer.start();
  if (o.count !== undefined) await finished;
}
