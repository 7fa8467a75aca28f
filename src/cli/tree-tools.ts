// The offline tools: machines export, store verify, auth init, tls init.
// Each module is imported only when its command runs.
import type { Command } from "commander";
import { collect, examples, withJson } from "./options.js";

export function toolCommands(program: Command): void {
  program.commandsGroup("Offline tools:");
  const machines = program.command("machines").description("write every state machine from its definition");
  const exp = machines.command("export").description("write the state machines as Mermaid (docs/machines.md) or JSON")
    .option("--format <f>", "mermaid, or json: { machines: [{ name, source, purpose, graph }] }", "mermaid")
    .option("--machine <name>", "one machine's stateDiagram-v2 alone, e.g. role")
    .action(async (o) => (await import("./machines.js")).machinesExportCommand(o));
  examples(exp, "rbus machines export > docs/machines.md", "rbus machines export --format json --machine role");

  const store = program.command("store").description("check a broker's data folder offline");
  const verify = store.command("verify").description("verify every record of a data folder; exit 1 on damage")
    .option("--data <dir>", "the broker's data folder (required)")
    .option("--json", "print the report as JSON")
    .option("--live", "scan even though a running broker holds it (its tail may read as torn)")
    .action(async (o) => (await import("./store.js")).storeVerifyCommand(o));
  examples(verify, "rbus store verify --data data/brokers/broker-a.0");

  const auth = program.command("auth").description("NATS users and permissions for every process of cluster.json");
  const authInit = auth.command("init").description("write a NATS user (nkey) per process, with its role's permissions, into accounts.conf")
    .option("--config <file>", "cluster description", "cluster.json")
    .option("--out <dir>", "where to write (default: the folder of the accounts.conf nats.conf includes)")
    .option("--consumer-group <cg>", "a consumer group to make a consumer user for (repeat for more)", collect)
    .option("--producer <name>", "a producer user to make (repeat for more)", collect)
    .option("--open", "write an open accounts file instead: no users, anyone may do anything");
  withJson(authInit, "print the users as JSON instead of a table").action(async (o) => (await import("../auth/command.js")).authCommand(o));
  examples(authInit, "rbus auth init", "rbus auth init --consumer-group audit --producer shop");

  const tls = program.command("tls").description("a local CA and certificates for nats-server and clients");
  const tlsInit = tls.command("init").description("write a local CA, nats-server's certificate and a client certificate")
    .option("--config <file>", "cluster description", "cluster.json")
    .option("--out <dir>", "where to write (default: <dataDir>/tls)");
  withJson(tlsInit, "print the files as JSON instead of a table").action(async (o) => (await import("../auth/command.js")).tlsCommand(o));
  examples(tlsInit, "rbus tls init");
}
