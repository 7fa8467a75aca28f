// send and send.batch read more than JSON: send's Rbus-* headers and any
// other header as a user property, send.batch's binary frame
// (src/protocol/batch.ts) in both of its forms, RBB1 and producer-encoded
// records (RBB2, src/protocol/record-batch.ts). Valid ones mutated header
// by header and field by field, then byte by byte.
import fc from "fast-check";
import { encodeBatch, Header, isSubjectToken, isTopicName, Prop, setProperty, type BatchEntry } from "../../src/protocol/index.js";
import { frameRecordBatch } from "../../src/protocol/record-batch.js";
import { HOSTILE_NAMES } from "./hostile.js";
import { Payload } from "./payload.js";

/** Larger than the broker's largest body (4 MiB), well inside the bus's max_payload. */
const TOO_LARGE = 4 * 1024 * 1024 + 1;
let big: Uint8Array | undefined;
const tooLarge = () => (big ??= new Uint8Array(TOO_LARGE).fill(0x61));

/** nats.js refuses CR and LF in header values (and trims them): those cannot be sent at all. */
const sendable = (v: string) => !/[\r\n]/.test(v);
const HEADER_VALUES = [...HOSTILE_NAMES.filter(sendable), "-1", "1.5", "NaN", "Infinity", "1e309", "9007199254740993", "0x10", "1e3", "4", "65536", "  7  "];
const hostileHeaderValue = fc.constantFrom(...HEADER_VALUES);

/** The broker's contract for an integer header: empty is absent, else a safe non-negative integer. */
const badInt = (v: string) => v.trim() !== "" && !(Number.isSafeInteger(Number(v.trim())) && Number(v.trim()) >= 0);

type Headers = Array<[string, string]>;
interface HeaderSet {
  headers: Headers;
  invalid: boolean;
}

const validHeaders: fc.Arbitrary<Headers> = fc
  .record({
    topic: fc.constantFrom("fz", "fz2", "TBW102", "__proto__", "constructor"),
    queue: fc.option(fc.integer({ min: 0, max: 3 }).map(String), { nil: undefined }),
    tags: fc.option(fc.constantFrom("tagA", "t b", "ü"), { nil: undefined }),
    born: fc.option(fc.integer({ min: 0, max: 2 ** 41 }).map(String), { nil: undefined }),
  })
  .map((r) => {
    const h: Headers = [[Header.topic, r.topic], [Header.deadline, String(Date.now() + 3_600_000)]];
    if (r.queue !== undefined) h.push([Header.queue, r.queue]);
    if (r.tags !== undefined) h.push([Header.tags, r.tags]);
    if (r.born !== undefined) h.push([Header.born, r.born]);
    return h;
  });

type HeaderMutation = { key: string; value: string; how: "set" | "add" } | { key: string; how: "drop" };

const RBUS = [Header.topic, Header.queue, Header.born, Header.deadline, Header.tags, Header.keys, "rbus-topic", "RBUS-QUEUE"];
const PROPS = ["__proto__", "constructor", "prototype", "toString", "X-" + "p".repeat(1000), "Rbus-Unknown"];

const headerMutation: fc.Arbitrary<HeaderMutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ key: fc.constantFrom(...RBUS), value: hostileHeaderValue, how: fc.constantFrom("set" as const, "add" as const) }) },
  { weight: 1, arbitrary: fc.record({ key: fc.constantFrom(Header.topic, Header.deadline), how: fc.constant("drop" as const) }) },
  { weight: 2, arbitrary: fc.record({ key: fc.constantFrom(...PROPS), value: hostileHeaderValue, how: fc.constant("add" as const) }) },
);

/** Whether the broker must refuse these headers, by how it reads them: the first value of a name, any case. */
function refused(h: Headers): boolean {
  const first = (name: string) => h.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]?.trim();
  const topic = first(Header.topic);
  if (!topic || !isSubjectToken(topic)) return true;
  const queue = first(Header.queue);
  // a topic has at most 1024 queues (MAX_QUEUES); below that, whether it exists depends on what the fuzz upserted
  if (queue !== undefined && (badInt(queue) || Number(queue) >= 1024)) return true;
  const deadline = first(Header.deadline);
  if (deadline !== undefined && (badInt(deadline) || (deadline !== "" && Number(deadline) < Date.now()))) return true;
  const born = first(Header.born);
  return born !== undefined && badInt(born);
}

const headerSet: fc.Arbitrary<HeaderSet> = fc.tuple(validHeaders, fc.array(headerMutation, { maxLength: 3 })).map(([base, ms]) => {
  let h: Headers = [...base];
  for (const m of ms) {
    if (m.how !== "add") h = h.filter(([k]) => k.toLowerCase() !== m.key.toLowerCase());
    if (m.how !== "drop") h.push([m.key, m.value]);
  }
  return { headers: h, invalid: refused(h) };
});

const body = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => ({ b, tooLarge: false })) },
  { weight: 1, arbitrary: fc.constant(0).map(() => ({ b: tooLarge(), tooLarge: true })) },
);

export const sendPayload: fc.Arbitrary<Payload> = fc.tuple(headerSet, body).map(([h, { b, tooLarge: over }]) =>
  new Payload(b, over ? `body of ${b.byteLength} bytes` : "send", h.invalid || over, h.headers),
);

/**
 * send.half: send's headers, with TRAN_MSG or without, and a PGROUP that
 * may or may not be the subject's group (the fuzz picks the subject's
 * group after this, so a mismatch is only allowed to be refused here; the
 * transaction tests check that it is).
 */
export const halfPayload: fc.Arbitrary<Payload> = fc
  .tuple(sendPayload, fc.constantFrom("cg-1", "cg-1", "pg-other", "__proto__"), fc.boolean())
  .map(([p, group, marked]) => {
    const headers: Array<readonly [string, string]> = [...p.headers, [Prop.producerGroup, group]];
    if (marked) headers.push([Prop.transactionPrepared, "true"]);
    return p.with({ headers, invalid: p.invalid || !marked });
  });

// send.batch: entries through the real encoder, then the frame damaged.
// mostly valid, so that most batches get past the frame checks to the store
const ENTRY_QUEUES = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(-2, 4, 65_535, 2 ** 31 - 1, -(2 ** 31)) });
const BORN = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 2 ** 41 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -1, 1.5, -0, 1e300, 2 ** 53 + 2, 2 ** 64) },
);
const SHORT = fc.oneof(fc.constantFrom("", "tagA", "ü", "a b", "x".repeat(10_000)), fc.string({ maxLength: 20 }));

const entry: fc.Arbitrary<BatchEntry> = fc
  .record({ queueId: ENTRY_QUEUES, born: BORN, tags: SHORT, keys: SHORT, props: fc.array(fc.tuple(fc.constantFrom(...PROPS, "k"), SHORT), { maxLength: 3 }), body: fc.uint8Array({ maxLength: 64 }) })
  .map((r) => {
    const e: BatchEntry = { queueId: r.queueId, bornTimestamp: r.born, body: r.body };
    if (r.tags) e.tags = r.tags;
    if (r.keys) e.keys = r.keys;
    if (r.props.length) {
      const p: Record<string, string> = {};
      for (const [k, v] of r.props) setProperty(p, k, v);
      e.properties = p;
    }
    return e;
  });

type Damage = { how: "none" } | { how: "cut"; at: number } | { how: "flip"; at: number; bit: number } | { how: "count"; n: number } | { how: "tail"; junk: Uint8Array };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ how: "none" as const }) },
  { weight: 1, arbitrary: fc.record({ how: fc.constant("cut" as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ how: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ how: fc.constant("count" as const), n: fc.constantFrom(0, 1, 2 ** 32 - 1, 1_000_000) }) },
  { weight: 1, arbitrary: fc.record({ how: fc.constant("tail" as const), junk: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);

function damaged(frame: Buffer, d: Damage): { data: Uint8Array; refuse: boolean } {
  switch (d.how) {
    case "none":
      return { data: frame, refuse: false };
    case "cut":
      return { data: frame.subarray(0, d.at % frame.length), refuse: true };
    case "flip": {
      const out = Buffer.from(frame);
      out[d.at % out.length]! ^= 1 << d.bit;
      return { data: out, refuse: false };
    }
    case "count": {
      const out = Buffer.from(frame);
      const was = out.readUInt32BE(4);
      out.writeUInt32BE(d.n, 4);
      return { data: out, refuse: d.n !== was };
    }
    case "tail":
      return { data: Buffer.concat([frame, d.junk]), refuse: true };
  }
}

const rbb1Payload: fc.Arbitrary<Payload> = fc
  .tuple(fc.array(entry, { maxLength: 4 }), damage, fc.constantFrom("fz", "fz2", "a.b", "__proto__"))
  .map(([entries, d, topic]) => {
    const { data, refuse } = damaged(encodeBatch(entries), d);
    const badQueue = entries.some((e) => e.queueId < -1 || e.queueId >= 1024);
    const badBorn = entries.some((e) => !Number.isSafeInteger(e.bornTimestamp) || e.bornTimestamp < 0);
    const invalid = refuse || entries.length === 0 || !isSubjectToken(topic) || (d.how === "none" && (badQueue || badBorn));
    return new Payload(data, `batch of ${entries.length} (${d.how}): ${JSON.stringify(entries.map((e) => ({ q: e.queueId, born: String(e.bornTimestamp) })))}`, invalid, [[Header.topic, topic]]);
  });

// RBB2: each record names its own topic; a born time the record cannot hold (NaN, ±Infinity) is not sendable, 2^53 and over is refused
const RECORD_TOPICS = fc.oneof({ weight: 8, arbitrary: fc.constant("fz") }, { weight: 1, arbitrary: fc.constantFrom("fz2", "a.b", "__proto__", "%RETRY%x", "") });
const RECORD_BORN = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 ** 41 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 53, 2 ** 53 + 2, 2 ** 60) });

const rbb2Payload: fc.Arbitrary<Payload> = fc
  .tuple(fc.array(fc.tuple(entry, RECORD_TOPICS, RECORD_BORN), { maxLength: 4 }), damage)
  .map(([records, d]) => {
    const messages = records.map(([e, topic, born]) => ({ ...e, topic, bornTimestamp: born, queueId: e.queueId < 0 ? undefined : e.queueId }));
    const { data, refuse } = damaged(frameRecordBatch(messages), d);
    const badTopic = messages.some((m) => !isTopicName(m.topic));
    const badBorn = messages.some((m) => m.bornTimestamp >= 2 ** 53);
    const badQueue = messages.some((m) => m.queueId !== undefined && m.queueId >= 1024);
    const invalid = refuse || messages.length === 0 || (d.how === "none" && (badTopic || badBorn || badQueue));
    return new Payload(data, `RBB2 batch of ${messages.length} (${d.how}): ${JSON.stringify(messages.map((m) => ({ t: m.topic, q: m.queueId, born: m.bornTimestamp })))}`, invalid, [[Header.topic, "fz"]]);
  });

export const batchPayload: fc.Arbitrary<Payload> = fc.oneof(rbb1Payload, rbb2Payload);
