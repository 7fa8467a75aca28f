// `rbus run-cluster --background` (make run-cluster-bg) returns once the
// cluster is up, a second start from the same data folder is refused naming
// the first, and `rbus stop-cluster` (make stop-cluster) stops every node.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isRunning } from "../../src/cluster/pid-file.js";
import { runRbus } from "../harness/processes.js";

const shipped = fileURLToPath(new URL("../../../cluster.json", import.meta.url));

const test = suite<{ dir: string; config: string; pids: number[] }>("run-cluster in the background");

test.before((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-run-cluster-bg-"));
  writeFileSync(join(ctx.dir, "nats.conf"), [`host: 127.0.0.1`, `port: -1`, `jetstream { store_dir: "${join(ctx.dir, "jetstream")}" }`].join("\n"));
  const config = JSON.parse(readFileSync(shipped, "utf8"));
  config.nats.config = join(ctx.dir, "nats.conf");
  config.dashboard = { port: 0 }; // any free port, beside a cluster that may be running
  config.dataDir = join(ctx.dir, "data");
  config.groups = [{ name: "broker-a", replicas: 1 }];
  config.nameServers = ["ns-1"];
  ctx.config = join(ctx.dir, "cluster.json");
  writeFileSync(ctx.config, JSON.stringify(config));
  ctx.pids = [];
});

test.after((ctx) => {
  for (const pid of ctx.pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  rmSync(ctx.dir, { recursive: true, force: true });
});

const alive = isRunning;

test("starts detached, refuses a second start, and stop-cluster stops every node", async (ctx) => {
  const started = await runRbus(["run-cluster", "--background", "--config", ctx.config], 90_000);
  assert.is(started.code, 0, started.stdout + started.stderr);
  assert.match(started.stdout, /`make stop-cluster` \(rbus stop-cluster\) stops everything\./);
  ctx.pids = [...started.stdout.matchAll(/^(?:nats-server|ns-1|broker-a\.0)\s+\S+(?:\s+\S+\s+\d+)?\s+(\d+)\s/gm)].map((m) => Number(m[1]));
  const launcher = Number(readFileSync(join(ctx.dir, "data", "run-cluster.pid"), "utf8"));
  ctx.pids.push(launcher);
  assert.is(ctx.pids.length, 4, started.stdout);
  for (const pid of ctx.pids) assert.ok(alive(pid), `pid ${pid} runs after the command returned`);

  const second = await runRbus(["run-cluster", "--config", ctx.config]);
  assert.is(second.code, 1);
  assert.match(second.stderr, new RegExp(`already running \\(launcher pid ${launcher}\\).*make stop-cluster`));

  const stopped = await runRbus(["stop-cluster", "--config", ctx.config], 60_000);
  assert.is(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /stopped\./);
  for (const pid of ctx.pids) assert.not.ok(alive(pid), `pid ${pid} is gone`);
  const again = await runRbus(["stop-cluster", "--config", ctx.config]);
  assert.match(again.stdout, /no cluster from .* is running/);
});

test.run();
