// cluster.json: the shipped file runs 2 groups × 3 replicas; a bad replication setting is named by its key;
// the dashboard's port.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadClusterConfig, replicationFlags } from "../../src/cluster/config.js";
import { dashboardArgs } from "../../src/cluster/dashboard-node.js";

const shipped = fileURLToPath(new URL("../../../cluster.json", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "rbus-cluster-config-"));

/** The shipped config with `edit` applied, loaded from a file of its own. */
function load(edit: (c: any) => void) {
  const c = JSON.parse(readFileSync(shipped, "utf8"));
  edit(c);
  const file = join(dir, "cluster.json");
  writeFileSync(file, JSON.stringify(c));
  return loadClusterConfig(file);
}

const rejects = (edit: (c: any) => void, pattern: RegExp) => assert.throws(() => load(edit), pattern);

const test = suite("cluster.json");

test("the shipped config: 2 groups × 3 replicas, auto failover, quorum acks", () => {
  const c = loadClusterConfig(shipped);
  assert.equal(c.groups, [{ name: "broker-a", replicas: 3 }, { name: "broker-b", replicas: 3 }]);
  assert.equal(replicationFlags(c, 2, 3), { replica: "2", replicas: "3", failover: "auto", ack: "quorum", "election-timeout": `${c.broker.electionTimeoutMs}` });
});

test("bad replication settings are named by their key", () => {
  rejects((c) => (c.broker.failover = "sometimes"), /group "broker-a": broker\.failover must be auto or manual/);
  rejects((c) => (c.broker.ack = "all"), /broker\.ack must be quorum or leader/);
  rejects((c) => (c.broker.electionTimeoutMs = 5), /broker\.electionTimeoutMs must be an integer from 100 to 60000/);
  rejects((c) => (c.groups[1].replicas = 12), /group "broker-b": "replicas" must be an integer from 1 to 9/);
});

test("manual failover: replica 0 keeps mastership, no election timeout is passed, acks default to the master's", () => {
  const c = load((c) => (c.broker.failover = "manual", delete c.broker.ack));
  assert.equal(replicationFlags(c, 1, 3), { replica: "1", replicas: "3", failover: "manual" });
});

test("the dashboard's port: 8090 shipped, 0 for any free one, anything else not a port refused", () => {
  assert.equal(dashboardArgs(loadClusterConfig(shipped)), ["dashboard", "--port", "8090", "--host", "127.0.0.1"]);
  assert.equal(dashboardArgs(load((c) => delete c.dashboard)), ["dashboard", "--port", "8090", "--host", "127.0.0.1"]);
  assert.equal(dashboardArgs(load((c) => (c.dashboard = { port: 0, host: "0.0.0.0" }))), ["dashboard", "--port", "0", "--host", "0.0.0.0"]);
  rejects((c) => (c.dashboard = { port: 70000 }), /dashboard\.port must be a port number/);
  rejects((c) => (c.dashboard = { port: "8090" }), /dashboard\.port must be a port number/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
