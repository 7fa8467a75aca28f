// Reading damage out of log lines, and breaking a commit log on purpose.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { damageInLine, logObjects, truncatedBytes } from "./damage-reports.js";
import { cutTail, flipByte } from "./tamper.js";

const reports = suite("damage in log lines");
reports("a broker's recovery lines: damaged ranges and a torn tail, on the broker's own group", () => {
  const log = [
    `{"level":"info","msg":"broker started"}`,
    `{"level":"error","msg":"commit log damaged: records failed their checks","from":100,"to":194,"bytes":94}`,
    `{"level":"error","msg":"commit log torn tail cut","from":900,"to":950,"bytes":50,"truncatedBytes":50}`,
    `rbus: not a JSON line`,
  ].join("\n");
  const lines = logObjects(log);
  assert.is(lines.length, 3);
  const found = lines.flatMap((l) => damageInLine(l, "broker-a log", "broker-a"));
  assert.equal(found.map((d) => [d.group, d.from, d.to]), [["broker-a", 100, 194], ["broker-a", 900, 950]]);
  assert.is(truncatedBytes(lines), 50);
});
reports("a consumer's stepped-over record names its broker group through the queue key", () => {
  const line = { level: "error", msg: "damaged record in the queue; reported and stepped over", group: "readers", queue: "chaos/broker-b/3", queueOffset: 7, commitLogOffset: 4242 };
  assert.equal(damageInLine(line, "consumer"), [{ group: "broker-b", from: 4242, to: 4243, source: "consumer: damaged record in the queue; reported and stepped over" }]);
});
reports("lines that are not about damage name none, offsets or not", () => {
  assert.equal(damageInLine({ level: "info", msg: "pull failed; retrying", queue: "chaos/broker-a/0", from: 1, to: 5, commitLogOffset: 3 }, "c"), []);
  assert.equal(damageInLine({ level: "error", msg: "commit log damaged" }, "b", "broker-a"), []);
  const rebuilt = { level: "error", msg: "consume queue damaged: entries rebuilt from the commit log", topic: "chaos", queueId: 3, from: 1804, to: 1805 };
  assert.equal(damageInLine(rebuilt, "b", "broker-a"), [], "a rebuilt queue's from/to are queue offsets, not commit-log ones");
});
reports.run();

const tamper = suite("tamper");
const logDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "rbus-tamper-"));
  mkdirSync(join(dir, "commitlog"));
  writeFileSync(join(dir, "commitlog", "00000000000000000000"), Buffer.alloc(1000, 1));
  writeFileSync(join(dir, "commitlog", "00000000000000001000"), Buffer.alloc(500, 2));
  return dir;
};
tamper("cutTail cuts the last segment and names the commit-log range", () => {
  const dir = logDir();
  try {
    assert.equal(cutTail(dir, 30), { from: 1470, to: 1500 });
    assert.is(statSync(join(dir, "commitlog", "00000000000000001000")).size, 470);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
tamper("flipByte finds the segment of a fraction of the whole log and xors one byte", () => {
  const dir = logDir();
  try {
    assert.equal(flipByte(dir, 0.8, 0x0f), { from: 1200, to: 1201 });
    const seg = readFileSync(join(dir, "commitlog", "00000000000000001000"));
    assert.is(seg[200], 2 ^ 0x0f);
    assert.is(seg.filter((b) => b !== 2).length, 1, "one byte changed");
  } finally {
    rmSync(dir, { recursive: true });
  }
});
tamper.run();
