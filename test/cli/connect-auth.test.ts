// Every command reaches a secured NATS server with the nats CLI's
// credential flags or variables, and a refused connection says what to give.
import { suite } from "../harness/suite.js";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { startNatsProcess, terminate, type StartedNats } from "../../src/cluster/processes.js";
import { runRbus, spawnRbus, type RbusProcess } from "../harness/processes.js";
import { waitUntil } from "../harness/wait.js";

interface Ctx {
  dir: string;
  users: StartedNats;
  token: StartedNats;
  seedFile: string;
  ns?: RbusProcess;
}

const url = (s: StartedNats) => `nats://127.0.0.1:${s.port}`;

const test = suite<Ctx>("connection credentials");
test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), "rbus-auth-"));
  const user = createUser();
  ctx.seedFile = join(ctx.dir, "ns.nk");
  writeFileSync(ctx.seedFile, `# the NameServer's seed\n${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
  const usersConf = join(ctx.dir, "users.conf");
  writeFileSync(usersConf, [
    "host: 127.0.0.1", "port: -1",
    `authorization { users: [ { user: alice, password: "s3cret" }, { nkey: ${user.getPublicKey()} },`,
    `  { user: bob, password: b, permissions: { publish: ["rbus.ns.>"], subscribe: ["_INBOX.bob.>"] } } ] }`,
  ].join("\n"));
  const tokenConf = join(ctx.dir, "token.conf");
  writeFileSync(tokenConf, ["host: 127.0.0.1", "port: -1", `authorization { token: "t0ken" }`].join("\n"));
  ctx.users = await startNatsProcess(usersConf);
  ctx.token = await startNatsProcess(tokenConf);
  // a NameServer authenticating by its nkey, as run-cluster starts them
  ctx.ns = spawnRbus(["nameserver", "--id", "ns-1", "--nats", url(ctx.users), "--nkey", ctx.seedFile]);
  await waitUntil("the NameServer connected with its nkey", () => ctx.ns!.output().includes("nameserver started"));
});
test.after(async (ctx) => {
  await ctx.ns?.kill();
  await terminate(ctx.users.proc);
  await terminate(ctx.token.proc);
  rmSync(ctx.dir, { recursive: true, force: true });
});

test("without credentials the command fails and names the flags and variables to use", async (ctx) => {
  const r = await runRbus(["cluster", "--nats", url(ctx.users)]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /refused a connection without credentials/);
  assert.match(r.stderr, /--nkey/);
  assert.match(r.stderr, /NATS_NKEY/);
});

test("a wrong password is named as the credentials given", async (ctx) => {
  const r = await runRbus(["cluster", "--nats", url(ctx.users), "--user", "alice", "--password", "nope"]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /refused the credentials given \(user, password\)/);
});

test("--user/--password, NATS_USER/NATS_PASSWORD and --nkey each get in", async (ctx) => {
  const flags = await runRbus(["cluster", "--json", "--nats", url(ctx.users), "--user", "alice", "--password", "s3cret"]);
  assert.is(flags.code, 0, flags.stderr);
  const env = await runRbus(["cluster", "--json"], 30_000, { NATS_URL: url(ctx.users), NATS_USER: "alice", NATS_PASSWORD: "s3cret" });
  assert.is(env.code, 0, env.stderr);
  const nkey = await runRbus(["cluster", "--json"], 30_000, { NATS_URL: url(ctx.users), NATS_NKEY: ctx.seedFile });
  assert.is(nkey.code, 0, nkey.stderr);
});

test("--creds and NATS_CREDS read a creds file's seed (decorated, as nsc writes it)", async (ctx) => {
  // The server here is not in operator mode: it knows the user by its nkey and ignores the JWT;
  // what is under test is that the file is read and its seed signs the server's nonce.
  const seed = (await import("node:fs")).readFileSync(ctx.seedFile, "utf8").split("\n").find((l) => l.startsWith("S"))!;
  const creds = join(ctx.dir, "ns.creds");
  writeFileSync(creds, [
    "-----BEGIN NATS USER JWT-----", "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln", "------END NATS USER JWT------", "",
    "************************* IMPORTANT *************************", "",
    "-----BEGIN USER NKEY SEED-----", seed, "------END USER NKEY SEED------", "",
  ].join("\n"), { mode: 0o600 });
  const flag = await runRbus(["cluster", "--json", "--nats", url(ctx.users), "--creds", creds]);
  assert.is(flag.code, 0, flag.stderr);
  const env = await runRbus(["cluster", "--json"], 30_000, { NATS_URL: url(ctx.users), NATS_CREDS: creds });
  assert.is(env.code, 0, env.stderr);
});

test("--token and NATS_TOKEN get in; a token server refuses none", async (ctx) => {
  const none = await runRbus(["route", "TBW102", "--nats", url(ctx.token)]);
  assert.match(none.stderr, /refused a connection without credentials/);
  // no NameServer on this server: connected, then told so
  const flag = await runRbus(["route", "TBW102", "--nats", url(ctx.token), "--token", "t0ken"]);
  assert.not.match(flag.stderr, /refused/);
  assert.match(flag.stderr, /NameServer|NO_RESPONDERS|no responders/i);
  const env = await runRbus(["route", "TBW102"], 30_000, { NATS_URL: url(ctx.token), NATS_TOKEN: "t0ken" });
  assert.not.match(env.stderr, /refused/);
});

test("a user whose replies may come only to its own inbox is told to give --inbox-prefix", async (ctx) => {
  const without = await runRbus(["cluster", "--json", "--nats", url(ctx.users), "--user", "bob", "--password", "b"]);
  assert.is(without.code, 1);
  assert.match(without.stderr, /may not read replies on _INBOX/);
  assert.match(without.stderr, /--inbox-prefix _INBOX.<user>/);
  const withPrefix = await runRbus(["cluster", "--json", "--nats", url(ctx.users), "--user", "bob", "--password", "b", "--inbox-prefix", "_INBOX.bob"]);
  assert.is(withPrefix.code, 0, withPrefix.stderr);
});

test("flags that cannot go together are usage errors", async (ctx) => {
  const r = await runRbus(["cluster", "--nats", url(ctx.users), "--password", "x"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--password needs --user/);
  const bad = await runRbus(["cluster", "--nats", url(ctx.users), "--nkey", join(ctx.dir, "users.conf")]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /holds no nkey seed/);
});

test.run();
