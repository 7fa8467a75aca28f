// The shipped nats.conf's TLS blocks, uncommented, with the certificates
// `rbus tls init` writes: nodes and rbus connect over TLS with the local CA
// and a client certificate (verify: true); without the CA, or without a
// client certificate, the connection fails saying which flags to give; the
// websocket listener serves wss.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { runRbus } from "../harness/processes.js";
import { startSecureCluster, type SecureCluster } from "../harness/secure-cluster.js";
import { waitUntil } from "../harness/wait.js";

const test = suite<{ cluster: SecureCluster }>("secured with TLS");

test.before(async (ctx) => {
  ctx.cluster = await startSecureCluster({ tls: true });
});

test.after(async (ctx) => {
  await ctx.cluster.stop();
});

test("the server listens for TLS clients and websocket clients over wss", (ctx) => {
  const log = ctx.cluster.nats.log();
  assert.match(log, /TLS required for client connections/);
  assert.match(log, /Listening for websocket clients on wss:\/\//);
});

test("rbus cluster over TLS with the CA and the client certificate lists both groups", async (ctx) => {
  const { url } = ctx.cluster.nats;
  const r = await waitUntil("both groups listed", async () => {
    const out = await runRbus(["cluster", "--nats", url, ...ctx.cluster.nats.flags("dashboard")]);
    return out.code === 0 && /broker-a/.test(out.stdout) && /broker-b/.test(out.stdout) && out;
  }, { timeoutMs: 15_000, intervalMs: 300 });
  assert.ok(r);
});

test("without the CA rbus says which TLS flags to give", async (ctx) => {
  const flags = ctx.cluster.nats.flags("dashboard");
  const noCa = flags.filter((f, i) => f !== "--tls-ca" && flags[i - 1] !== "--tls-ca");
  const r = await runRbus(["cluster", "--nats", ctx.cluster.nats.url, ...noCa], 15_000);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, /--tls-ca/);
});

test("rbus tls init's keys are private", (ctx) => {
  const tls = ctx.cluster.nats.tls!;
  assert.is(statSync(dirname(tls.ca)).mode & 0o777, 0o700);
  for (const key of [tls.caKey, tls.serverKey, tls.clientKey]) assert.is(statSync(key).mode & 0o777, 0o600, key);
});

test("the nodes met no refusal", (ctx) => {
  assert.equal(ctx.cluster.nodeViolations(), []);
});

test.run();
