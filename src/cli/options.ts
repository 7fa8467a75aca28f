// The flags many rbus commands share, declared once: how to reach NATS (the
// nats CLI's flags and variables), the subject prefix, --json, and how a
// command's module is loaded only when it runs.
import { Option, type Command } from "commander";
import type { NatsAuth } from "../runtime/nats.js";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** What every command that talks to NATS is given: the server, the prefix, and the user's credentials (when set). */
export type NatsFlags = NatsAuth & { nats: string; prefix: string };

const CONNECTION = "Connection (also from the environment, as the nats CLI reads it):";

/** The connection flags and --prefix, each with its environment variable. */
export function natsFlags(cmd: Command): Command {
  const flag = (flags: string, what: string, env: string, def?: string) => {
    const o = new Option(flags, what).env(env).helpGroup(CONNECTION);
    cmd.addOption(def === undefined ? o : o.default(def));
  };
  flag("--nats <url>", "NATS server URL", "NATS_URL", DEFAULT_NATS_URL);
  flag("--prefix <p>", "subject prefix of the cluster", "RBUS_PREFIX", "rbus");
  flag("--nkey <file>", "nkey seed file of the user", "NATS_NKEY");
  flag("--creds <file>", "credentials file (JWT and seed)", "NATS_CREDS");
  flag("--user <name>", "user name", "NATS_USER");
  flag("--password <p>", "password of --user", "NATS_PASSWORD");
  flag("--token <t>", "authentication token", "NATS_TOKEN");
  flag("--tls-ca <pem>", "CA certificate to trust", "NATS_CA");
  flag("--tls-cert <pem>", "client certificate (with --tls-key)", "NATS_CERT");
  flag("--tls-key <pem>", "client certificate's key", "NATS_KEY");
  flag("--inbox-prefix <p>", "reply subjects' prefix, e.g. _INBOX.admin", "NATS_INBOX_PREFIX");
  return cmd;
}

/** --json, for every command that prints a table. */
export function withJson(cmd: Command, what = "print JSON instead of a table"): Command {
  return cmd.option("--json", what);
}

/** Repeatable string flag: --key a --key b → ["a", "b"]. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** An example block for a command's --help. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

/** A flag kept for old command lines: hidden from --help, and it warns. */
export function deprecatedFlag(cmd: Command, flags: string, instead: string, parse?: (value: string, previous: string[] | undefined) => string[]): Command {
  const o = new Option(flags, `deprecated: use ${instead}`).hideHelp();
  return cmd.addOption(parse ? o.argParser(parse) : o);
}

/** The broker group of a command that still takes --group for it, warning once. */
export function brokerGroupOf<T>(opts: { brokerGroup?: T; group?: T }, command: string): T | undefined {
  if (opts.group !== undefined) {
    process.stderr.write(`rbus ${command}: --group is deprecated here (it names a broker group): use --broker-group\n`);
  }
  return opts.brokerGroup ?? opts.group;
}
