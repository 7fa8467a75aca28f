// rbus req <subject> [payload]: a request and its reply, pretty-printed; with
// --replies n (0: all until --timeout) every reply that comes, as the nats
// CLI's req --replies does. No reply at all is an error (exit 1).
import { headers as natsHeaders, type Msg } from "@nats-io/transport-node";
import { ErrorCode, RbusError } from "../protocol/index.js";
import { connectFromFlags, intArg, UsageError } from "./args.js";
import type { NatsFlags } from "./options.js";
import { headerArg, headerLines, payloadText } from "./payload.js";

export interface ReqFlags extends NatsFlags {
  header?: string[];
  timeout: string;
  replies: string;
  raw: boolean;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function reqCommand(subject: string, payload: string, values: ReqFlags): Promise<void> {
  const timeout = intArg(values.timeout, "timeout")!;
  const replies = intArg(values.replies, "replies")!;
  const hdrs = values.header?.length ? natsHeaders() : undefined;
  for (const h of values.header ?? []) {
    const kv = headerArg(h);
    if (!kv) throw new UsageError(`-H takes name:value, got "${h}"`);
    hdrs!.append(kv[0], kv[1]);
  }
  const data = payload === "-" ? await readStdin() : new TextEncoder().encode(payload);
  const nc = await connectFromFlags(values, "rbus-req");
  try {
    const got: Msg[] = [];
    const opts = { ...(hdrs ? { headers: hdrs } : {}) };
    try {
      if (replies === 1) got.push(await nc.request(subject, data, { timeout, ...opts }));
      else {
        const many = await nc.requestMany(subject, data, { maxWait: timeout, ...(replies === 0 ? { strategy: "timer" } : { strategy: "count", maxMessages: replies }), ...opts });
        for await (const m of many) {
          got.push(m);
          print(m, got.length, values.raw);
        }
      }
    } catch (err) {
      throw explain(err, subject, timeout);
    }
    if (replies === 1) print(got[0]!, 1, values.raw);
    if (got.length === 0) throw new RbusError(ErrorCode.TIMEOUT, `no reply on ${subject} within ${timeout} ms`);
  } finally {
    await nc.close();
  }
}

function print(m: Msg, n: number, raw: boolean): void {
  if (raw) return console.log(payloadText(m.data, true));
  const headers = headerLines(m);
  if (headers.length > 0 || n > 1) console.error(`[#${n}] reply${headers.length ? ` with ${headers.join(", ")}` : ""}`);
  console.log(payloadText(m.data, false));
}

function explain(err: unknown, subject: string, timeout: number): unknown {
  const name = err instanceof Error ? `${err.name} ${err.message}` : "";
  if (/no responders|503/i.test(name)) return new RbusError(ErrorCode.NO_RESPONDERS, `nobody answers requests on ${subject}`);
  if (/timeout/i.test(name)) return new RbusError(ErrorCode.TIMEOUT, `no reply on ${subject} within ${timeout} ms`);
  return err;
}
