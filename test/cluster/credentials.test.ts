// run-cluster writes its accounts file again at each start: a file from an
// older version (without rights its nodes now need) is brought up to date,
// seeds are kept, and client users added with --consumer-group stay.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { authClusterOf, authInit } from "../../src/auth/init.js";
import { clusterCredentials } from "../../src/cluster/credentials.js";
import type { ClusterConfig } from "../../src/cluster/config.js";

const shipped = fileURLToPath(new URL("../../../cluster.json", import.meta.url));

const test = suite<{ dir: string; config: ClusterConfig; file: string }>("run-cluster's accounts file");
test.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-creds-"));
  writeFileSync(join(ctx.dir, "nats.conf"), `port: -1\ninclude "auth/accounts.conf"\n`);
  ctx.config = { ...(JSON.parse(readFileSync(shipped, "utf8")) as ClusterConfig), nats: { config: join(ctx.dir, "nats.conf"), url: "", monitor: "", websocket: "" } };
  ctx.file = join(ctx.dir, "auth", "accounts.conf");
});
test.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

test("an older file gains the rights its nodes need, with the same seeds and the users added by hand", (ctx) => {
  authInit(authClusterOf(ctx.config, { consumerGroups: ["shipping"] }), join(ctx.dir, "auth"), "cluster.json");
  const current = readFileSync(ctx.file, "utf8");
  assert.match(current, /rbus\.metrics\.ns-1/);
  // as an older version wrote it: no metrics rights, and no user for a replica cluster.json names now
  const older = current.replaceAll(/, "rbus\.metrics\.[A-Za-z0-9_-]+"|"rbus\.metrics\.[A-Za-z0-9_-]+", /g, "").replace(/# broker-b-2: broker[\s\S]*?\n      }\n/, "");
  assert.not.match(older, /rbus\.metrics\.ns-1|# broker-b-2/);
  writeFileSync(ctx.file, older);
  const creds = clusterCredentials(ctx.config, "cluster.json", { noAuth: false });
  assert.ok(creds.generated, "the file was written again");
  assert.is(readFileSync(ctx.file, "utf8"), current, "as auth init writes it now, seeds and all");
  assert.ok(creds.users.some((u) => u.name === "consumer-shipping"), "the consumer group added by hand is kept");
  assert.not.ok(clusterCredentials(ctx.config, "cluster.json", { noAuth: false }).generated, "a second start changes nothing");
});

test.run();
