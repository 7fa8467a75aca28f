import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { readdir, readFile } from "node:fs/promises";
import { createMachine, StateMachine } from "xstate";
import { headerComment, MACHINES, purpose } from "../../src/machines-doc/catalog.js";
import { exportAll, exportMachine, renderDocument } from "../../src/machines-doc/document.js";
import { runRbus } from "../harness/processes.js";

const repo = new URL("../../../", import.meta.url);
const compiledMachines = new URL("../../machines/", import.meta.url);

/** The first line where two texts differ, to say what changed. */
function firstDifference(a: string, b: string): string {
  const x = a.split("\n");
  const y = b.split("\n");
  const i = x.findIndex((line, n) => line !== y[n]);
  const at = i === -1 ? x.length : i;
  return `line ${at + 1}: file has ${JSON.stringify(x[at])}, the machines give ${JSON.stringify(y[at])}`;
}

const doc = suite("docs/machines.md");

doc("matches the machines' definitions (run `make machines-doc` after changing a machine)", async () => {
  const file = await readFile(new URL("docs/machines.md", repo), "utf8");
  const fresh = renderDocument(await exportAll());
  assert.ok(file === fresh, `docs/machines.md is stale, run \`make machines-doc\`; ${firstDifference(file, fresh)}`);
});

doc("a changed machine makes it stale", async () => {
  const file = await readFile(new URL("docs/machines.md", repo), "utf8");
  const liveness = MACHINES.find((m) => m.name === "liveness")!;
  const config = liveness.machine.config as { states: Record<string, object> };
  const changed = createMachine({ ...config, states: { ...config.states, quarantined: {} } } as never);
  const machines = await Promise.all(MACHINES.map((m) => exportMachine(m === liveness ? { ...m, machine: changed } : m)));
  const text = renderDocument(machines);
  assert.ok(text !== file);
  assert.ok(text.includes("  quarantined\n"));
});

doc("shows every machine as a Mermaid diagram with what it is for", async () => {
  const file = await readFile(new URL("docs/machines.md", repo), "utf8");
  assert.ok(file.includes("make machines-doc"), "says how to regenerate");
  for (const { name } of MACHINES) {
    const section = file.split(`\n## ${name}\n`)[1]?.split("\n## ")[0];
    assert.ok(section, `a section for ${name}`);
    assert.ok(section.includes("```mermaid\nstateDiagram-v2\n"), `${name} is drawn`);
  }
});

doc.run();

const catalog = suite("machine catalog");

catalog("lists every machine that machines/*.ts exports, by its file's name", async () => {
  const files = (await readdir(compiledMachines)).filter((f) => f.endsWith(".js"));
  const found: string[] = [];
  for (const file of files) {
    const mod = (await import(new URL(file, compiledMachines).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (!(value instanceof StateMachine)) continue;
      const name = file.replace(/\.js$/, "");
      found.push(name);
      assert.ok(MACHINES.some((m) => m.name === name && m.machine === value), `${name}'s machine is listed in src/machines-doc/catalog.ts`);
    }
  }
  assert.equal([...new Set(found)].sort(), MACHINES.map((m) => m.name).sort());
});

catalog("takes each machine's purpose from its file's header comment", async () => {
  for (const m of MACHINES) {
    const source = await readFile(new URL(`machines/${m.name}.ts`, repo), "utf8");
    const said = (await exportMachine(m)).purpose;
    assert.ok(said.length > 20, `${m.name}: ${said}`);
    assert.ok(headerComment(source)[0]!.startsWith(said), `${m.name}: ${said}`);
  }
});

catalog("purpose is the first sentence, or two when the first is a title", () => {
  const text = "// A table. It keeps\n// things in Map.get order. More.\n//\n// Another paragraph.\nimport x;\n// not the header\n";
  assert.equal(headerComment(text), ["A table. It keeps things in Map.get order. More.", "Another paragraph."]);
  assert.is(purpose(text), "A table. It keeps things in Map.get order.");
  assert.is(purpose("// One replica's role in its broker group: slave → master. More.\n"), "One replica's role in its broker group: slave → master.");
  assert.is(purpose("// A registration (BrokerController.registerBrokerAll): at start. Then.\n"), "A registration (BrokerController.registerBrokerAll): at start.");
});

catalog.run();

const cli = suite("rbus machines export");

cli("--format json --machine writes that machine alone; a bad format is a usage error", async () => {
  const out = await runRbus(["machines", "export", "--format", "json", "--machine", "role"]);
  assert.is(out.code, 0, out.stderr);
  const { machines } = JSON.parse(out.stdout) as { machines: Array<{ name: string; graph: { id: string } }> };
  assert.equal(machines.map((m) => [m.name, m.graph.id]), [["role", "role"]]);
  const bad = await runRbus(["machines", "export", "--format", "svg"]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--format must be mermaid or json/);
});

cli("--format mermaid writes docs/machines.md", async () => {
  const out = await runRbus(["machines", "export", "--format", "mermaid"]);
  assert.is(out.code, 0, out.stderr);
  assert.is(out.stdout, await readFile(new URL("docs/machines.md", repo), "utf8"));
});

cli.run();
