// Bad replication flags stop `rbus broker` and `rbus failover` before they connect anywhere:
// exit code 2, the mistake, what to do, and the usage.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { runRbus } from "../harness/processes.js";

// Nothing listens here: a command that got past its flags would fail to connect instead (exit 1).
const nowhere = ["--nats", "nats://127.0.0.1:1", "--data", "/nonexistent/rbus-flags-test"];

const test = suite("replication flags, as a process");

const usageError = async (args: string[], pattern: RegExp) => {
  const out = await runRbus(args);
  assert.is(out.code, 2, `exit code of rbus ${args.join(" ")}: ${out.stderr}`);
  assert.match(out.stderr, pattern);
  assert.is(out.stdout, "");
  return out.stderr;
};

test("rbus broker: a replica id outside the group", async () => {
  const err = await usageError(["broker", "--group", "g", "--replica", "3", "--replicas", "3", ...nowhere], /--replica 3 is not in a group of --replicas 3: ids are 0\.\.2/);
  assert.match(err, /\nusage: rbus broker \[options\]\n\(rbus help broker shows every flag\)/);
});

test("rbus broker: unknown --failover, --ack, and an election timeout out of range", async () => {
  await usageError(["broker", "--group", "g", "--failover", "sometimes", ...nowhere], /--failover must be auto or manual/);
  await usageError(["broker", "--group", "g", "--ack", "all", ...nowhere], /--ack must be quorum or leader/);
  await usageError(["broker", "--group", "g", "--replicas", "3", "--election-timeout", "10", ...nowhere], /--election-timeout must be an integer from 100 to 60000/);
});

test("rbus broker: an election timeout under manual failover, slave reads without slaves", async () => {
  await usageError(["broker", "--group", "g", "--replicas", "3", "--failover", "manual", "--election-timeout", "1000", ...nowhere], /no effect with --failover manual/);
  await usageError(["broker", "--group", "g", "--read-from-slave-bytes", "1024", ...nowhere], /--replicas 2 or more/);
});

test("rbus broker: good flags get as far as connecting", async () => {
  const out = await runRbus(["broker", "--group", "g", "--replica", "2", "--replicas", "3", "--failover", "manual", "--ack", "quorum", ...nowhere]);
  assert.is(out.code, 1, out.stderr);
  assert.match(out.stderr, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  assert.not.match(out.stderr, /usage:/);
});

test("rbus failover: --broker-group is required, --to is a replica id", async () => {
  await usageError(["failover", "--nats", "nats://127.0.0.1:1"], /--broker-group is required\nusage: rbus failover/);
  await usageError(["failover", "--nats", "nats://127.0.0.1:1", "--group", "g", "--to", "first"], /--to must be a non-negative integer, got "first"/);
});

test.run();
