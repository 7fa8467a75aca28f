// rbus's help, version, did-you-mean and exit codes, as a user meets them:
// every case here runs rbus as a process, except the walk over the tree.
import { readFileSync } from "node:fs";
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import type { Command } from "commander";
import { runRbus } from "../harness/processes.js";
import { program } from "../../src/cli/program.js";

const test = suite("rbus help and usage");

const usage = async (args: string[], pattern: RegExp) => {
  const out = await runRbus(args);
  assert.is(out.code, 2, `exit code of rbus ${args.join(" ")}: ${out.stdout}${out.stderr}`);
  assert.match(out.stderr, pattern);
  return out;
};

test("bare rbus lists the commands and exits 2", async () => {
  const out = await usage([], /Run the processes:\n[^]*Look at and change a cluster:\n[^]*Offline tools:\n/);
  for (const c of ["send", "consume", "topic", "inspect", "sub", "req", "events", "run-cluster"]) assert.match(out.stderr, new RegExp(`\\n  ${c} `));
  assert.match(out.stderr, /Exit codes: 0 ok, 1 error .*, 2 usage/);
});

test("--version prints package.json's version and exits 0", async () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  const out = await runRbus(["--version"]);
  assert.is(out.code, 0);
  assert.is(out.stdout.trim(), version);
});

test("a mistyped flag or command is named with what was meant", async () => {
  await usage(["send", "--topc", "orders", "hi"], /unknown option '--topc'\n\(Did you mean --topic\?\)/);
  await usage(["sned", "--topic", "orders", "hi"], /unknown command "sned"\n\(Did you mean send\?\)/);
  await usage(["topic", "creat"], /\(Did you mean create\?\)/);
});

test("rbus help <cmd> and <cmd> --help: descriptions, defaults, an example, the exit codes", async () => {
  for (const args of [["help", "consume"], ["consume", "--help"]]) {
    const out = await runRbus(args);
    assert.is(out.code, 0, out.stderr);
    assert.match(out.stdout, /Usage: rbus consume \[options\]/);
    assert.match(out.stdout, /--tags <expr>\s+subscription expression: \* or tagA \|\| tagB \(default: "\*"\)/);
    assert.match(out.stdout, /--timeout <ms>\s+fail if the topic has no route .*\(default: "5000"\)/s);
    assert.match(out.stdout, /--nats <url>\s+NATS server URL \(default: "nats:\/\/127\.0\.0\.1:4222", env:\s+NATS_URL\)/);
    assert.match(out.stdout, /Examples:\n  \$ rbus consume --topic orders/);
    assert.match(out.stdout, /Exit codes: 0 ok, 1 error/);
  }
  const nested = await runRbus(["help", "topic", "create"]);
  assert.is(nested.code, 0, nested.stderr);
  assert.match(nested.stdout, /Usage: rbus topic create \[options\]/);
  assert.match(nested.stdout, /--queues <n>\s+read and write queues on each broker group \(default: "4"\)/);
});

const leaves = (c: Command): Command[] => (c.commands.length === 0 ? [c] : [...(c.name() === "metrics" ? [c] : []), ...c.commands.flatMap(leaves)]);
const offline = new Set(["run-cluster", "stop-cluster", "export", "verify", "init"]);

test("every command has a description, an example, and every flag a description; those that talk to NATS take the same connection flags", () => {
  const commands = leaves(program());
  assert.ok(commands.length >= 22, `${commands.length} commands`);
  for (const c of commands) {
    assert.ok(c.description().length > 10, `rbus ${c.name()} has a description`);
    for (const o of c.options) assert.ok(o.description.length > 3, `${c.name()} ${o.flags} has a description`);
    const help = c.helpInformation();
    const longs = c.options.map((o) => o.long);
    if (offline.has(c.name())) continue;
    for (const flag of ["--nats", "--prefix", "--nkey", "--creds", "--user", "--password", "--token", "--tls-ca", "--tls-cert", "--tls-key", "--inbox-prefix"]) {
      assert.ok(longs.includes(flag), `rbus ${c.name()} takes ${flag}`);
    }
    const env = c.options.find((o) => o.long === "--prefix")!.envVar;
    assert.is(env, "RBUS_PREFIX", `${c.name()}: --prefix from RBUS_PREFIX`);
    assert.match(help, /Connection \(also from the environment/);
  }
});

test("every command's help has an example", async () => {
  for (const c of leaves(program())) {
    let text = "";
    c.configureOutput({ writeOut: (s) => void (text += s) });
    c.outputHelp();
    assert.match(text, /Examples:\n  \$ /, `rbus ${c.name()} --help has an example`);
  }
});

test("--prefix and --nats come from RBUS_PREFIX and NATS_URL", async () => {
  // nothing listens on port 1: the error names the URL the variable gave
  const out = await runRbus(["cluster"], 30_000, { NATS_URL: "nats://127.0.0.1:1", RBUS_PREFIX: "other" });
  assert.is(out.code, 1);
  assert.match(out.stderr, /nats:\/\/127\.0\.0\.1:1/);
});

test("mistakes refused before connecting: zero queues, empty tags, a bad --since, a bad -H", async () => {
  const nowhere = ["--nats", "nats://127.0.0.1:1"];
  await usage(["topic", "create", "--topic", "t2", "--queues", "0", ...nowhere], /--queues must be at least 1/);
  await usage(["consume", "--topic", "t", "--group", "g", "--tags", "created ||", ...nowhere], /--tags: tag expression "created \|\|" has an empty alternative/);
  await usage(["consume", "--topic", "t", "--group", "g", "--tags", "a | b", ...nowhere], /has a single "\|"/);
  await usage(["events", "--since", "yesterday", ...nowhere], /--since takes a time/);
  await usage(["events", "--kind", "roles", ...nowhere], /--kind must be one of liveness, role, store, consumers, reset/);
  await usage(["req", "rbus.ns.cluster", "{}", "-H", "nocolon", ...nowhere], /-H takes name:value/);
});

test.run();
