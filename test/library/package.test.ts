// Rocketbus as a dependency: the README's TypeScript example, read from the
// README itself, type-checks with tsc --strict in a project that installed
// the packed package; deep paths into dist/ are not the API; the entry
// loads at run time with every documented export.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readmeSection } from "../cli/readme-session.js";
import { packedProject, root, runModule, typecheck, typescriptBlock } from "./user-project.js";

const test = suite<{ dir: string }>("rocketbus installed from its packed tarball");

test.before((ctx) => {
  ctx.dir = packedProject();
});

test.after((ctx) => {
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

test('the README\'s "From TypeScript" example type-checks with tsc --strict', (ctx) => {
  const example = typescriptBlock(readmeSection(join(root, "README.md"), "## From TypeScript"));
  assert.match(example, /from "rocketbus"/, "the example imports the package's root");
  const r = typecheck(ctx.dir, example);
  assert.is(r.code, 0, r.output);
});

test("a type error in a user's code is reported (the check can fail)", (ctx) => {
  const r = typecheck(ctx.dir, `import { Producer } from "rocketbus";\nexport const p: string = Producer;\n`);
  assert.is.not(r.code, 0);
  assert.match(r.output, /TS2322/);
});

test("deep imports into dist/ are refused: the package's root is the API", (ctx) => {
  const r = typecheck(ctx.dir, `import { Producer } from "rocketbus/dist/src/client/producer.js";\nexport { Producer };\n`);
  assert.is.not(r.code, 0);
  assert.match(r.output, /TS2307/, r.output);
});

test("the clients, errors and selectors load at run time from the installed package", (ctx) => {
  const r = runModule(
    ctx.dir,
    `const m = await import("rocketbus");
     const kinds = Object.fromEntries(["Producer", "PushConsumer", "PullConsumer", "Admin", "RbusError", "ErrorCode", "selectByKey", "defaultClientId"].map((k) => [k, typeof m[k]]));
     console.log(JSON.stringify({ kinds, notFound: m.ErrorCode.NOT_FOUND, error: new m.RbusError(m.ErrorCode.NOT_FOUND, "x") instanceof Error }));`,
  );
  assert.is(r.code, 0, r.output);
  const out = JSON.parse(r.output) as { kinds: Record<string, string>; notFound: string; error: boolean };
  assert.equal(out.kinds, {
    Producer: "function", PushConsumer: "function", PullConsumer: "function", Admin: "function",
    RbusError: "function", ErrorCode: "object", selectByKey: "function", defaultClientId: "function",
  });
  assert.is(out.notFound, "NOT_FOUND");
  assert.ok(out.error);
});

test("the package carries the rbus command and the dashboard's page, not the tests or source maps", (ctx) => {
  const pkg = join(ctx.dir, "node_modules", "rocketbus");
  assert.ok(existsSync(join(pkg, "dist", "src", "cli", "main.js")), "bin rbus");
  assert.ok(existsSync(join(pkg, "dist", "dashboard", "index.html")), "the dashboard's page");
  assert.ok(existsSync(join(pkg, "dist", "src", "index.d.ts")), "the entry's declarations");
  assert.not.ok(existsSync(join(pkg, "dist", "test")), "no tests");
  assert.not.ok(existsSync(join(pkg, "dist", "src", "index.js.map")), "no source maps (their sources are not shipped)");
});

test.run();
