// rbus's command tree: every command, its flags with a line each, defaults
// and examples in --help. Modules behind the commands load only when one runs.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { adminCommands } from "./tree-admin.js";
import { dlqCommands } from "./dlq-commands.js";
import { groupCommands } from "./tree-groups.js";
import { messageCommands } from "./tree-messages.js";
import { nodeCommands } from "./tree-nodes.js";
import { toolCommands } from "./tree-tools.js";

export const EXIT_CODES = "Exit codes: 0 ok, 1 error (the cluster refused or failed), 2 usage (a mistake in the command line).";

const ENVIRONMENT = `Every command that talks to NATS takes --nats and --prefix, and the credentials of its NATS user:
--nkey, --creds, --user/--password or --token, --tls-ca/--tls-cert/--tls-key and --inbox-prefix; each is also
read from the variable the nats CLI reads (NATS_URL, NATS_NKEY, NATS_CREDS, NATS_USER, NATS_PASSWORD,
NATS_TOKEN, NATS_CA, NATS_CERT, NATS_KEY, NATS_INBOX_PREFIX) and RBUS_PREFIX. See docs/security.md.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function program(): Command {
  const rbus = new Command("rbus")
    .description("run Rocketbus nodes and talk to a running cluster")
    .version(version(), "-V, --version", "print rbus's version")
    .helpOption("-h, --help", "print this help")
    .helpCommand("help [command]", "print a command's help")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .addHelpText("after", `\n${ENVIRONMENT}\n\n${EXIT_CODES}\nrbus help <command> (or rbus <command> --help) shows its flags and examples.`);
  nodeCommands(rbus);
  adminCommands(rbus);
  groupCommands(rbus);
  dlqCommands(rbus);
  messageCommands(rbus);
  toolCommands(rbus);
  // Every command, however deep, ends with the exit codes and says so in the same words.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(rbus).slice(1)) c.addHelpText("after", `\n${EXIT_CODES}`);
  return rbus;
}
