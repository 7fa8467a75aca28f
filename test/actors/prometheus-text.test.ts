// The Prometheus text reader the metrics tests rely on refuses what a
// scraper would refuse, so a test that parses /metrics can fail.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { parsePrometheus, sample } from "./prometheus-text.js";

const test = suite("Prometheus text reader");
const ok = '# HELP x_total Things.\n# TYPE x_total counter\nx_total{a="1",b="q\\"uote"} 3\nx_total 4\n';

test("reads samples with their labels", () => {
  const p = parsePrometheus(ok);
  assert.is(sample(p, "x_total", { a: "1" }), 3);
  assert.is(sample(p, "x_total", { b: 'q"uote' }), 3);
  assert.is(p.types.get("x_total"), "counter");
});

test("refuses a sample without HELP and TYPE, a bad label, a missing value", () => {
  for (const bad of ["y 1\n", '# HELP y Y.\n# TYPE y gauge\ny{a=1} 2\n', "# HELP y Y.\n# TYPE y gauge\ny\n", "# HELP y Y.\n# TYPE y gauge\ny{} one\n"]) {
    assert.throws(() => parsePrometheus(bad), undefined, bad);
  }
});

test.run();
