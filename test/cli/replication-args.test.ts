// The replication flags of `rbus broker`: defaults, and each mistake named with what to do.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { UsageError } from "../../src/cli/args.js";
import { DEFAULT_ELECTION_TIMEOUT_MS, replicationArgs, type ReplicationFlags } from "../../src/cli/replication-args.js";

const defaults = suite("replication flags: defaults");

defaults("no flags: replica 0 of a one-replica group, auto failover, quorum acks", () => {
  assert.equal(replicationArgs({}), {
    replica: 0,
    replication: { replicas: 1, failover: "auto", ack: "quorum", electionTimeoutMs: DEFAULT_ELECTION_TIMEOUT_MS },
  });
});

defaults("manual failover acks on the master's append unless --ack quorum (ASYNC_MASTER / SYNC_MASTER)", () => {
  assert.is(replicationArgs({ replicas: "3", failover: "manual" }).replication.ack, "leader");
  assert.is(replicationArgs({ replicas: "3", failover: "manual", ack: "quorum" }).replication.ack, "quorum");
  assert.is(replicationArgs({ replicas: "3", ack: "leader" }).replication.ack, "leader");
});

defaults("every flag given", () => {
  const got = replicationArgs({ replica: "2", replicas: "3", failover: "auto", ack: "leader", "election-timeout": "1000", "read-from-slave-bytes": "1048576" });
  assert.equal(got, { replica: 2, replication: { replicas: 3, failover: "auto", ack: "leader", electionTimeoutMs: 1000, readFromSlaveBytes: 1048576 } });
});

defaults.run();

const errors = suite("replication flags: mistakes");

const rejects = (flags: ReplicationFlags, pattern: RegExp) => {
  try {
    replicationArgs(flags);
  } catch (err) {
    assert.instance(err, UsageError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(flags)}`);
};

errors("a replica id outside the group names the ids there are", () => {
  rejects({ replica: "3", replicas: "3" }, /--replica 3 is not in a group of --replicas 3: ids are 0\.\.2; raise --replicas/);
  rejects({ replica: "1" }, /ids are 0\.\.0/);
  rejects({ replica: "-1", replicas: "3" }, /--replica must be an integer ≥ 0/);
  rejects({ replica: "one", replicas: "3" }, /--replica must be an integer ≥ 0 .*got "one"/);
});

errors("--replicas from 1 to 9", () => {
  rejects({ replicas: "0" }, /--replicas must be an integer from 1 to 9/);
  rejects({ replicas: "10" }, /--replicas must be an integer from 1 to 9/);
  rejects({ replicas: "2.5" }, /got "2\.5"/);
  rejects({ replicas: "" }, /got ""/);
});

errors("--failover and --ack take their words only", () => {
  rejects({ failover: "automatic" }, /--failover must be auto or manual .*got "automatic"/);
  rejects({ ack: "all" }, /--ack must be quorum or leader .*got "all"/);
});

errors("--election-timeout: a sensible range, and nothing to time under manual failover", () => {
  rejects({ "election-timeout": "50" }, /--election-timeout must be an integer from 100 to 60000/);
  rejects({ "election-timeout": "600000" }, /from 100 to 60000/);
  rejects({ replicas: "3", failover: "manual", "election-timeout": "1000" }, /no effect with --failover manual.*drop it, or use --failover auto/);
});

errors("--read-from-slave-bytes needs slaves and a positive size", () => {
  rejects({ "read-from-slave-bytes": "1000" }, /needs slaves .* --replicas 2 or more/);
  rejects({ replicas: "3", "read-from-slave-bytes": "0" }, /--read-from-slave-bytes must be an integer ≥ 1/);
});

errors.run();
