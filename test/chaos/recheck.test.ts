// A kept run folder can be judged again from its files alone.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMsgId } from "../../src/protocol/messages.js";
import type { Entry } from "./journal.js";
import { recheck } from "./recheck.js";

const lines = (es: Entry[]) => es.map((e) => JSON.stringify(e)).join("\n") + "\n";
const ack = (body: string, offset: number, queueOffset: number): Entry => ({ t: "ack", body, msgId: encodeMsgId("broker-a", offset), topic: "chaos", queueId: 0, queueOffset, at: 1 });
const read = (body: string, offset: number, queueOffset: number): Entry => ({
  t: "read", body, msgId: encodeMsgId("broker-a", offset), group: "broker-a", topic: "chaos", queueId: 0, queueOffset, session: "s.1", lease: 1,
});

const test = suite("recheck");
test("journals, broker logs and run.json give the same verdict as the run", () => {
  const dir = mkdtempSync(join(tmpdir(), "rbus-recheck-"));
  try {
    writeFileSync(join(dir, "producer-0.jsonl"), lines([{ t: "sent", bodies: ["a", "b", "c"] }, ack("a", 0, 0), ack("b", 100, 1), ack("c", 200, 2)]));
    writeFileSync(join(dir, "consumer-0.jsonl"), lines([read("a", 0, 0), read("c", 200, 2)]) + `{"t":"read","bo`); // a torn last line
    mkdirSync(join(dir, "logs"));
    writeFileSync(join(dir, "logs", "broker-a.log"), `--- broker-a, life 1 ---\n{"level":"error","msg":"commit log damaged","from":100,"to":194}\n`);
    const flip = { step: { cycle: 1, quietMs: 10, fault: { kind: "byte-flip", group: "broker-a", at: 0.5, xor: 1 } }, description: "#1 byte-flip", startedAt: 0, endedAt: 1, reports: [] };
    writeFileSync(join(dir, "run.json"), JSON.stringify({ seed: 5, cycles: 1, replay: "make chaos SEED=5", journals: [["consumer-0", "live"]], applied: [flip] }));
    assert.match(recheck(dir), "live: read 2 of 3 acknowledged, reported damaged 0");
    assert.match(recheck(dir), "live: 1 unexplained", "damage reported where no fault broke anything");
    const hit = { ...flip, injected: { group: "broker-a", from: 150, to: 151, fault: "#1 byte-flip" } };
    writeFileSync(join(dir, "run.json"), JSON.stringify({ seed: 5, cycles: 1, replay: "make chaos SEED=5", journals: [["consumer-0", "live"]], applied: [hit] }));
    assert.match(recheck(dir), "live: read 2 of 3 acknowledged, reported damaged 1");
    assert.not.match(recheck(dir), "replay:");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
test.run();
