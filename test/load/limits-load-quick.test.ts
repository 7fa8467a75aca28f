// The limits load test, briefly (a fifth of `make load`), as part of make test.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { spawnNode } from "../harness/processes.js";

const test = suite("limits load (quick)");

test("long polls, ghost members and fake registrations leave memory and a real send's p99 within bounds", async () => {
  const run = spawnNode(fileURLToPath(new URL("./limits-load.js", import.meta.url)), ["--quick"]);
  const code = await new Promise<number | null>((resolve) => run.proc.on("exit", resolve));
  assert.is(code, 0, run.output());
  assert.match(run.output(), /real sends: \d+ ok, 0 failed/);
});

test.run();
