import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { natsServerBin } from "../../src/cluster/processes.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const test = suite("nats.conf");

test("nats-server accepts it", () => {
  const out = spawnSync(natsServerBin(), ["-c", "nats.conf", "-t"], { cwd: root, encoding: "utf8" });
  assert.is(out.status, 0, out.stderr + out.stdout);
  assert.match(out.stderr + out.stdout, /configuration file nats.conf is valid/);
});

test("keeps every listener on loopback, JetStream under the cluster's data folder, a websocket", () => {
  const conf = readFileSync(`${root}/nats.conf`, "utf8");
  assert.match(conf, /^host: 127\.0\.0\.1$/m);
  assert.match(conf, /^http: 127\.0\.0\.1:\d+$/m);
  assert.match(conf, /store_dir: "data\/cluster\/jetstream"/);
  assert.match(conf, /websocket \{[^}]*host: 127\.0\.0\.1/);
});

test.run();
