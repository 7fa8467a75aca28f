// What a node must do with any request: answer within a deadline, with a
// typed error envelope (a code from ErrorCode, never INTERNAL: that is a
// bug unless the disk failed) or a valid answer; and refuse what the
// contract says it must refuse.
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { ErrorCode } from "../../src/protocol/index.js";
import type { Payload } from "./payload.js";
import type { RawNats } from "./raw-nats.js";
import type { Answer } from "./table.js";

const CODES = new Set<string>(Object.values(ErrorCode));
const dec = new TextDecoder();
/** A node's answer deadline beyond what it may hold a request (a long poll): generous for a loaded 2-core machine. */
export const ANSWER_MS = 5000;

export interface Exchange {
  subject: string;
  payload: Payload;
  answer: Answer;
  holdMs: number;
  many: boolean;
  /** For a payload with a raw header block. */
  raw?: RawNats;
}

/** Sends the request; the replies (several when every listener answers), or a failure that says what went wrong. */
export async function ask(nc: NatsConnection, x: Exchange): Promise<Uint8Array[]> {
  const opts = { timeout: ANSWER_MS + x.holdMs, ...(x.payload.headers.length ? { headers: toHeaders(x.payload.headers) } : {}) };
  const started = Date.now();
  try {
    if (x.payload.rawHeader) return [await x.raw!.request(x.subject, x.payload.rawHeader, x.payload.data, opts.timeout)];
    if (!x.many) return [(await nc.request(x.subject, x.payload.data, opts)).data];
    const replies: Uint8Array[] = [];
    const it = await nc.requestMany(x.subject, x.payload.data, { ...opts, strategy: "stall", stall: 150, maxWait: opts.timeout });
    for await (const m of it) replies.push(m.data);
    if (replies.length === 0) throw new Error("no replica answered");
    return replies;
  } catch (err) {
    throw new Error(`${x.subject}: no answer after ${Date.now() - started} ms (deadline ${opts.timeout} ms): ${String(err)}`);
  }
}

function toHeaders(hs: ReadonlyArray<readonly [string, string]>) {
  const h = natsHeaders();
  for (const [k, v] of hs) h.append(k, v);
  return h;
}

/** The error code of an envelope, or undefined for an answer that is not one. Throws for a malformed envelope. */
export function errorCode(data: Uint8Array): string | undefined {
  if (data[0] !== 0x7b) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(data));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null || !("error" in v)) return undefined;
  const e = (v as { error: unknown }).error as { code?: unknown; message?: unknown } | null;
  if (typeof e !== "object" || e === null || typeof e.code !== "string" || typeof e.message !== "string") {
    throw new Error(`malformed error envelope: ${dec.decode(data.subarray(0, 300))}`);
  }
  return e.code;
}

/** Undefined when the reply is acceptable for the payload, else why not. */
export function judge(reply: Uint8Array, x: Pick<Exchange, "payload" | "answer">): string | undefined {
  const code = errorCode(reply);
  const shown = dec.decode(reply.subarray(0, 300));
  if (code !== undefined) {
    if (!CODES.has(code)) return `error code ${code} is not in ErrorCode: ${shown}`;
    if (code === ErrorCode.INTERNAL) return `INTERNAL (a bug, not a refusal): ${shown}`;
    return undefined;
  }
  if (x.payload.invalid) return `accepted a request its contract refuses: ${shown}`;
  if (x.answer === "binary") return undefined;
  try {
    const v: unknown = JSON.parse(dec.decode(reply));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? undefined : `the answer is not a JSON object: ${shown}`;
  } catch {
    return `the answer is neither JSON nor an error envelope: ${shown}`;
  }
}
