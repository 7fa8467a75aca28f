// `npm test` is `make test`: the same build and the same suites. A `make`
// that only writes down how it was called stands first on PATH, so the
// check runs npm's real script resolution without running the suites again.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./user-project.js";

const test = suite<{ bin: string }>("npm test");

test.before((ctx) => {
  ctx.bin = mkdtempSync(join(tmpdir(), "rbus-npm-test-"));
  writeFileSync(join(ctx.bin, "make"), `#!/bin/sh\necho "make $*" > "${join(ctx.bin, "called")}"\n`);
  chmodSync(join(ctx.bin, "make"), 0o755);
});

test.after((ctx) => rmSync(ctx.bin, { recursive: true, force: true }));

test("runs make test, which builds and runs every suite under dist/test", (ctx) => {
  const r = spawnSync("npm", ["test", "--silent"], { cwd: root, encoding: "utf8", env: { ...process.env, PATH: `${ctx.bin}:${process.env.PATH}` } });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.is(readFileSync(join(ctx.bin, "called"), "utf8").trim(), "make test");
  const makefile = readFileSync(join(root, "Makefile"), "utf8");
  assert.match(makefile, /^test: build.*\n\t\$\(BIN\)\/uvu dist\/test /m, "make test builds, then runs uvu over dist/test");
});

test.run();
