// Header blocks for `send` that nats.js would never write: status lines on
// a request, names without a colon, LF-only lines, a block that never ends,
// 10,000 headers. The nats-server passes them through; the broker's
// client library parses them when the handler reads msg.headers.
import fc from "fast-check";
import { Payload } from "./payload.js";

const T = "Rbus-Topic: fz";
const block = (...lines: string[]) => `NATS/1.0${lines.map((l) => `\r\n${l}`).join("")}\r\n\r\n`;

const BLOCKS = [
  block(T),
  "NATS/1.0 503\r\n" + T + "\r\n\r\n",
  "NATS/1.0 408 Request Timeout\r\n" + T + "\r\n\r\n",
  "NATS/1.0 100 Idle Heartbeat\r\n\r\n",
  "NATS/1.0 404 No Messages\r\n" + T + "\r\n\r\n",
  block("Rbus-Topic fz"),
  block(T, "Rbus-Topic: __proto__"),
  block(": no name", T),
  block(T, "__proto__: x", "constructor: y", "prototype: z"),
  block(T, "Rbus-Queue: \u0000"),
  block(T, "Rbus-Queue: 1", "rbus-queue: 99999"),
  block(T, `X-Big: ${"v".repeat(100_000)}`),
  block(T, ...Array.from({ length: 10_000 }, (_, i) => `X-${i}: v`)),
  "NATS/1.0\r\n" + T,
  block("Rbus-Tópic: fz"),
  block("Rbus-Topic:    fz   "),
  "NATS/1.0\r\n\r\n\r\n\r\n",
  "NATS/1.0\n" + T + "\n\n",
  "garbage\r\n" + T + "\r\n\r\n",
  "NATS/2.0\r\n" + T + "\r\n\r\n",
  "\r\n\r\n",
];

const enc = new TextEncoder();
const line = fc.string({ unit: "binary", maxLength: 30 });

export const rawSendPayload: fc.Arbitrary<Payload> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...BLOCKS), fc.array(line, { maxLength: 5 }).map((ls) => block(T, ...ls))),
    fc.uint8Array({ maxLength: 32 }),
  )
  .map(([header, body]) => new Payload(body, "raw header block", false, [], 0, "cg-1", enc.encode(header)));
