import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsProcess } from "../../src/cluster/processes.js";
import { startNatsServer } from "../harness/nats-server.js";

const test = suite("starting nats-server");

test("a port already taken is reported with what to do", async () => {
  const taken = await startNatsServer({ jetstream: false });
  const dir = mkdtempSync(join(tmpdir(), "rbus-conf-"));
  try {
    const conf = join(dir, "nats.conf");
    writeFileSync(conf, `host: 127.0.0.1\nport: ${taken.port}\n`);
    const err = await startNatsProcess(conf).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, "the second server must not start");
    assert.match(err!.message, /address already in use/);
    assert.match(err!.message, /stop it, or change the ports in nats.conf/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await taken.stop();
  }
});

test.run();
