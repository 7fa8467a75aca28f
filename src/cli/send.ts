// rbus send: one message (prints its SendResult) or --count copies through
// sendAsync (prints a summary). Body "-" reads stdin.
import { Producer, type Message } from "../client/producer.js";
import { setProperty } from "../protocol/index.js";
import { intArg, connectFromFlags, required, UsageError } from "./args.js";
import { brokerGroupOf, type NatsFlags } from "./options.js";
import { delayArgs } from "./timer-args.js";

export interface SendFlags extends NatsFlags {
  topic?: string;
  tag?: string;
  key?: string[];
  property?: string[];
  queue?: string;
  brokerGroup?: string;
  group?: string;
  count?: string;
  delay?: string;
  deliverAt?: string;
  timeout: string;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function properties(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--property takes name=value, got "${p}"`);
    setProperty(out, p.slice(0, eq), p.slice(eq + 1));
  }
  return out;
}

export async function sendCommand(bodyArg: string, values: SendFlags): Promise<void> {
  const topic = required(values.topic, "topic");
  const body = bodyArg === "-" ? await readStdin() : bodyArg;
  const msg: Message = { topic, body, ...delayArgs(values.delay, values.deliverAt) };
  if (values.tag) msg.tags = values.tag;
  if (values.key) msg.keys = values.key;
  const props = properties(values.property);
  if (props) msg.properties = props;
  const queueId = intArg(values.queue, "queue");
  if (queueId !== undefined) msg.queueId = queueId;
  const count = intArg(values.count, "count");
  const brokerGroup = brokerGroupOf(values, "send");
  const opts = brokerGroup ? { group: brokerGroup } : undefined;

  const nc = await connectFromFlags(values, "rbus-send");
  const producer = new Producer(nc, { prefix: values.prefix, sendTimeoutMs: intArg(values.timeout, "timeout")! });
  await producer.start();
  try {
    if (count === undefined) {
      console.log(JSON.stringify(await producer.send(msg, opts)));
      return;
    }
    const t0 = performance.now();
    const results: Array<Promise<unknown>> = [];
    let failed = 0;
    let firstError: unknown;
    const onError = (err: unknown) => {
      failed++;
      firstError ??= err;
    };
    for (let i = 0; i < count; i++) {
      if (!producer.writable) await producer.waitWritable();
      results.push(producer.sendAsync(msg, opts).catch(onError));
      if (results.length >= 65_536) await Promise.all(results.splice(0));
    }
    await Promise.all(results);
    const seconds = (performance.now() - t0) / 1000;
    const sent = count - failed;
    const summary: Record<string, unknown> = { sent, failed, seconds: Number(seconds.toFixed(3)), "msgs/s": Math.round(sent / seconds) };
    if (firstError !== undefined) summary.firstError = firstError instanceof Error ? firstError.message : String(firstError);
    console.log(JSON.stringify(summary));
    if (failed > 0) process.exitCode = 1;
  } finally {
    await producer.close();
    await nc.drain();
  }
}
