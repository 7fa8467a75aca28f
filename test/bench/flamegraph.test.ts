// The flame graph drawn from a .cpuprofile: widths follow the time under
// each stack, callers above callees, idle time left out, names escaped.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flameGraphSvg } from "../../bench/lib/flamegraph.js";

const test = suite("flame graph");

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0, scriptId: "0", columnNumber: 0 });

test("a box per stack, as wide as its time, callers above callees; idle left out", () => {
  const dir = mkdtempSync(join(tmpdir(), "rbus-flame-"));
  try {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)"), children: [2, 3, 5] },
        { id: 2, callFrame: frame("(idle)") },
        { id: 3, callFrame: frame("send", "file:///x/dist/src/client/producer.js"), children: [4] },
        { id: 4, callFrame: frame("a<b>&c", "node:buffer") },
        { id: 5, callFrame: frame("(garbage collector)") },
      ],
      // µs: idle 1000, send 100 itself + 300 in its callee, gc 600
      samples: [2, 3, 4, 5],
      timeDeltas: [1000, 100, 300, 600],
      startTime: 0,
      endTime: 2000,
    };
    const file = join(dir, "p.cpuprofile");
    writeFileSync(file, JSON.stringify(profile));
    const svg = flameGraphSvg(file, "test <run>");
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /test &lt;run&gt; — 1 ms busy/);
    assert.not.match(svg, /\(idle\)/);
    const boxes = [...svg.matchAll(/<g transform="translate\(0,(\d+)\)"><title>([^<]*)<\/title><rect x="([\d.]+)" width="([\d.]+)"/g)]
      .map(([, y, title, x, w]) => ({ y: Number(y), title: title!, x: Number(x), w: Number(w) }));
    assert.is(boxes.length, 3);
    const by = (s: string) => boxes.find((b) => b.title.startsWith(s))!;
    // busy time is 1 000 µs over 1 200 px
    assert.ok(Math.abs(by("send").w - 480 + 0.5) < 1, `send ${by("send").w}`);
    assert.ok(Math.abs(by("(garbage").w - 720 + 0.5) < 1);
    assert.ok(Math.abs(by("a&lt;b&gt;&amp;c").w - 360 + 0.5) < 1);
    assert.ok(by("a&lt;b&gt;&amp;c").y > by("send").y, "a callee sits below its caller");
    assert.match(by("send").title, /dist\/src\/client\/producer\.js:1\) — 0\.4 ms, 40\.0 %/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
