// What the fuzz found, each kept as a fixed request: it must get a typed
// error or a valid answer, and the cluster must serve afterwards.
import { encodeBatch, Header, type BatchEntry } from "../../src/protocol/index.js";
import { waitUntil } from "../harness/wait.js";
import { GROUP, type FuzzCluster } from "./cluster.js";
import { DEPTH } from "./hostile.js";
import { Payload } from "./payload.js";

export interface Regression {
  name: string;
  subject: string;
  /** The request, aimed where it did harm (the group's master, for a hand-over). */
  payload: (c: FuzzCluster) => Promise<Payload>;
  /** A further check once the request was answered. */
  after?: (c: FuzzCluster) => Promise<void>;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const atMaster = (text: string) => async (c: FuzzCluster) => Payload.json(text, "regression", true).with({ replica: (await c.group.waitMaster()).replica });
const toAll = (text: string) => async () => Payload.json(text, "regression", false);

/** The group elects a master again and takes a send: a forged term must not leave it without a next term. */
async function electsAgain(c: FuzzCluster): Promise<void> {
  await waitUntil("the group elects a master that takes a send", async () => {
    const m = await c.group.master();
    return m !== undefined && c.sends(GROUP, m.replica);
  }, { timeoutMs: 20_000 });
  const terms = (await c.group.statuses()).map((s) => s?.term ?? -1);
  if (Math.max(...terms) >= MAX_SAFE) throw new Error(`a replica holds term ${Math.max(...terms)}, past which no election can run: ${terms.join(", ")}`);
}

const batch = (entry: BatchEntry) => async () => new Payload(encodeBatch([entry]), "regression", true, [[Header.topic, "fz"]]);

/** A fetch at the group's current term, to its master, naming replica `as(master)`. */
const fetchAs = (as: (master: number) => number) => async (c: FuzzCluster) => {
  const m = await c.group.waitMaster();
  const req = { replica: as(m.replica), term: m.term, offset: 0, lastTerm: 0, maxBytes: 1024, waitMs: 0 };
  return Payload.json(JSON.stringify(req), "regression", true).with({ replica: m.replica });
};

async function commits(c: FuzzCluster): Promise<void> {
  await waitUntil("the master acknowledges a send", async () => {
    const m = await c.group.master();
    return m !== undefined && c.sends(GROUP, m.replica);
  }, { timeoutMs: 10_000 });
}

export const REGRESSIONS: Regression[] = [
  // found by seed 1: Number() on a 10,000-deep array overflowed the stack (INTERNAL)
  { name: "failover with a deeply nested `to` is refused", subject: "failover", payload: atMaster(`{"to":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}}`) },
  // Number("x") is NaN, which passed the range check: the master paused its writes for the whole hand-over timeout
  { name: 'failover with `to: "x"` is refused at once', subject: "failover", payload: atMaster('{"to":"x"}') },
  { name: "failover with a fractional `to` is refused", subject: "failover", payload: atMaster('{"to":1.5}') },
  // found by seed 1: a vote (or ha.begin, ha.transfer, ha.fetch) at term 2^53 - 1 left replicas campaigning for 2^53, which every other replica refuses
  { name: "a vote at term 2^53 - 1 leaves the group able to elect", subject: "vote", payload: toAll(`{"from":7,"term":${MAX_SAFE},"preVote":false,"transfer":false,"lastTerm":${MAX_SAFE},"lastOffset":1000000000}`), after: electsAgain },
  { name: "ha.begin at term 2^53 - 1 leaves the group able to elect", subject: "ha.begin", payload: async () => Payload.json(`{"term":${MAX_SAFE},"master":1}`, "regression", false).with({ replica: 2 }), after: electsAgain },
  { name: "ha.transfer at term 2^53 - 1 leaves the group able to elect", subject: "ha.transfer", payload: async () => Payload.json(`{"term":${MAX_SAFE}}`, "regression", false).with({ replica: 0 }), after: electsAgain },
  // found by seed 558207265: the record's u64 write threw on 2^64 (INTERNAL); NaN and Infinity the same way
  { name: "send.batch with bornTimestamp 2^64 is refused", subject: "send.batch", payload: batch({ queueId: 0, bornTimestamp: 2 ** 64, body: new Uint8Array(1) }) },
  { name: "send.batch with bornTimestamp Infinity is refused", subject: "send.batch", payload: batch({ queueId: 0, bornTimestamp: Infinity, body: new Uint8Array(1) }) },
  // found by seed 558207265: the error message stringified the bad topic, 10,000 levels deep: stack overflow (INTERNAL)
  {
    name: "client.heartbeat with a 10,000-deep topic is refused", subject: "client.heartbeat",
    payload: async () => Payload.json(`{"clientId":"c-1","group":"cg-1","mode":"clustering","topics":[${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}]}`, "regression", true),
  },
  // found by seed 558207265: answered a payload that is not JSON instead of refusing it as every other subject does
  { name: "ha.begin naming a master outside the group is refused", subject: "ha.begin", payload: async (c) => Payload.json(`{"term":${(await c.group.waitMaster()).term},"master":7}`, "regression", true).with({ replica: 0 }), after: electsAgain },
  { name: "identity refuses a payload that is not JSON", subject: "identity", payload: async () => Payload.json('{"a":}', "regression", true) },
  { name: "ha.config refuses a payload that is not JSON", subject: "ha.config", payload: async () => Payload.json('{"a":}', "regression", true) },
  // found by seed 1294009109: nats.js threw reading a header name with a non-ASCII letter (INTERNAL)
  { name: "send with a non-ASCII header name is refused", subject: "send-raw", payload: async () => new Payload(new Uint8Array(1), "regression", true, [], 0, "cg-1", new TextEncoder().encode("NATS/1.0\r\nRbus-Tópic: fz\r\n\r\n")) },
  // found by seed 1 once requests carried the current term: the master counted the fetch as a fourth log end in a
  // group of three, and from then on every fetch and every send failed (INTERNAL) until it lost mastership
  { name: "ha.fetch naming the master itself is refused, and the master still commits", subject: "ha.fetch", payload: fetchAs((m) => m), after: commits },
  { name: "ha.fetch naming replica 1000 is refused, and the master still commits", subject: "ha.fetch", payload: fetchAs(() => 1000), after: commits },
];
