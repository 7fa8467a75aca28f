// A member of a producer group in its own process, so a test can SIGKILL
// it between a half message and its commit. It answers checks by the
// body: "commit…" commit, "rollback…" rollback, anything else unknown;
// with --halves N it first sends N halves ("commit-<i>" and "rollback-<i>"
// alternately, prefixed by --tag) and settles none of them, or, with
// --settle, commits or rolls back each as its body says (four at a time).
// Prints one line per event: "HALF <msgId> <body>", "SETTLED <msgId> <by> <settled>",
// "CHECK <msgId> <state> <checkTimes>", "READY".
import { connect } from "@nats-io/transport-node";
import { parseArgs } from "node:util";
import { Producer } from "../../src/client/producer.js";
import type { TransactionState } from "../../src/protocol/index.js";

const { values } = parseArgs({
  options: {
    nats: { type: "string" },
    group: { type: "string" },
    topic: { type: "string", default: "tx-orders" },
    halves: { type: "string", default: "0" },
    tag: { type: "string", default: "" },
    listen: { type: "boolean", default: false },
    settle: { type: "boolean", default: false },
  },
});

const answerFor = (body: string): TransactionState => (body.startsWith("commit") ? "commit" : body.startsWith("rollback") ? "rollback" : "unknown");

const nc = await connect({ servers: values.nats! });
const producer = await new Producer(nc, {
  group: values.group!,
  ...(values.listen
    ? {
        checkListener: (m) => {
          const state = answerFor(new TextDecoder().decode(m.body).replace(/^[^:]*:/, ""));
          console.log(`CHECK ${m.msgId} ${state} ${m.checkTimes}`);
          return state;
        },
      }
    : {}),
}).start();
await nc.flush();
const total = Number(values.halves);
let next = 0;
const lane = async () => {
  while (next < total) {
    const i = next++;
    const body = `${values.tag}:${i % 2 === 0 ? "commit" : "rollback"}-${i}`;
    const half = await producer.sendHalf({ topic: values.topic!, body });
    console.log(`HALF ${half.msgId} ${body}`);
    if (!values.settle) continue;
    const r = i % 2 === 0 ? await half.commit() : await half.rollback();
    console.log(`SETTLED ${half.msgId} ${r.by} ${r.settled}`);
  }
};
await Promise.all(Array.from({ length: values.settle ? 4 : 1 }, lane));
console.log("READY");
process.on("SIGTERM", () => void producer.close().then(() => nc.close()).then(() => process.exit(0)));
