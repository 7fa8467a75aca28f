import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { authInit, openAuth } from "../../src/auth/init.js";
import { includedAccounts } from "../../src/auth/nats-conf.js";
import { natsServerBin } from "../../src/cluster/processes.js";
import { TEST_CLUSTER } from "../harness/secure-nats.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const test = suite<{ dir: string }>("nats.conf");

// The shipped file in a folder laid out as the repository, with the accounts file run-cluster writes.
test.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-nats-conf-"));
  copyFileSync(join(root, "nats.conf"), join(ctx.dir, "nats.conf"));
});
test.after.each((ctx) => rmSync(ctx.dir, { recursive: true, force: true }));

const check = (dir: string) => spawnSync(natsServerBin(), ["-c", "nats.conf", "-t"], { cwd: dir, encoding: "utf8" });

test("includes data/cluster/auth/accounts.conf, from the file's own folder", (ctx) => {
  assert.is(includedAccounts(join(ctx.dir, "nats.conf")), join(ctx.dir, "data/cluster/auth/accounts.conf"));
});

test("nats-server accepts it with the users rbus auth init writes", (ctx) => {
  authInit(TEST_CLUSTER, join(ctx.dir, "data/cluster/auth"), "cluster.json");
  const out = check(ctx.dir);
  assert.is(out.status, 0, out.stderr + out.stdout);
  assert.match(out.stderr + out.stdout, /configuration file nats.conf is valid/);
});

test("nats-server accepts it with the open accounts file of --no-auth", (ctx) => {
  openAuth(join(ctx.dir, "data/cluster/auth"), "cluster.json");
  const out = check(ctx.dir);
  assert.is(out.status, 0, out.stderr + out.stdout);
});

test("keeps every listener on loopback, JetStream under the cluster's data folder, a websocket", () => {
  const conf = readFileSync(`${root}/nats.conf`, "utf8");
  assert.match(conf, /^host: 127\.0\.0\.1$/m);
  assert.match(conf, /^http: 127\.0\.0\.1:\d+$/m);
  assert.match(conf, /store_dir: "data\/cluster\/jetstream"/);
  assert.match(conf, /websocket \{[^}]*host: 127\.0\.0\.1/);
});

test.run();
