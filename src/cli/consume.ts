// rbus consume: read a topic as a member of a consumer group and print one
// JSON line per message. With --count it stops after that many, committing
// exactly what it printed; without, it runs until SIGINT/SIGTERM.
import type { ConsumedMessage } from "../client/broker-client.js";
import { PullConsumer } from "../client/pull-consumer.js";
import { clientLogger } from "../runtime/log.js";
import { intArg, connectFromFlags, natsOption, parse, prefixOption, required, untilSignal, UsageError } from "./args.js";

const usage =
  "rbus consume --nats <url> --topic <t> --group <g> [--tags <expr>] [--count <n>] [--from first|last|<ms since epoch>] [--broadcast]";

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
  throw new UsageError(`--from must be first, last or a timestamp in ms, got "${v}"\nusage: ${usage}`);
}

export async function consumeCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      ...natsOption,
      ...prefixOption,
      topic: { type: "string" },
      group: { type: "string" },
      tags: { type: "string", default: "*" },
      count: { type: "string" },
      from: { type: "string", default: "last" },
      broadcast: { type: "boolean", default: false },
    },
    usage,
  );
  const topic = required(values.topic, "topic", usage);
  const group = required(values.group, "group", usage);
  const count = intArg(values.count, "count");
  const from = fromArg(values.from);
  const nc = await connectFromFlags(values, `rbus-consume-${group}`);
  const consumer = new PullConsumer(nc, {
    group,
    prefix: values.prefix,
    mode: values.broadcast ? "broadcasting" : "clustering",
    from,
    log: clientLogger(),
  }).subscribe(topic, values.tags);

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
