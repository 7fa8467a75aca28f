// The suite wrapper's promise: a before() that throws fails the suite's tests.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import * as assert from "uvu/assert";
import { suite } from "./suite.js";

const wrapper = pathToFileURL(fileURLToPath(new URL("./suite.js", import.meta.url))).href;
const test = suite("suite wrapper");

function runSuite(body: string): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "rbus-suite-"));
  try {
    const file = join(dir, "s.test.mjs");
    writeFileSync(file, `import { suite } from ${JSON.stringify(wrapper)};\n${body}`);
    const r = spawnSync(process.execPath, [file], { encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a before() that throws fails every test of its suite, with its error", () => {
  const r = runSuite(`const t = suite("s"); t.before(() => { throw new Error("cluster did not start"); });
t("one", () => {}); t("two", () => {}); t.run();`);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, "cluster did not start");
  assert.match(r.out, /Passed:\s+0/);
});

test("a suite whose before() works runs as uvu's does", () => {
  const r = runSuite(`const t = suite("s"); let ready = false; t.before(() => { ready = true; });
t("sees the hook's work", () => { if (!ready) throw new Error("not ready"); }); t.run();`);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Passed:\s+1/);
});

test("every suite comes from the wrapper, none from uvu itself", () => {
  // dist/test/harness → the repository's test/ and bench/ sources
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const direct: string[] = [];
  for (const dir of ["test", "bench"]) {
    for (const file of readdirSync(join(root, dir), { recursive: true }) as string[]) {
      if (!file.endsWith(".ts") || file === join("harness", "suite.ts")) continue;
      if (/import \{[^}]*\bsuite\b[^}]*\} from "uvu"/.test(readFileSync(join(root, dir, file), "utf8"))) direct.push(join(dir, file));
    }
  }
  assert.equal(direct, [], `import suite from test/harness/suite.js instead of "uvu" in: ${direct.join(", ")}`);
});

test.run();
